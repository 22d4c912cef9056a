package io.strata.cli.partitions;

import io.strata.cli.Await;
import io.strata.cli.CliException;
import io.strata.cli.StrataCommand;
import io.strata.cli.Table;
import io.strata.cli.TopicLookup;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ElectionNotNeededException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.Comparator;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code strata partitions elect-leaders}: elects partition leaders (Admin.electLeaders), like Kafka's
 * kafka-leader-election.sh. A preferred election makes each partition's first replica its leader again, if that
 * broker is alive and in sync; for example after it was restarted and another replica took over. An unclean one gives
 * an offline partition a leader from any live replica, which may lack acknowledged records. One row per partition
 * says what happened; the command fails if any election that was needed could not be held.
 *
 * <p>One instance per run; not thread-safe.
 */
@Command(name = "elect-leaders", mixinStandardHelpOptions = true,
        description = {"Elect partition leaders: the preferred (first) replica, or for offline partitions any live one.",
                "Without --topic, every partition of the cluster."})
public final class ElectLeadersCommand extends StrataCommand {

    /** The kinds of election, as Kafka's tool names them. */
    enum Type {
        PREFERRED(ElectionType.PREFERRED), UNCLEAN(ElectionType.UNCLEAN);

        final ElectionType kafka;

        Type(ElectionType kafka) {
            this.kafka = kafka;
        }
    }

    @Option(names = "--type", paramLabel = "preferred|unclean", defaultValue = "preferred",
            description = "preferred: the first replica leads again, if alive and in sync. unclean: an offline "
                    + "partition gets any live replica as leader, which may lose acknowledged records. "
                    + "Default: ${DEFAULT-VALUE}.")
    private Type type;

    @Option(names = "--topic", paramLabel = "TOPIC", description = "Only this topic's partitions. Default: all.")
    private String topic;

    @Option(names = "--partition", paramLabel = "P", description = "Only this partition of --topic.")
    private Integer partition;

    @Override
    protected int run() {
        if (partition != null && topic == null) {
            throw usageError("--partition needs --topic");
        }
        Map<TopicPartition, Optional<Throwable>> results;
        try (Admin admin = clients().createAdmin()) {
            results = Await.result(admin.electLeaders(type.kafka, partitions(admin)).partitions());
        }
        if (results.isEmpty()) {
            out().println("No partition needed a new leader.");
            return 0;
        }
        Map<TopicPartition, Optional<Throwable>> sorted = new TreeMap<>(
                Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
        sorted.putAll(results);
        Table table = new Table("TOPIC", "PARTITION", "RESULT");
        int failed = 0;
        for (Map.Entry<TopicPartition, Optional<Throwable>> result : sorted.entrySet()) {
            Throwable error = result.getValue().orElse(null);
            String outcome;
            if (error == null) {
                outcome = "elected";
            } else if (error instanceof ElectionNotNeededException) {
                outcome = "not needed: " + message(error);
            } else {
                outcome = "failed: " + message(error);
                failed++;
            }
            table.row(result.getKey().topic(), result.getKey().partition(), outcome);
        }
        table.print(out());
        if (failed > 0) {
            throw new CliException("the " + type.name().toLowerCase() + " leader election failed for " + failed
                    + " of " + sorted.size() + " partition" + (sorted.size() == 1 ? "" : "s"));
        }
        return 0;
    }

    /** The partitions asked for, or {@code null} for every partition of the cluster. */
    private Set<TopicPartition> partitions(Admin admin) {
        if (topic == null) {
            return null;
        }
        int count = TopicLookup.partitionCount(admin, topic, partition);
        Set<TopicPartition> partitions = new HashSet<>();
        if (partition != null) {
            partitions.add(new TopicPartition(topic, partition));
        } else {
            for (int p = 0; p < count; p++) {
                partitions.add(new TopicPartition(topic, p));
            }
        }
        return partitions;
    }

    private static String message(Throwable error) {
        String message = error.getMessage();
        return message == null || message.isBlank() ? error.getClass().getSimpleName()
                : message.strip().replaceAll("\\s*\\R\\s*", " ");
    }
}
