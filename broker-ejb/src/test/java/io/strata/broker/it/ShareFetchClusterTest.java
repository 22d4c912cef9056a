package io.strata.broker.it;

import io.strata.broker.metadata.PartitionAssignment;
import io.strata.broker.metadata.TopicImage;
import io.strata.broker.share.AutoOffsetReset;
import io.strata.broker.share.InMemorySharePersister;
import io.strata.broker.share.ShareGroupSettings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.message.ShareFetchResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ShareFetchResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Share fetches across two brokers sharing one share-state store (as they share the share coordinator): a broker
 * names the leader of a partition it does not lead, and a new leader carries on from what was acknowledged,
 * delivering again what was only acquired.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ShareFetchClusterTest {

    private static final String GROUP = "workers";

    @TempDir
    Path dir;
    TestCluster cluster;
    final InMemorySharePersister persister = new InMemorySharePersister();

    @BeforeEach
    void startCluster() throws Exception {
        cluster = TestCluster.start(dir, 2, Map.of(), broker -> broker.serveShareGroups(persister, group ->
                new ShareGroupSettings(30_000, 5, AutoOffsetReset.EARLIEST, IsolationLevel.READ_UNCOMMITTED)));
    }

    @AfterEach
    void stopCluster() {
        cluster.close();
    }

    @Test
    void aPartitionLedElsewhereIsNotLeaderOrFollowerWithItsCurrentLeader() throws Exception {
        createTopic("split", 4, (short) 1);
        TestBroker asked = cluster.broker(1);
        int partition = partitionLedBy(asked, "split", 2);
        TopicIdPartition elsewhere = new TopicIdPartition(topic(asked, "split").id(), partition, "split");

        try (ShareMember member = new ShareMember(asked.bootstrapServers(), GROUP, elsewhere)) {
            ShareFetchResponse response = member.send(member.fetchRequest(List.of(elsewhere), Map.of(), 10, 0));

            ShareFetchResponseData.PartitionData answer = response.data().responses().find(elsewhere.topicId())
                    .partitions().get(0);
            assertThat(answer.errorCode()).isEqualTo(Errors.NOT_LEADER_OR_FOLLOWER.code());
            assertThat(answer.currentLeader().leaderId()).isEqualTo(2);
            assertThat(answer.currentLeader().leaderEpoch()).isGreaterThanOrEqualTo(0);
            assertThat(response.data().nodeEndpoints()).singleElement().satisfies(node -> {
                assertThat(node.nodeId()).isEqualTo(2);
                assertThat(node.host() + ":" + node.port()).isEqualTo(cluster.broker(2).bootstrapServers());
            });
        }
    }

    @Test
    void aNewLeaderDeliversAgainWhatWasAcquiredButNotWhatWasAcknowledged() throws Exception {
        createTopic("failover", 1, (short) 2);
        try (KafkaProducer<String, String> producer = cluster.producer()) {
            for (int i = 0; i < 6; i++) {
                producer.send(new ProducerRecord<>("failover", "job-" + i)).get(30, TimeUnit.SECONDS);
            }
        }
        TestBroker first = cluster.broker(1);
        int leaderId = topic(first, "failover").partition(0).leader();
        TestBroker leader = cluster.broker(leaderId);
        TestBroker successor = cluster.broker(leaderId == 1 ? 2 : 1);
        TopicIdPartition jobs = new TopicIdPartition(topic(leader, "failover").id(), 0, "failover");
        // Both replicas hold every record before the leader goes.
        await().atMost(Duration.ofSeconds(30)).until(() -> successor.server().replicaManager()
                .partition(jobs.topicPartition()).log().logEndOffset() == 6);

        try (ShareMember member = new ShareMember(leader.bootstrapServers(), GROUP, jobs)) {
            assertThat(member.fetch(List.of(jobs), Map.of(), 10, 0).acquiredRecords()).singleElement()
                    .satisfies(r -> assertThat(r.lastOffset()).isEqualTo(5));
            assertThat(member.acknowledge(0, 2, (byte) 1).responses().find(jobs.topicId()).partitions().get(0)
                    .errorCode()).isEqualTo(Errors.NONE.code());
        }
        leader.stop();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            PartitionAssignment now = topic(successor, "failover").partition(0);
            return now.leader() == successor.server().config().nodeId && successor.server().replicaManager()
                    .partition(jobs.topicPartition()).isLeader();
        });

        try (ShareMember member = new ShareMember(successor.bootstrapServers(), GROUP, jobs)) {
            ShareFetchResponseData.PartitionData redelivered = member.fetch(List.of(jobs), Map.of(), 10, 0);

            assertThat(redelivered.acquiredRecords()).singleElement().satisfies(r -> {
                assertThat(r.firstOffset()).isEqualTo(3);
                assertThat(r.lastOffset()).isEqualTo(5);
                assertThat(r.deliveryCount()).isEqualTo((short) 2);
            });
        }
    }

    private void createTopic(String name, int partitions, short replicas) throws Exception {
        try (Admin admin = cluster.admin()) {
            admin.createTopics(List.of(new NewTopic(name, partitions, replicas))).all().get(30, TimeUnit.SECONDS);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> cluster.brokers().stream().allMatch(broker -> {
            TopicImage topic = topic(broker, name);
            return topic != null && topic.partitions().stream().allMatch(p -> p.leader() >= 0
                    && cluster.broker(p.leader()).server().replicaManager()
                    .partition(new org.apache.kafka.common.TopicPartition(name, topic.partitions().indexOf(p)))
                    != null);
        }));
    }

    private static TopicImage topic(TestBroker broker, String name) {
        return broker.server().controller().image().topic(name);
    }

    private static int partitionLedBy(TestBroker seenBy, String name, int leaderId) {
        TopicImage topic = topic(seenBy, name);
        for (int p = 0; p < topic.partitionCount(); p++) {
            if (topic.partition(p).leader() == leaderId) {
                return p;
            }
        }
        throw new AssertionError("broker " + leaderId + " leads no partition of " + name + ": " + topic);
    }
}
