package io.strata.cli.topics;

import io.strata.cli.Await;
import io.strata.cli.CliException;
import io.strata.cli.StrataCommand;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code strata topics create}: creates one topic through Admin.createTopics, with the broker's defaults for what
 * is not given.
 *
 * <p>One instance per run; not thread-safe.
 */
@Command(name = "create", mixinStandardHelpOptions = true,
        description = "Create a topic.")
public final class CreateTopicCommand extends StrataCommand {

    @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "Name of the topic.")
    private String topic;

    @Option(names = "--partitions", paramLabel = "N",
            description = "Number of partitions. Default: the broker's num.partitions.")
    private Integer partitions;

    @Option(names = "--replication-factor", paramLabel = "N",
            description = "Copies of each partition. Default: the broker's default.replication.factor.")
    private Short replicationFactor;

    @Option(names = "--config", paramLabel = "KEY=VALUE",
            description = "A topic setting, e.g. retention.ms=86400000 (repeatable).")
    private Map<String, String> configs = new LinkedHashMap<>();

    @Option(names = "--if-not-exists", description = "Succeed without change if the topic exists already.")
    private boolean ifNotExists;

    @Override
    protected int run() {
        if (partitions != null && partitions < 1) {
            throw usageError("--partitions must be at least 1, got " + partitions);
        }
        if (replicationFactor != null && replicationFactor < 1) {
            throw usageError("--replication-factor must be at least 1, got " + replicationFactor);
        }
        TopicConfigs.requireKeys(configs, this::usageError);
        NewTopic newTopic = new NewTopic(topic, Optional.ofNullable(partitions), Optional.ofNullable(replicationFactor))
                .configs(configs);
        try (Admin admin = clients().createAdmin()) {
            CreateTopicsResult result = admin.createTopics(List.of(newTopic));
            try {
                Await.result(result.all());
            } catch (TopicExistsException e) {
                if (!ifNotExists) {
                    throw new CliException("topic '" + topic + "' already exists");
                }
                out().println("Topic '" + topic + "' already exists.");
                return 0;
            }
            int created = partitions != null ? partitions : Await.result(result.numPartitions(topic));
            out().println("Created topic '" + topic + "' with " + created + (created == 1 ? " partition." : " partitions."));
        }
        return 0;
    }
}
