package io.strata.broker.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A leader's disk fails under acks=all writes while its broker keeps running (it has another log directory): the
 * broker reports its replicas offline, the controller moves leadership to another in-sync replica, writes go on, and
 * every acknowledged record is read back once, in order.
 */
@Timeout(600)
class LogDirectoryFailureClusterTest {

    @TempDir
    Path dir;

    @Test
    void aLeaderWhoseLogDirectoryFailsHandsItsPartitionToAnotherInSyncReplica() throws Exception {
        TestCluster cluster = TestCluster.start(dir, 3, Map.of("log.dirs", "${broker.dir}/a,${broker.dir}/b",
                "default.replication.factor", 3, "min.insync.replicas", 2));
        try (Admin admin = cluster.admin();
             KafkaProducer<String, String> producer = cluster.producer(Map.of(ProducerConfig.ACKS_CONFIG, "all",
                     ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true))) {
            admin.createTopics(List.of(new NewTopic("disk", 1, (short) 3))).all().get(30, TimeUnit.SECONDS);
            List<String> acknowledged = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                producer.send(new ProducerRecord<>("disk", "k", "before-" + i)).get(30, TimeUnit.SECONDS);
                acknowledged.add("before-" + i);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> describe(admin).partitions().get(0).isr().size() == 3);
            int leader = describe(admin).partitions().get(0).leader().id();
            TestBroker failing = cluster.broker(leader);

            for (TestBroker broker : cluster.brokers()) {
                // The failure this test causes is logged as the error it is, by every broker's shared log handler.
                broker.acceptLoggedErrors(line -> line.contains("offline") || line.contains("injected")
                        || line.contains("no longer served from this broker"));
            }
            failing.server().replicaManager().partition(new TopicPartition("disk", 0)).log().health()
                    .fail("Flushing disk-0", new IOException("Input/output error (injected)"));

            await().atMost(Duration.ofSeconds(30)).until(() -> {
                Node now = describe(admin).partitions().get(0).leader();
                return now != null && now.id() != leader
                        && describe(admin).partitions().get(0).isr().stream().noneMatch(n -> n.id() == leader);
            });
            for (int i = 0; i < 20; i++) {
                producer.send(new ProducerRecord<>("disk", "k", "after-" + i)).get(30, TimeUnit.SECONDS);
                acknowledged.add("after-" + i);
            }

            assertThat(cluster.readAll("disk", acknowledged.size())).containsExactlyElementsOf(acknowledged);
            assertThat(failing.server().stoppedBecause()).as("its other log directory still serves").isNull();
        } finally {
            cluster.close();
        }
    }

    private static TopicDescription describe(Admin admin) throws Exception {
        return admin.describeTopics(List.of("disk")).allTopicNames().get(10, TimeUnit.SECONDS).get("disk");
    }
}
