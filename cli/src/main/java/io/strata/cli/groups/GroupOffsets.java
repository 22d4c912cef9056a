package io.strata.cli.groups;

import io.strata.cli.Await;
import io.strata.cli.CliException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.GroupState;
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
