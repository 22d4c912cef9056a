package io.strata.broker.compat;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.AppInfoParser;
import org.apache.kafka.common.utils.Utils;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;

/**
 * The things users rely on, as a program any kafka-clients version from 3.9 on can run: it uses only API both 3.9
 * and 4.x have. A test runs it in its own JVM against Strata, once with kafka-clients 3.9 on the classpath. Prints
 * {@code PASS <scenario>} for each, or {@code FAIL <scenario>: <why>} and exits 1.
 *
 * <p>Argument: bootstrap servers.
 */
public final class ClientScenarios {

    private final String bootstrap;
    private final String prefix;

    private ClientScenarios(String bootstrap) {
        this.bootstrap = bootstrap;
        this.prefix = "v" + AppInfoParser.getVersion().replace('.', '_') + "-";
    }

    public static void main(String[] args) {
        ClientScenarios scenarios = new ClientScenarios(args[0]);
        System.out.println("CLIENT " + AppInfoParser.getVersion());
        String current = "start";
        try {
            current = "topics";
            scenarios.topics();
            current = "produce-consume";
            scenarios.produceConsume();
            current = "groups";
            scenarios.groups();
            current = "times";
            scenarios.times();
            current = "too-large";
            scenarios.tooLarge();
            current = "configs";
            scenarios.configs();
        } catch (Exception | AssertionError e) {
            System.out.println("FAIL " + current + ": " + e);
            System.out.flush();
            System.exit(1);
        }
        System.out.println("ALL PASSED");
    }

    private static void check(boolean condition, String message) {
        if (!condition) {
            throw new AssertionError(message);
        }
    }

    private static void pass(String scenario) {
        System.out.println("PASS " + scenario);
    }

    private Admin admin() {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return Admin.create(properties);
    }

    private KafkaProducer<String, String> producer(Map<String, Object> extra) {
        Properties properties = new Properties();
        properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        properties.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        properties.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        properties.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        properties.put(ProducerConfig.ACKS_CONFIG, "all");
        properties.putAll(extra);
        return new KafkaProducer<>(properties);
    }

    private KafkaConsumer<String, String> consumer(String group) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        if (group != null) {
            properties.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        }
        return new KafkaConsumer<>(properties);
    }

    private void topics() throws Exception {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(prefix + "topic", 3, (short) 1))).all().get();
            TopicDescription description = admin.describeTopics(List.of(prefix + "topic")).allTopicNames().get()
                    .get(prefix + "topic");
            check(description.partitions().size() == 3, "3 partitions expected, got " + description.partitions());
            check(admin.listTopics().names().get().contains(prefix + "topic"), "listTopics misses the topic");
            check(admin.describeCluster().nodes().get().size() == 1, "one node expected");
            admin.createTopics(List.of(new NewTopic(prefix + "doomed", 1, (short) 1))).all().get();
            admin.deleteTopics(List.of(prefix + "doomed")).all().get();
            check(!admin.listTopics().names().get().contains(prefix + "doomed"), "deleted topic still listed");
        }
        pass("topics");
    }

    private void produceConsume() throws Exception {
        String topic = prefix + "topic";
        try (KafkaProducer<String, String> producer = producer(Map.of(ProducerConfig.COMPRESSION_TYPE_CONFIG, "gzip",
                ProducerConfig.LINGER_MS_CONFIG, 5))) {
            for (int i = 0; i < 300; i++) {
                String key = "key-" + (i % 30);
                ProducerRecord<String, String> record = new ProducerRecord<>(topic, null, key, "value-" + i,
                        List.of(new RecordHeader("n", String.valueOf(i).getBytes(StandardCharsets.UTF_8))));
                RecordMetadata metadata = producer.send(record).get();
                int expected = Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % 3;
                check(metadata.partition() == expected, key + " went to " + metadata.partition() + ", not " + expected);
            }
        }
        try (KafkaConsumer<String, String> consumer = consumer(null)) {
            List<TopicPartition> partitions = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1),
                    new TopicPartition(topic, 2));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            List<ConsumerRecord<String, String>> records = poll(consumer, 300);
            check(records.size() == 300, "300 records expected, got " + records.size());
            Map<Integer, Integer> lastSeen = new java.util.HashMap<>();
            for (ConsumerRecord<String, String> record : records) {
                int n = Integer.parseInt(new String(record.headers().lastHeader("n").value(), StandardCharsets.UTF_8));
                check(record.value().equals("value-" + n), "header and value disagree: " + record);
                Integer previous = lastSeen.put(record.partition(), n);
                check(previous == null || previous < n, "partition " + record.partition() + " out of order");
            }
        }
        pass("produce-consume");
    }

    private void groups() throws Exception {
        String topic = prefix + "topic";
        String group = prefix + "group";
        Set<String> seen = new HashSet<>();
        try (KafkaConsumer<String, String> first = consumer(group); KafkaConsumer<String, String> second = consumer(group)) {
            first.subscribe(List.of(topic));
            second.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 60_000;
            while ((seen.size() < 300 || first.assignment().isEmpty() || second.assignment().isEmpty()
                    || !caughtUp(first) || !caughtUp(second)) && System.currentTimeMillis() < deadline) {
                for (KafkaConsumer<String, String> consumer : List.of(first, second)) {
                    consumer.poll(Duration.ofMillis(100)).forEach(r -> seen.add(r.value()));
                }
            }
            check(seen.size() == 300, "the group saw " + seen.size() + " of 300 records");
            Set<TopicPartition> overlap = new HashSet<>(first.assignment());
            overlap.retainAll(second.assignment());
            check(overlap.isEmpty(), "members share partitions " + overlap);
            check(first.assignment().size() + second.assignment().size() == 3, "not every partition assigned");
            first.commitSync();
            second.commitSync();
        }
        try (Admin admin = admin()) {
            Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> offsets =
                    admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            long committed = offsets.values().stream().mapToLong(o -> o.offset()).sum();
            check(committed == 300, "committed offsets sum to " + committed + ", not 300");
            check(admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get().members().isEmpty(),
                    "the group should have no members after they closed");
        }
        try (KafkaProducer<String, String> producer = producer(Map.of())) {
            producer.send(new ProducerRecord<>(topic, 0, "late", "late-record")).get();
        }
        try (KafkaConsumer<String, String> consumer = consumer(group)) {
            consumer.subscribe(List.of(topic));
            List<ConsumerRecord<String, String>> records = poll(consumer, 1);
            check(records.size() == 1 && records.get(0).value().equals("late-record"),
                    "resuming from committed offsets should give only the new record, got " + records.size());
        }
        pass("groups");
    }

    private void times() throws Exception {
        String topic = prefix + "times";
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
        long base = System.currentTimeMillis() - 50_000;
        try (KafkaProducer<String, String> producer = producer(Map.of())) {
            for (int i = 0; i < 50; i++) {
                producer.send(new ProducerRecord<>(topic, 0, base + i * 1000L, null, "at-" + i)).get();
            }
        }
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaConsumer<String, String> consumer = consumer(null)) {
            consumer.assign(List.of(tp));
            OffsetAndTimestamp found = consumer.offsetsForTimes(Map.of(tp, base + 20_500L)).get(tp);
            check(found != null && found.offset() == 21, "offsetsForTimes gave " + found);
            consumer.seek(tp, 45);
            List<ConsumerRecord<String, String>> tail = poll(consumer, 5);
            check(tail.size() == 5 && tail.get(0).value().equals("at-45"), "seek read " + tail);
        }
        pass("times");
    }

    private void tooLarge() throws Exception {
        String topic = prefix + "small";
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of("max.message.bytes", "5000"))))
                    .all().get();
        }
        try (KafkaProducer<String, String> producer = producer(Map.of())) {
            try {
                producer.send(new ProducerRecord<>(topic, "k", "x".repeat(20_000))).get();
                check(false, "a record over max.message.bytes was accepted");
            } catch (ExecutionException e) {
                check(e.getCause() instanceof RecordTooLargeException, "expected RecordTooLargeException, got "
                        + e.getCause());
            }
        }
        pass("too-large");
    }

    private void configs() throws Exception {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, prefix + "topic");
        try (Admin admin = admin()) {
            admin.incrementalAlterConfigs(Map.of(resource, List.of(new AlterConfigOp(
                    new ConfigEntry("retention.ms", "86400000"), AlterConfigOp.OpType.SET)))).all().get();
            String value = admin.describeConfigs(List.of(resource)).all().get().get(resource).get("retention.ms")
                    .value();
            check(value.equals("86400000"), "retention.ms reads back as " + value);
        }
        pass("configs");
    }

    /** Whether the consumer's position is at the end of every partition it is assigned. */
    private static boolean caughtUp(KafkaConsumer<String, String> consumer) {
        Set<TopicPartition> assigned = consumer.assignment();
        Map<TopicPartition, Long> ends = consumer.endOffsets(assigned);
        for (TopicPartition tp : assigned) {
            if (consumer.position(tp) < ends.get(tp)) {
                return false;
            }
        }
        return true;
    }

    private static List<ConsumerRecord<String, String>> poll(KafkaConsumer<String, String> consumer, int expected) {
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        long deadline = System.currentTimeMillis() + 30_000;
        while (records.size() < expected && System.currentTimeMillis() < deadline) {
            consumer.poll(Duration.ofMillis(100)).forEach(records::add);
        }
        return records;
    }
}
