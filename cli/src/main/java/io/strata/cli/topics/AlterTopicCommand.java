package io.strata.cli.topics;

import io.strata.cli.Await;
import io.strata.cli.CliException;
import io.strata.cli.StrataCommand;
import io.strata.cli.TopicLookup;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.common.config.ConfigResource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code strata topics alter}: adds partitions (Admin.createPartitions) and sets or removes topic settings
 * (Admin.incrementalAlterConfigs, so settings not named stay as they are). Partitions can only grow, as in Kafka:
 * shrinking would lose records and move keys between partitions.
 *
 * <p>One instance per run; not thread-safe.
 */
@Command(name = "alter", mixinStandardHelpOptions = true,
        description = "Add partitions to a topic and/or change its settings.")
public final class AlterTopicCommand extends StrataCommand {

    @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "Topic to change.")
    private String topic;

    @Option(names = "--partitions", paramLabel = "N",
            description = "New total number of partitions; must not be fewer than now.")
    private Integer partitions;

    @Option(names = "--config", paramLabel = "KEY=VALUE", description = "Set a topic setting (repeatable).")
    private Map<String, String> configs = new LinkedHashMap<>();

    @Option(names = "--delete-config", paramLabel = "KEY",
            description = "Remove a topic setting, back to the broker's default (repeatable).")
    private List<String> deleteConfigs = new ArrayList<>();

    @Override
    protected int run() {
        if (partitions == null && configs.isEmpty() && deleteConfigs.isEmpty()) {
            throw usageError("nothing to change: give --partitions, --config or --delete-config");
        }
        TopicConfigs.requireKeys(configs, this::usageError);
        TopicConfigs.requireNames(deleteConfigs, "--delete-config", this::usageError);
        for (String name : deleteConfigs) {
            if (configs.containsKey(name)) {
                throw usageError("'" + name + "' is both set (--config) and deleted (--delete-config)");
            }
        }
        try (Admin admin = clients().createAdmin()) {
            int current = TopicLookup.describe(admin, topic).partitions().size();
            if (partitions != null) {
                addPartitions(admin, current);
            }
            if (!configs.isEmpty() || !deleteConfigs.isEmpty()) {
                alterConfigs(admin);
            }
        }
        return 0;
    }

    private void addPartitions(Admin admin, int current) {
        if (partitions < current) {
            throw new CliException("topic '" + topic + "' has " + current + " partitions; partitions can only be "
                    + "added, not removed (asked for " + partitions + ")");
        }
        if (partitions == current) {
            out().println("Topic '" + topic + "' already has " + current + " partitions.");
            return;
        }
        Await.result(admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(partitions))).all());
        out().println("Topic '" + topic + "' now has " + partitions + " partitions (was " + current + ").");
    }

    private void alterConfigs(Admin admin) {
        List<AlterConfigOp> operations = new ArrayList<>();
        configs.forEach((name, value) ->
                operations.add(new AlterConfigOp(new ConfigEntry(name, value), AlterConfigOp.OpType.SET)));
        for (String name : deleteConfigs) {
            operations.add(new AlterConfigOp(new ConfigEntry(name, null), AlterConfigOp.OpType.DELETE));
        }
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Await.result(admin.incrementalAlterConfigs(Map.of(resource, operations)).all());
        configs.forEach((name, value) -> out().println("Set " + name + "=" + value + " on topic '" + topic + "'."));
        for (String name : deleteConfigs) {
            out().println("Removed " + name + " from topic '" + topic + "' (the default applies).");
        }
    }
}
