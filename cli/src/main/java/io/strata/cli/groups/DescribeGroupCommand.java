package io.strata.cli.groups;

import io.strata.cli.StrataCommand;
import io.strata.cli.Table;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.ShareGroupDescription;
import org.apache.kafka.clients.admin.ShareMemberDescription;
import org.apache.kafka.clients.admin.SharePartitionOffsetInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * {@code strata groups describe}: a group's state, then per partition it commits to or is assigned its committed
 * offset, the log end offset, the lag between them and the member that has it, then the members and their
 * assignments. The columns are kafka-consumer-groups.sh's. A share group has no committed offsets: per partition it
 * shows the share-partition start offset (below it every record is done with) and the lag the broker reports, then
 * the members, several of which may share a partition, as kafka-share-groups.sh does.
 *
 * <p>One instance per run; not thread-safe.
 */
@Command(name = "describe", mixinStandardHelpOptions = true,
        description = "Show a consumer group's offsets, lag per partition, and members with their assignments.")
public final class DescribeGroupCommand extends StrataCommand {

    private static final Comparator<TopicPartition> BY_TOPIC_THEN_PARTITION =
            Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition);

    @Option(names = "--group", required = true, paramLabel = "GROUP", description = "Group to describe.")
    private String group;

    @Override
    protected int run() {
        try (Admin admin = clients().createAdmin()) {
            if (GroupOffsets.isShareGroup(admin, group)) {
                describeShareGroup(admin);
                return 0;
            }
        }
        return describeConsumerGroup();
    }

    private void describeShareGroup(Admin admin) {
        ShareGroupDescription description = GroupOffsets.describeShareGroup(admin, group);
        Map<TopicPartition, SharePartitionOffsetInfo> offsets = GroupOffsets.shareOffsets(admin, group);
        PrintWriter out = out();
        out.println("Share group '" + group + "' is " + description.groupState() + " with "
                + description.members().size() + (description.members().size() == 1 ? " member" : " members")
                + (description.coordinator() == null ? "" : "; coordinator: broker " + description.coordinator().id()
                + " at " + description.coordinator().host() + ":" + description.coordinator().port()) + ".");
        out.println();
        TreeMap<TopicPartition, SharePartitionOffsetInfo> rows = new TreeMap<>(BY_TOPIC_THEN_PARTITION);
        rows.putAll(offsets);
        Table offsetTable = new Table("GROUP", "TOPIC", "PARTITION", "START-OFFSET", "LAG");
        rows.forEach((partition, info) -> offsetTable.row(group, partition.topic(), partition.partition(),
                info.startOffset(), info.lag().orElse(null)));
        offsetTable.print(out);
        out.println();
        if (description.members().isEmpty()) {
            out.println("No active members.");
            return;
        }
        Table members = new Table("CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS", "ASSIGNMENT");
        description.members().stream()
                .sorted(Comparator.comparing(ShareMemberDescription::consumerId))
                .forEach(member -> members.row(member.consumerId(), member.host(), member.clientId(),
                        member.assignment().topicPartitions().size(),
                        assignment(member.assignment().topicPartitions())));
        members.print(out);
    }

    private int describeConsumerGroup() {
        ConsumerGroupDescription description;
        Map<TopicPartition, Long> committed;
        Map<TopicPartition, Long> logEnd;
        Map<TopicPartition, MemberDescription> owners = new HashMap<>();
        try (Admin admin = clients().createAdmin()) {
            description = GroupOffsets.describeExisting(admin, group);
            committed = GroupOffsets.committed(admin, group);
            for (MemberDescription member : description.members()) {
                for (TopicPartition partition : member.assignment().topicPartitions()) {
                    owners.put(partition, member);
                }
            }
            TreeSet<TopicPartition> partitions = new TreeSet<>(BY_TOPIC_THEN_PARTITION);
            partitions.addAll(committed.keySet());
            partitions.addAll(owners.keySet());
            logEnd = GroupOffsets.offsets(admin, partitions, OffsetSpec.latest());
        }
        PrintWriter out = out();
        long classicMembers = description.members().stream()
                .filter(member -> member.upgraded().isPresent() && !member.upgraded().get()).count();
        out.println("Group '" + group + "' is " + description.groupState() + " with "
                + description.members().size() + (description.members().size() == 1 ? " member" : " members")
                + (classicMembers == 0 ? "" : " (a consumer group; " + classicMembers + " of them "
                + (classicMembers == 1 ? "speaks" : "speak") + " the classic protocol)")
                + (description.coordinator() == null ? "" : "; coordinator: broker " + description.coordinator().id()
                + " at " + description.coordinator().host() + ":" + description.coordinator().port()) + ".");
        out.println();
        printOffsets(out, committed, logEnd, owners);
        out.println();
        printMembers(out, description);
        return 0;
    }

    private void printOffsets(PrintWriter out, Map<TopicPartition, Long> committed, Map<TopicPartition, Long> logEnd,
                              Map<TopicPartition, MemberDescription> owners) {
        TreeMap<TopicPartition, Long> rows = new TreeMap<>(BY_TOPIC_THEN_PARTITION);
        committed.forEach(rows::put);
        owners.keySet().forEach(partition -> rows.putIfAbsent(partition, null));
        Table table = new Table("GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG",
                "CONSUMER-ID", "HOST", "CLIENT-ID");
        rows.forEach((partition, current) -> {
            Long end = logEnd.get(partition);
            Long lag = current == null || end == null ? null : Math.max(0, end - current);
            MemberDescription owner = owners.get(partition);
            table.row(group, partition.topic(), partition.partition(), current, end, lag,
                    owner == null ? null : owner.consumerId(), owner == null ? null : owner.host(),
                    owner == null ? null : owner.clientId());
        });
        table.print(out);
    }

    private static void printMembers(PrintWriter out, ConsumerGroupDescription description) {
        if (description.members().isEmpty()) {
            out.println("No active members.");
            return;
        }
        if (description.type() != GroupType.CONSUMER) {
            Table table = new Table("CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS", "ASSIGNMENT");
            description.members().stream()
                    .sorted(Comparator.comparing(MemberDescription::consumerId))
                    .forEach(member -> table.row(member.consumerId(), member.host(), member.clientId(),
                            member.assignment().topicPartitions().size(),
                            assignment(member.assignment().topicPartitions())));
            table.print(out);
            return;
        }
        // A consumer group may hold members of both protocols (a mixed group): say which each speaks.
        Table table = new Table("CONSUMER-ID", "HOST", "CLIENT-ID", "PROTOCOL", "#PARTITIONS", "ASSIGNMENT");
        description.members().stream()
                .sorted(Comparator.comparing(MemberDescription::consumerId))
                .forEach(member -> table.row(member.consumerId(), member.host(), member.clientId(),
                        member.upgraded().map(upgraded -> upgraded ? "consumer" : "classic").orElse(null),
                        member.assignment().topicPartitions().size(),
                        assignment(member.assignment().topicPartitions())));
        table.print(out);
    }

    /** "topic:0,1;other:3" — a member's partitions grouped by topic. */
    private static String assignment(Set<TopicPartition> partitions) {
        Map<String, TreeSet<Integer>> byTopic = new TreeMap<>();
        for (TopicPartition partition : partitions) {
            byTopic.computeIfAbsent(partition.topic(), topic -> new TreeSet<>()).add(partition.partition());
        }
        if (byTopic.isEmpty()) {
            return null;
        }
        return byTopic.entrySet().stream()
                .map(entry -> entry.getKey() + ":" + entry.getValue().stream().map(String::valueOf)
                        .collect(Collectors.joining(",")))
                .collect(Collectors.joining(";"));
    }
}
