package io.strata.cli.partitions;

import io.strata.cli.Await;
import io.strata.cli.CliException;
import io.strata.cli.StrataCommand;
import io.strata.cli.TopicLookup;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewPartitionReassignment;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.NoReassignmentInProgressException;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * {@code strata partitions reassign}: moves one partition to the given brokers (Admin.alterPartitionReassignments),
 * or cancels its move with --cancel. The brokers copy the partition while it stays available; the move completes by
 * itself once every new replica has caught up, and {@code strata partitions reassignments} shows it until then. The
 * first broker listed becomes the preferred leader.
 *
 * <p>One instance per run; not thread-safe.
 */
@Command(name = "reassign", mixinStandardHelpOptions = true,
        description = {"Move a partition to other brokers, or cancel its move.",
                "The move runs in the background; 'strata partitions reassignments' shows it until it completes."})
public final class ReassignPartitionCommand extends StrataCommand {

    @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "Topic of the partition.")
    private String topic;

    @Option(names = "--partition", required = true, paramLabel = "P", description = "Partition to move.")
    private int partition;

    @ArgGroup(exclusive = true, multiplicity = "1")
    private Target target;

    /** Where to: the new replicas, or back where it was. */
    static final class Target {

        @Option(names = "--replicas", required = true, split = ",", paramLabel = "BROKER[,BROKER...]",
                description = "Brokers to hold the partition, preferred leader first, e.g. 2,3,1.")
        List<Integer> replicas;

        @Option(names = "--cancel", required = true,
                description = "Cancel the move under way: the partition stays on the brokers it was on.")
        boolean cancel;
    }

    @Override
    protected int run() {
        if (!target.cancel && new HashSet<>(target.replicas).size() != target.replicas.size()) {
            throw usageError("--replicas names a broker more than once: " + brokers(target.replicas));
        }
        TopicPartition tp = new TopicPartition(topic, partition);
        try (Admin admin = clients().createAdmin()) {
            TopicLookup.partitionCount(admin, topic, partition);
            Map<TopicPartition, Optional<NewPartitionReassignment>> request = new HashMap<>();
            request.put(tp, target.cancel ? Optional.empty()
                    : Optional.of(new NewPartitionReassignment(target.replicas)));
            try {
                Await.result(admin.alterPartitionReassignments(request).all());
            } catch (NoReassignmentInProgressException e) {
                throw new CliException("partition " + tp + " is not being moved; there is nothing to cancel", e);
            }
        }
        out().println(target.cancel ? "Cancelled the move of partition " + tp + "."
                : "Moving partition " + tp + " to brokers " + brokers(target.replicas)
                        + "; 'strata partitions reassignments' shows the move until it completes.");
        return 0;
    }

    static String brokers(List<Integer> ids) {
        return ids.stream().map(String::valueOf).collect(Collectors.joining(","));
    }
}
