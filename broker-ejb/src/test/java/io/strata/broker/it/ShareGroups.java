package io.strata.broker.it;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the share-group tests share: broker settings that let a test see lock expiry and delivery limits in seconds,
 * share consumers as kafka-clients 4.3.1 makes them, group configs set through Admin, and a poll loop. Stateless.
 */
final class ShareGroups {

    /**
     * Broker settings under which a group may hold records for 1 s and heartbeat every second: Kafka's minimums
     * (15 s locks, 5 s heartbeats) would make every test of expiry take a minute.
     */
    static final Map<String, Object> FAST_SHARE_GROUPS = Map.of(
            "group.share.min.record.lock.duration.ms", 1000,
            "group.share.min.heartbeat.interval.ms", 500,
            "group.share.heartbeat.interval.ms", 1000);

    private ShareGroups() {
    }

    static Properties consumerProperties(String bootstrapServers, String group, String acknowledgementMode) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        properties.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        properties.put("share.acknowledgement.mode", acknowledgementMode);
        return properties;
    }

    static KafkaShareConsumer<String, String> consumer(String bootstrapServers, String group, String mode,
                                                       Map<String, Object> overrides) {
        Properties properties = consumerProperties(bootstrapServers, group, mode);
        properties.putAll(overrides);
        return new KafkaShareConsumer<>(properties);
    }

    /** Sets group configs of {@code group} (share.auto.offset.reset, share.record.lock.duration.ms, ...). */
    static void configure(Admin admin, String group, Map<String, String> configs) throws Exception {
        List<AlterConfigOp> ops = new ArrayList<>();
        configs.forEach((name, value) -> ops.add(new AlterConfigOp(new ConfigEntry(name, value),
                AlterConfigOp.OpType.SET)));
        admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.GROUP, group), ops)).all()
                .get(30, TimeUnit.SECONDS);
    }

    /** Polls {@code consumers} in turn, collecting what they get, until {@code done} holds for what was collected. */
    static List<ConsumerRecord<String, String>> pollUntil(List<KafkaShareConsumer<String, String>> consumers,
                                                          List<List<ConsumerRecord<String, String>>> perConsumer,
                                                          Predicate<List<ConsumerRecord<String, String>>> done,
                                                          Duration atMost) {
        List<ConsumerRecord<String, String>> all = new ArrayList<>();
        long deadline = System.nanoTime() + atMost.toNanos();
        while (!done.test(all)) {
            assertThat(System.nanoTime()).as("records in time; got " + all.size()).isLessThan(deadline);
            for (int i = 0; i < consumers.size(); i++) {
                for (ConsumerRecord<String, String> record : consumers.get(i).poll(Duration.ofMillis(100))) {
                    all.add(record);
                    if (perConsumer != null) {
                        perConsumer.get(i).add(record);
                    }
                }
            }
        }
        return all;
    }

    /** Writes {@code count} records {@code k<i>}/{@code job-<i>} to partition 0 of {@code jobs}, acks=all. */
    static void produceJobs(String bootstrapServers, int count) {
        Map<String, Object> config = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all", ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                StringSerializer.class.getName(), ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(config)) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>("jobs", 0, "k" + i, "job-" + i));
            }
            producer.flush();
        }
    }

    /** The broker that leads partition 0 of {@code jobs} in the cluster. */
    static int leaderOfJobs(BrokerProcesses brokers) throws Exception {
        try (Admin admin = brokers.admin()) {
            TopicDescription description = admin.describeTopics(List.of("jobs")).allTopicNames()
                    .get(30, TimeUnit.SECONDS).get("jobs");
            return description.partitions().get(0).leader().id();
        }
    }
}
