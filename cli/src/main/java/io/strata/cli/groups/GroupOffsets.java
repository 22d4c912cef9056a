package io.strata.cli.groups;

import io.strata.cli.Await;
import io.strata.cli.CliException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec;
import org.apache.kafka.clients.admin.ShareGroupDescription;
import org.apache.kafka.clients.admin.SharePartitionOffsetInfo;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.GroupType;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The Admin look-ups the group commands share: a group's description, its committed offsets, and the partitions'
 * earliest, latest or by-time offsets. Partitions that vanished (their topic was deleted) are left out of offset
 * answers instead of failing the whole command.
 *
 * <p>Stateless; thread-safe.
 */
final class GroupOffsets {

    private GroupOffsets() {
    }

    /**
     * The kind of group {@code group} is (classic, consumer or share), as ListGroups names it; null when the broker
     * lists no such group. A classic group that only commits offsets (no members ever) is listed as classic.
     */
    static GroupType typeOf(Admin admin, String group) {
        for (GroupListing listing : Await.result(admin.listGroups(new ListGroupsOptions()).all())) {
            if (listing.groupId().equals(group)) {
                return listing.type().orElse(GroupType.CLASSIC);
            }
        }
        return null;
    }

    /** Whether {@code group} is a share group; false for other kinds and for groups the broker does not list. */
    static boolean isShareGroup(Admin admin, String group) {
        return typeOf(admin, group) == GroupType.SHARE;
    }

    /** The share group's description; fails as an unknown group when there is none. */
    static ShareGroupDescription describeShareGroup(Admin admin, String group) {
        try {
            ShareGroupDescription description =
                    Await.result(admin.describeShareGroups(List.of(group)).describedGroups().get(group));
            if (description.groupState() == GroupState.DEAD) {
                throw CliException.unknownGroup(group, null);
            }
            return description;
        } catch (GroupIdNotFoundException e) {
            throw CliException.unknownGroup(group, e);
        }
    }

    /** The share group's start offset (and lag, where the broker gives one) on each partition it has state for. */
    static Map<TopicPartition, SharePartitionOffsetInfo> shareOffsets(Admin admin, String group) {
        Map<TopicPartition, SharePartitionOffsetInfo> offsets = Await.result(admin.listShareGroupOffsets(
                Map.of(group, new ListShareGroupOffsetsSpec())).partitionsToOffsetInfo(group));
        Map<TopicPartition, SharePartitionOffsetInfo> known = new HashMap<>();
        offsets.forEach((partition, info) -> {
            if (info != null && info.startOffset() >= 0) {
                known.put(partition, info);
            }
        });
        return known;
    }

    /** The group's description, or null when the broker knows no such group. */
    static ConsumerGroupDescription describe(Admin admin, String group) {
        try {
            ConsumerGroupDescription description =
                    Await.result(admin.describeConsumerGroups(List.of(group)).describedGroups().get(group));
            boolean dead = description.groupState() == GroupState.DEAD;
            return dead ? null : description;
        } catch (GroupIdNotFoundException e) {
            return null;
        }
    }

    static ConsumerGroupDescription describeExisting(Admin admin, String group) {
        ConsumerGroupDescription description = describe(admin, group);
        if (description == null) {
            throw CliException.unknownGroup(group, null);
        }
        return description;
    }

    /** The group's committed offsets; partitions without one are left out. */
    static Map<TopicPartition, Long> committed(Admin admin, String group) {
        Map<TopicPartition, OffsetAndMetadata> offsets =
                Await.result(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata());
        Map<TopicPartition, Long> committed = new HashMap<>();
        offsets.forEach((partition, offset) -> {
            if (offset != null) {
                committed.put(partition, offset.offset());
            }
        });
        return committed;
    }

    /** The offset each partition has for {@code spec}; -1 where the broker has none (a time past the last record). */
    static Map<TopicPartition, Long> offsets(Admin admin, Collection<TopicPartition> partitions, OffsetSpec spec) {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        for (TopicPartition partition : partitions) {
            request.put(partition, spec);
        }
        Map<TopicPartition, KafkaFuture<ListOffsetsResultInfo>> futures = new HashMap<>();
        ListOffsetsResult result = admin.listOffsets(request);
        for (TopicPartition partition : partitions) {
            futures.put(partition, result.partitionResult(partition));
        }
        Map<TopicPartition, Long> offsets = new HashMap<>();
        futures.forEach((partition, future) -> {
            try {
                offsets.put(partition, Await.result(future).offset());
            } catch (UnknownTopicOrPartitionException e) {
                // The topic was deleted since the group committed to it: nothing to report for this partition.
            }
        });
        return offsets;
    }
}
