package io.strata.cli.groups;

import io.strata.cli.Await;
import io.strata.cli.CliException;
import io.strata.cli.StrataCommand;
import io.strata.cli.Table;
import io.strata.cli.TopicLookup;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ShareGroupDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code strata groups reset-offsets}: moves a group's committed offsets on the given topics to the earliest or
 * latest record, an offset, the first record at or after a time, or by a number of records from where they are;
 * targets outside the log are clamped to its start or end. Without --execute it only prints the plan. Like Kafka's
 * tool it refuses groups with active members, whose consumers would overwrite the new offsets with their next commit.
 * The offsets are written with Admin.alterConsumerGroupOffsets; a share group's start offsets (from which its records
 * are delivered again) with Admin.alterShareGroupOffsets, where the current offset is the share-partition start offset.
 *
 * <p>One instance per run; not thread-safe.
 */
@Command(name = "reset-offsets", mixinStandardHelpOptions = true,
        description = {"Reset a consumer group's committed offsets, or a share group's start offsets; the group must"
                + " have no active members.",
                "Prints the plan; changes nothing unless --execute is given."})
public final class ResetOffsetsCommand extends StrataCommand {

    @Option(names = "--group", required = true, paramLabel = "GROUP", description = "Group whose offsets to reset.")
    private String group;

    @Option(names = "--topic", required = true, paramLabel = "TOPIC",
            description = "Topic whose partitions to reset, all of them (repeatable).")
    private List<String> topics;

    @ArgGroup(exclusive = true, multiplicity = "1")
    private Target target;

    @Option(names = "--execute", description = "Apply the plan. Without it, only print it.")
    private boolean execute;

    /** Where to move the offsets: exactly one of these. */
    static final class Target {

        @Option(names = "--to-earliest", required = true, description = "To the earliest record still kept.")
        boolean toEarliest;

        @Option(names = "--to-latest", required = true, description = "To the end of the log (skip everything).")
        boolean toLatest;

        @Option(names = "--to-offset", required = true, paramLabel = "N", description = "To offset N.")
        Long toOffset;

        @Option(names = "--to-datetime", required = true, paramLabel = "ISO-8601",
                converter = DateTimeConverter.class,
                description = "To the first record at or after this time, e.g. 2024-05-01T12:00:00Z "
                        + "(without a zone: this machine's).")
        Instant toDatetime;

        @Option(names = "--shift-by", required = true, paramLabel = "N",
                description = "By N records from the committed offset (negative: back).")
        Long shiftBy;
    }

    @Override
    protected int run() {
        Map<TopicPartition, Long> current;
        Map<TopicPartition, Long> planned;
        try (Admin admin = clients().createAdmin()) {
            boolean share = GroupOffsets.isShareGroup(admin, group);
            if (share) {
                ShareGroupDescription description = GroupOffsets.describeShareGroup(admin, group);
                requireInactive(description.members().size(), description.groupState());
                current = new HashMap<>();
                GroupOffsets.shareOffsets(admin, group).forEach((partition, info) ->
                        current.put(partition, info.startOffset()));
            } else {
                ConsumerGroupDescription description = GroupOffsets.describe(admin, group);
                if (description != null) {
                    requireInactive(description.members().size(), description.groupState());
                }
                current = GroupOffsets.committed(admin, group);
            }
            List<TopicPartition> partitions = partitions(admin);
            planned = plan(admin, partitions, current);
            printPlan(planned, current);
            if (execute && share) {
                Await.result(admin.alterShareGroupOffsets(group, planned).all());
            } else if (execute) {
                Map<TopicPartition, OffsetAndMetadata> offsets = new LinkedHashMap<>();
                planned.forEach((partition, offset) -> offsets.put(partition, new OffsetAndMetadata(offset)));
                Await.result(admin.alterConsumerGroupOffsets(group, offsets).all());
            }
        }
        out().println(execute ? "Reset the offsets of group '" + group + "'."
                : "Dry run: nothing changed. Add --execute to apply.");
        return 0;
    }

    private void requireInactive(int members, GroupState state) {
        if (members > 0) {
            throw new CliException("group '" + group + "' has " + members + " active member" + (members == 1 ? "" : "s")
                    + " (state " + state + "); offsets can only be reset while the group is "
                    + "inactive: stop its consumers first");
        }
    }

    private List<TopicPartition> partitions(Admin admin) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : topics) {
            for (TopicPartitionInfo info : TopicLookup.describe(admin, topic).partitions()) {
                partitions.add(new TopicPartition(topic, info.partition()));
            }
        }
        return partitions;
    }

    private Map<TopicPartition, Long> plan(Admin admin, List<TopicPartition> partitions,
                                           Map<TopicPartition, Long> current) {
        Map<TopicPartition, Long> earliest = GroupOffsets.offsets(admin, partitions, OffsetSpec.earliest());
        Map<TopicPartition, Long> latest = GroupOffsets.offsets(admin, partitions, OffsetSpec.latest());
        Map<TopicPartition, Long> byTime = target.toDatetime == null ? Map.of()
                : GroupOffsets.offsets(admin, partitions, OffsetSpec.forTimestamp(target.toDatetime.toEpochMilli()));
        Map<TopicPartition, Long> planned = new LinkedHashMap<>();
        for (TopicPartition partition : partitions) {
            long start = earliest.get(partition);
            long end = latest.get(partition);
            planned.put(partition, clamp(wanted(partition, start, end, byTime, current), start, end));
        }
        return planned;
    }

    private long wanted(TopicPartition partition, long start, long end, Map<TopicPartition, Long> byTime,
                        Map<TopicPartition, Long> current) {
        if (target.toEarliest) {
            return start;
        }
        if (target.toLatest) {
            return end;
        }
        if (target.toOffset != null) {
            return target.toOffset;
        }
        if (target.toDatetime != null) {
            long offset = byTime.getOrDefault(partition, -1L);
            // -1: no record at or after that time, so the group starts after everything there is.
            return offset < 0 ? end : offset;
        }
        Long committed = current.get(partition);
        if (committed == null) {
            throw new CliException("group '" + group + "' has no committed offset on " + partition
                    + " to shift from; use --to-earliest, --to-latest or --to-offset");
        }
        return saturatedAdd(committed, target.shiftBy);
    }

    private void printPlan(Map<TopicPartition, Long> planned, Map<TopicPartition, Long> current) {
        Table table = new Table("GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "NEW-OFFSET");
        planned.forEach((partition, offset) ->
                table.row(group, partition.topic(), partition.partition(), current.get(partition), offset));
        table.print(out());
    }

    private static long clamp(long offset, long start, long end) {
        return Math.max(start, Math.min(end, offset));
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        // Overflow happened exactly when both operands have the sign the sum lacks.
        if (((a ^ sum) & (b ^ sum)) < 0) {
            return b > 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
        }
        return sum;
    }
}
