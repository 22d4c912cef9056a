package io.strata.broker.share;

import io.strata.broker.it.TestBroker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What storing the delivery bound costs a steady share consumer: one broker in this JVM, one partition of
 * {@code records} records of 100 bytes, and a kafka-clients {@code KafkaShareConsumer} (implicit acknowledgement,
 * {@code max.poll.records} 500) that reads all of them, in a new share group each time, with the bound stored before
 * delivery and without (as Kafka's share partitions run), alternating, after one unreported warm-up of each. Prints,
 * per run, records per second from the first record to the last, and the share-state writes of the group from its
 * start (its first write included) per 1000 records; then the median records per second of each.
 *
 * <p>Run from broker-ejb with the test classpath: {@code java -cp <test classpath>
 * io.strata.broker.share.DeliveryBoundCost [records] [rounds]} (defaults 200000 and 5).
 */
public final class DeliveryBoundCost {

    private static final String TOPIC = "bench";

    private DeliveryBoundCost() {
    }

    public static void main(String[] args) throws Exception {
        int records = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Path dir = Files.createTempDirectory("delivery-bound-cost");
        TestBroker broker = new TestBroker(dir, Map.of());
        CountingPersister persister = new CountingPersister(broker);
        broker.serveShareGroups(persister, null);
        broker.start();
        try {
            broker.createTopic(TOPIC, 1, Map.of());
            produce(broker, records);
            List<Double> withBound = new java.util.ArrayList<>();
            List<Double> without = new java.util.ArrayList<>();
            for (int round = 0; round <= rounds; round++) {
                // Each goes first in every other round, so that neither always runs on a warmer JVM.
                boolean[] order = round % 2 == 0 ? new boolean[] {true, false} : new boolean[] {false, true};
                for (boolean stored : order) {
                    broker.server().shareServing().partitions().storeBeforeDelivery(stored);
                    String group = "bench-" + (stored ? "bound" : "kafka") + "-" + round;
                    double perSecond = consume(broker, persister, group, records, stored, round > 0);
                    if (round > 0) {
                        (stored ? withBound : without).add(perSecond);
                    }
                }
            }
            System.out.printf("median records/s: bound stored before delivery %.0f, without %.0f%n",
                    median(withBound), median(without));
        } finally {
            broker.close();
        }
    }

    private static void produce(TestBroker broker, int records) {
        String value = "v".repeat(100);
        try (KafkaProducer<String, String> producer = broker.producer(Map.of("linger.ms", 5, "batch.size", 65_536))) {
            for (int i = 0; i < records; i++) {
                producer.send(new ProducerRecord<>(TOPIC, 0, null, value));
            }
            producer.flush();
        }
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }

    /** Reads every record in a new group; returns records per second, and prints them when {@code report}. */
    private static double consume(TestBroker broker, CountingPersister persister, String group, int records,
                                  boolean stored, boolean report) throws Exception {
        try (Admin admin = broker.admin()) {
            admin.incrementalAlterConfigs(Map.of(new ConfigResource(ConfigResource.Type.GROUP, group), List.of(
                    new AlterConfigOp(new ConfigEntry("share.auto.offset.reset", "earliest"),
                            AlterConfigOp.OpType.SET)))).all().get(30, TimeUnit.SECONDS);
        }
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        properties.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        properties.put("share.acknowledgement.mode", "implicit");
        long writesBefore = persister.writes.get();
        try (KafkaShareConsumer<byte[], byte[]> consumer = new KafkaShareConsumer<>(properties)) {
            consumer.subscribe(List.of(TOPIC));
            long received = 0;
            long startNanos = 0;
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (received < records) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(group + " received " + received + " of " + records);
                }
                ConsumerRecords<byte[], byte[]> got = consumer.poll(Duration.ofMillis(500));
                if (received == 0 && got.count() > 0) {
                    startNanos = System.nanoTime();
                }
                received += got.count();
            }
            consumer.commitSync();
            double perSecond = received / ((System.nanoTime() - startNanos) / 1e9);
            long writes = persister.writes.get() - writesBefore;
            if (report) {
                System.out.printf("%-16s bound stored before delivery: %-5s %8.0f records/s  %6d state writes"
                        + " (%.3f per 1000 records)%n", group, stored, perSecond, writes, writes * 1000.0 / received);
            }
            return perSecond;
        }
    }

    /** The broker's own share-state persister, counting the writes. Thread-safe. */
    private static final class CountingPersister implements SharePersister {
        final AtomicLong writes = new AtomicLong();
        private final TestBroker broker;

        CountingPersister(TestBroker broker) {
            this.broker = broker;
        }

        private SharePersister live() {
            return broker.server().sharePersister();
        }

        @Override
        public CompletableFuture<Errors> initialize(String groupId, Uuid topicId, int partition,
                                                   SharePartitionState state) {
            return live().initialize(groupId, topicId, partition, state);
        }

        @Override
        public CompletableFuture<ReadResult> read(String groupId, Uuid topicId, int partition, int leaderEpoch) {
            return live().read(groupId, topicId, partition, leaderEpoch);
        }

        @Override
        public CompletableFuture<Errors> write(String groupId, Uuid topicId, int partition, int leaderEpoch,
                                              SharePartitionState state) {
            writes.incrementAndGet();
            return live().write(groupId, topicId, partition, leaderEpoch, state);
        }

        @Override
        public CompletableFuture<Summary> readSummary(String groupId, Uuid topicId, int partition) {
            return live().readSummary(groupId, topicId, partition);
        }

        @Override
        public CompletableFuture<Errors> delete(String groupId, Uuid topicId, int partition) {
            return live().delete(groupId, topicId, partition);
        }
    }
}
