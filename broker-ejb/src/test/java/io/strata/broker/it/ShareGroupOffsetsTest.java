package io.strata.broker.it;

import io.strata.broker.config.BrokerConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListShareGroupOffsetsSpec;
import org.apache.kafka.clients.admin.SharePartitionOffsetInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Admin's listShareGroupOffsets, alterShareGroupOffsets and deleteShareGroupOffsets against a broker: the offsets an
 * operator sets are the share partitions' start offsets in {@code __share_group_state}, and a group with members
 * refuses changes with NON_EMPTY_GROUP.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ShareGroupOffsetsTest {

    private static final String GROUP = "invoices";

    @TempDir
    Path dir;
    private TestBroker broker;
    private final Set<String> groupsWithMembers = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @BeforeEach
    void start() {
        broker = TestBroker.start(dir, Map.of(BrokerConfig.SHARE_STATE_TOPIC_NUM_PARTITIONS, 3));
        broker.server().useShareGroupMembership(groupsWithMembers::contains,
                group -> Set.of(new TopicPartition("ledger", 0), new TopicPartition("ledger", 1)));
        broker.createTopic("ledger", 2, Map.of());
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    private static Map<TopicPartition, SharePartitionOffsetInfo> list(Admin admin, ListShareGroupOffsetsSpec spec)
            throws Exception {
        return admin.listShareGroupOffsets(Map.of(GROUP, spec)).partitionsToOffsetInfo(GROUP)
                .get(30, TimeUnit.SECONDS);
    }

    @Test
    void alteredOffsetsAreListedAndDeletedOnesAreGone() throws Exception {
        TopicPartition first = new TopicPartition("ledger", 0);
        TopicPartition second = new TopicPartition("ledger", 1);
        try (Admin admin = broker.admin()) {
            admin.alterShareGroupOffsets(GROUP, Map.of(first, 42L, second, 7L)).all().get(30, TimeUnit.SECONDS);

            Map<TopicPartition, SharePartitionOffsetInfo> named = list(admin,
                    new ListShareGroupOffsetsSpec().topicPartitions(List.of(first)));
            assertThat(named).containsOnlyKeys(first);
            assertThat(named.get(first).startOffset()).isEqualTo(42);
            Map<TopicPartition, SharePartitionOffsetInfo> all = list(admin, new ListShareGroupOffsetsSpec());
            assertThat(all.get(first).startOffset()).isEqualTo(42);
            assertThat(all.get(second).startOffset()).as("the group's partitions, when none are named")
                    .isEqualTo(7);

            admin.alterShareGroupOffsets(GROUP, Map.of(first, 50L)).all().get(30, TimeUnit.SECONDS);
            assertThat(list(admin, new ListShareGroupOffsetsSpec()).get(first).startOffset()).isEqualTo(50);

            admin.deleteShareGroupOffsets(GROUP, Set.of("ledger")).all().get(30, TimeUnit.SECONDS);
            Map<TopicPartition, SharePartitionOffsetInfo> deleted = list(admin, new ListShareGroupOffsetsSpec());
            assertThat(deleted.get(first)).as("no state: no offset").isNull();
            assertThat(deleted.get(second)).isNull();
        }
    }

    @Test
    void aGroupWithMembersRefusesAlterAndDelete() throws Exception {
        TopicPartition first = new TopicPartition("ledger", 0);
        try (Admin admin = broker.admin()) {
            admin.alterShareGroupOffsets(GROUP, Map.of(first, 3L)).all().get(30, TimeUnit.SECONDS);
            groupsWithMembers.add(GROUP);

            assertThatThrownBy(() -> admin.alterShareGroupOffsets(GROUP, Map.of(first, 9L)).all()
                    .get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(GroupNotEmptyException.class);
            assertThatThrownBy(() -> admin.deleteShareGroupOffsets(GROUP, Set.of("ledger")).all()
                    .get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(GroupNotEmptyException.class);
            assertThat(list(admin, new ListShareGroupOffsetsSpec()).get(first).startOffset())
                    .as("unchanged").isEqualTo(3);
        }
    }

    @Test
    void anUnknownTopicIsRefusedWithUnknownTopicOrPartition() throws Exception {
        try (Admin admin = broker.admin()) {
            assertThatThrownBy(() -> admin.alterShareGroupOffsets(GROUP, Map.of(new TopicPartition("missing", 0),
                    1L)).all().get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(UnknownTopicOrPartitionException.class);
            assertThatThrownBy(() -> admin.deleteShareGroupOffsets(GROUP, Set.of("missing")).all()
                    .get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(UnknownTopicOrPartitionException.class);
        }
    }
}
