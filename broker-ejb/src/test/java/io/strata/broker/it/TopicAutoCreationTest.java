package io.strata.broker.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code auto.create.topics.enable}: a producer writing to a topic that does not exist creates it with
 * {@code num.partitions}, as with Kafka; with the setting off the topic stays unknown and the producer says so.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class TopicAutoCreationTest {

    @TempDir
    Path dir;

    @Test
    void aProducerCreatesAnUnknownTopicWithTheDefaultPartitionCount() throws Exception {
        try (TestBroker broker = TestBroker.start(dir, Map.of("num.partitions", 3))) {
            try (KafkaProducer<String, String> producer = broker.producer(Map.of())) {
                assertThat(producer.send(new ProducerRecord<>("made-on-demand", "k", "v")).get().offset()).isZero();
            }
            try (Admin admin = broker.admin()) {
                assertThat(admin.describeTopics(List.of("made-on-demand")).allTopicNames().get()
                        .get("made-on-demand").partitions()).hasSize(3);
                assertThat(admin.listTopics().names().get()).contains("made-on-demand");
            }
        }
    }

    @Test
    void withAutoCreationOffTheTopicStaysUnknown() throws Exception {
        try (TestBroker broker = TestBroker.start(dir, Map.of("auto.create.topics.enable", false))) {
            try (KafkaProducer<String, String> producer = broker.producer(Map.of(ProducerConfig.MAX_BLOCK_MS_CONFIG,
                    2000))) {
                assertThatThrownBy(() -> producer.send(new ProducerRecord<>("never-made", "k", "v")).get())
                        .isInstanceOfAny(TimeoutException.class, ExecutionException.class)
                        .hasMessageContaining("never-made");
            }
            try (Admin admin = broker.admin()) {
                assertThat(admin.listTopics().names().get()).doesNotContain("never-made");
                assertThatThrownBy(() -> admin.describeTopics(List.of("never-made")).allTopicNames().get())
                        .hasCauseInstanceOf(UnknownTopicOrPartitionException.class);
            }
        }
    }
}
