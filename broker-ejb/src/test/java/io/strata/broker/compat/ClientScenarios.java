package io.strata.broker.compat;

import io.strata.broker.it.GroupMemberProcess;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.AppInfoParser;
import org.apache.kafka.common.utils.Utils;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The things users rely on, as a program any kafka-clients version from 3.9 on can run: it uses only API both 3.9
 * and 4.x have. A test runs it in its own JVM against Strata, once with kafka-clients 3.9 on the classpath and once
 * with 4.3. Prints {@code PASS <scenario>} for each, or {@code FAIL <scenario>: <why>} and exits 1.
 *
 * <p>What only the test can do, it is asked for on standard output with a line {@code ASK <what>}, and the test
 * answers {@code OK} on standard input once done: {@code ASK restart} restarts the broker,
 * {@code ASK lose-produce-responses N} makes the network between client and broker swallow the next N Produce
 * responses after the broker has written their batches.
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
            current = "codecs";
            scenarios.codecs();
            current = "groups";
            scenarios.groups();
            current = "two-groups";
            scenarios.twoGroups();
            current = "idle-members";
            scenarios.idleMembers();
            current = "handover";
            scenarios.handover();
            current = "killed-member";
            scenarios.killedMember();
            current = "restart";
            scenarios.restart();
            current = "idempotence";
            scenarios.idempotence();
            current = "times";
            scenarios.times();
            current = "too-large";
            scenarios.tooLarge();
            current = "configs";
            scenarios.configs();
            current = "retention";
            scenarios.retention();
            current = "compaction";
            scenarios.compaction();
            current = "transactions";
            scenarios.transactions();
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
        return consumer(group, Map.of());
    }

    private KafkaConsumer<String, String> consumer(String group, Map<String, Object> extra) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        if (group != null) {
            properties.put(ConsumerConfig.GROUP_ID_CONFIG, group);
            // A member learns of a rebalance from a heartbeat's answer: every 500 ms, not the default 3 s, so that
            // the groups' scenarios do not wait out that much for each member that joins or leaves.
            properties.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 500);
        }
        properties.putAll(extra);
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
            // Sent without waiting for each answer, as an application does: the idempotent producer keeps each
            // partition's records in order across its batches.
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                String key = "key-" + (i % 30);
                sent.add(producer.send(new ProducerRecord<>(topic, null, key, "value-" + i,
                        List.of(new RecordHeader("n", String.valueOf(i).getBytes(StandardCharsets.UTF_8))))));
            }
            for (int i = 0; i < 300; i++) {
                String key = "key-" + (i % 30);
                RecordMetadata metadata = sent.get(i).get();
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
            Map<TopicPartition, OffsetAndMetadata> offsets =
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

    /** Asks the test to do something only it can, and waits until it is done. */
    private static void ask(String what) throws IOException {
        System.out.println("ASK " + what);
        System.out.flush();
        String answer = STDIN.readLine();
        check("OK".equals(answer), "the test answered " + answer + " to " + what);
    }

    private static final BufferedReader STDIN = new BufferedReader(new InputStreamReader(System.in,
            StandardCharsets.UTF_8));

    private void createTopic(String topic, int partitions, Map<String, String> configs) throws Exception {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1).configs(configs))).all().get();
        }
    }

    private void produce(String topic, int partitions, int perPartition, String tag) throws Exception {
        try (KafkaProducer<String, String> producer = producer(Map.of(ProducerConfig.LINGER_MS_CONFIG, 5))) {
            for (int p = 0; p < partitions; p++) {
                for (int i = 0; i < perPartition; i++) {
                    producer.send(new ProducerRecord<>(topic, p, "k", tag + "-" + p + "-" + i));
                }
            }
            producer.flush();
        }
    }

    /** Every codec a producer may use is stored as it came and read back intact. */
    private void codecs() throws Exception {
        for (String codec : List.of("gzip", "snappy", "lz4", "zstd")) {
            String topic = prefix + "codec-" + codec;
            createTopic(topic, 1, Map.of());
            try (KafkaProducer<String, String> producer = producer(Map.of(
                    ProducerConfig.COMPRESSION_TYPE_CONFIG, codec, ProducerConfig.LINGER_MS_CONFIG, 20))) {
                for (int i = 0; i < 500; i++) {
                    producer.send(new ProducerRecord<>(topic, 0, "key-" + i, codec + "-" + i + "-" + "x".repeat(i % 50)));
                }
                producer.flush();
            }
            try (KafkaConsumer<String, String> consumer = consumer(null)) {
                TopicPartition tp = new TopicPartition(topic, 0);
                consumer.assign(List.of(tp));
                consumer.seekToBeginning(List.of(tp));
                List<ConsumerRecord<String, String>> records = poll(consumer, 500);
                check(records.size() == 500, codec + ": 500 records expected, got " + records.size());
                for (int i = 0; i < 500; i++) {
                    ConsumerRecord<String, String> record = records.get(i);
                    check(record.offset() == i && record.key().equals("key-" + i)
                            && record.value().equals(codec + "-" + i + "-" + "x".repeat(i % 50)),
                            codec + ": record " + i + " came back as " + record);
                }
            }
        }
        pass("codecs");
    }

    /** Two groups each get every record; neither takes from the other. */
    private void twoGroups() throws Exception {
        String topic = prefix + "fanout";
        createTopic(topic, 2, Map.of());
        produce(topic, 2, 20, "fan");
        for (String group : List.of(prefix + "fan-a", prefix + "fan-b")) {
            try (KafkaConsumer<String, String> consumer = consumer(group)) {
                consumer.subscribe(List.of(topic));
                Set<String> values = new HashSet<>();
                long deadline = System.currentTimeMillis() + 30_000;
                while (values.size() < 40 && System.currentTimeMillis() < deadline) {
                    consumer.poll(Duration.ofMillis(100)).forEach(r -> values.add(r.value()));
                }
                check(values.size() == 40, group + " saw " + values.size() + " of 40 records");
                consumer.commitSync();
            }
        }
        pass("two-groups");
    }

    /** A group with more members than partitions leaves the extra member without partitions. */
    private void idleMembers() throws Exception {
        String topic = prefix + "narrow";
        String group = prefix + "crowd";
        createTopic(topic, 2, Map.of());
        List<KafkaConsumer<String, String>> consumers = new ArrayList<>();
        try (Admin admin = admin()) {
            for (int i = 0; i < 3; i++) {
                KafkaConsumer<String, String> consumer = consumer(group);
                consumer.subscribe(List.of(topic));
                consumers.add(consumer);
            }
            pollUntil(consumers, () -> assignmentsSettle(consumers, 2) && stableWith(admin, group, 3));
            check(consumers.stream().filter(c -> c.assignment().isEmpty()).count() == 1,
                    "one member should be idle: " + consumers.stream().map(KafkaConsumer::assignment).toList());
        } finally {
            consumers.forEach(KafkaConsumer::close);
        }
        pass("idle-members");
    }

    /** A member that leaves hands its partitions over; what it committed stays consumed. */
    private void handover() throws Exception {
        String topic = prefix + "handover";
        String group = prefix + "handover-group";
        createTopic(topic, 4, Map.of());
        produce(topic, 4, 25, "first");
        KafkaConsumer<String, String> staying = consumer(group);
        try {
            KafkaConsumer<String, String> leaving = consumer(group);
            staying.subscribe(List.of(topic));
            leaving.subscribe(List.of(topic));
            List<KafkaConsumer<String, String>> both = List.of(staying, leaving);
            pollUntil(both, () -> assignmentsSettle(both, 4) && !leaving.assignment().isEmpty()
                    && !staying.assignment().isEmpty() && caughtUp(staying) && caughtUp(leaving));
            staying.commitSync();
            leaving.commitSync();
            leaving.close();
            produce(topic, 4, 5, "second");
            // What the staying member read but had not committed when the rebalance came may come again (at
            // least once); what both committed before the handover never does.
            List<ConsumerRecord<String, String>> after = new ArrayList<>();
            Set<String> distinct = new HashSet<>();
            long deadline = System.currentTimeMillis() + 60_000;
            while ((staying.assignment().size() < 4 || distinct.size() < 20) && System.currentTimeMillis() < deadline) {
                staying.poll(Duration.ofMillis(100)).forEach(r -> {
                    after.add(r);
                    distinct.add(r.value());
                });
            }
            check(staying.assignment().size() == 4, "the staying member has " + staying.assignment());
            check(distinct.size() == 20 && after.stream().allMatch(r -> r.value().startsWith("second-")),
                    "after the handover only the 20 new records should come, got " + after.stream()
                            .map(r -> r.partition() + "/" + r.offset() + ":" + r.value()).toList());
        } finally {
            staying.close();
        }
        pass("handover");
    }

    /** A member killed with SIGKILL is replaced once its session times out, and its commits hold. */
    private void killedMember() throws Exception {
        String topic = prefix + "killed";
        String group = prefix + "killed-group";
        createTopic(topic, 2, Map.of());
        produce(topic, 2, 50, "first");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process member = new ProcessBuilder(java, "-Xmx128m", "-cp", System.getProperty("java.class.path"),
                GroupMemberProcess.class.getName(), bootstrap, group, topic, "3000")
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            BufferedReader lines = new BufferedReader(new InputStreamReader(member.getInputStream(),
                    StandardCharsets.UTF_8));
            String line;
            while ((line = lines.readLine()) != null && !line.equals("COMMITTED 100")) {
                // ASSIGNED ... and COMMITTED n lines until everything is committed
            }
            check(line != null, "the member in its own JVM ended before committing 100 records");
            try (KafkaConsumer<String, String> survivor = consumer(group, Map.of(
                    ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 3000, ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 300))) {
                survivor.subscribe(List.of(topic));
                pollUntil(List.of(survivor), () -> survivor.assignment().size() == 1);
                member.destroyForcibly();
                member.waitFor(30, TimeUnit.SECONDS);
                produce(topic, 2, 5, "second");
                List<ConsumerRecord<String, String>> after = new ArrayList<>();
                Set<String> distinct = new HashSet<>();
                long deadline = System.currentTimeMillis() + 60_000;
                while ((survivor.assignment().size() < 2 || distinct.size() < 10)
                        && System.currentTimeMillis() < deadline) {
                    survivor.poll(Duration.ofMillis(100)).forEach(r -> {
                        after.add(r);
                        distinct.add(r.value());
                    });
                }
                check(survivor.assignment().size() == 2, "the survivor has " + survivor.assignment());
                check(distinct.size() == 10 && after.stream().allMatch(r -> r.offset() >= 50),
                        "the survivor should read only past the killed member's commits, got " + after.stream()
                                .map(r -> r.partition() + "/" + r.offset() + ":" + r.value()).toList());
            }
        } finally {
            member.destroyForcibly();
        }
        pass("killed-member");
    }

    /** Commits, records and the idempotent producer's sequence survive a broker restart. */
    private void restart() throws Exception {
        String topic = prefix + "durable";
        String group = prefix + "durable-group";
        createTopic(topic, 1, Map.of());
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaProducer<String, String> producer = producer(Map.of())) {
            for (int i = 0; i < 30; i++) {
                producer.send(new ProducerRecord<>(topic, 0, "k", "before-" + i)).get();
            }
            try (KafkaConsumer<String, String> consumer = consumer(group)) {
                consumer.subscribe(List.of(topic));
                List<ConsumerRecord<String, String>> records = poll(consumer, 20);
                check(records.size() >= 20, "read " + records.size() + " of 30 before the restart");
                consumer.commitSync(Map.of(tp, new OffsetAndMetadata(20)));
            }
            ask("restart");
            // The same producer goes on with its sequence numbers: the broker must still know them.
            for (int i = 0; i < 10; i++) {
                producer.send(new ProducerRecord<>(topic, 0, "k", "after-" + i)).get();
            }
        }
        try (KafkaConsumer<String, String> consumer = consumer(group)) {
            consumer.subscribe(List.of(topic));
            List<ConsumerRecord<String, String>> records = poll(consumer, 20);
            check(records.size() == 20 && records.get(0).offset() == 20
                    && records.get(0).value().equals("before-20") && records.get(19).value().equals("after-9"),
                    "after the restart the group should resume at 20, got " + records.stream()
                            .map(r -> r.offset() + ":" + r.value()).toList());
        }
        pass("restart");
    }

    /** Produce answers lost after the broker wrote: the idempotent producer retries and nothing is doubled. */
    /**
     * The transaction coordinator's side of transactions, as this client version speaks it: initTransactions, offsets
     * sent to a transaction and committed, an abort, and a second producer with the same transactional id fencing the
     * first. Records in transactions and read_committed belong to the log side's scenarios.
     */
    private void transactions() throws Exception {
        String transactionalId = prefix + "tx";
        TopicPartition input = new TopicPartition(prefix + "tx-input", 0);
        createTopic(input.topic(), 1, Map.of());
        Map<String, Object> settings = Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
        try (KafkaProducer<String, String> first = producer(settings);
             Admin admin = admin()) {
            first.initTransactions();
            first.beginTransaction();
            first.sendOffsetsToTransaction(Map.of(input, new OffsetAndMetadata(3)),
                    new org.apache.kafka.clients.consumer.ConsumerGroupMetadata(prefix + "tx-group"));
            first.commitTransaction();
            first.beginTransaction();
            first.sendOffsetsToTransaction(Map.of(input, new OffsetAndMetadata(4)),
                    new org.apache.kafka.clients.consumer.ConsumerGroupMetadata(prefix + "tx-group"));
            first.abortTransaction();
            String state = admin.describeTransactions(List.of(transactionalId)).description(transactionalId)
                    .get(15, TimeUnit.SECONDS).state().toString();
            check(state.equals("CompleteAbort") || state.equals("PrepareAbort"), "after the abort the transaction"
                    + " should be aborting or aborted, was " + state);
            try (KafkaProducer<String, String> second = producer(settings)) {
                second.initTransactions();
                first.beginTransaction();
                try {
                    first.sendOffsetsToTransaction(Map.of(input, new OffsetAndMetadata(5)),
                            new org.apache.kafka.clients.consumer.ConsumerGroupMetadata(prefix + "tx-group"));
                    check(false, "the first producer should have been fenced by the second");
                } catch (org.apache.kafka.common.errors.ProducerFencedException expected) {
                    // Fenced, as it should be.
                }
            }
        }
        pass("transactions");
    }

    private void idempotence() throws Exception {
        String topic = prefix + "exactly-once";
        createTopic(topic, 2, Map.of());
        int count = 2000;
        double retries;
        try (KafkaProducer<String, String> producer = producer(Map.of(ProducerConfig.LINGER_MS_CONFIG, 2,
                ProducerConfig.BATCH_SIZE_CONFIG, 2048, ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 20,
                ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5))) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (int round = 0; round < 20; round++) {
                if (round % 4 == 0) {
                    ask("lose-produce-responses 1");
                }
                for (int i = round * 100; i < (round + 1) * 100; i++) {
                    sent.add(producer.send(new ProducerRecord<>(topic, i % 2, "k", "n" + i)));
                }
            }
            for (Future<RecordMetadata> future : sent) {
                future.get();
            }
            retries = metric(producer.metrics(), "record-retry-total");
        }
        check(retries > 0, "the lost answers should have made the producer retry");
        try (KafkaConsumer<String, String> consumer = consumer(null)) {
            List<TopicPartition> partitions = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            List<ConsumerRecord<String, String>> records = poll(consumer, count);
            Set<String> distinct = new HashSet<>();
            records.forEach(r -> distinct.add(r.value()));
            check(records.size() == count && distinct.size() == count, "expected " + count + " records once each, got "
                    + records.size() + " (" + distinct.size() + " distinct)");
            for (int p = 0; p < 2; p++) {
                int partition = p;
                List<Integer> numbers = records.stream().filter(r -> r.partition() == partition)
                        .map(r -> Integer.parseInt(r.value().substring(1))).toList();
                for (int i = 1; i < numbers.size(); i++) {
                    check(numbers.get(i - 1) < numbers.get(i), "partition " + p + " out of order at " + i);
                }
            }
        }
        pass("idempotence");
    }

    /** Records older than retention.ms go, and the client sees the log start move; deleteRecords moves it too. */
    private void retention() throws Exception {
        String topic = prefix + "expiring";
        createTopic(topic, 1, Map.of("retention.ms", "1000", "segment.ms", "100", "file.delete.delay.ms", "0"));
        TopicPartition tp = new TopicPartition(topic, 0);
        produce(topic, 1, 5, "old");
        try (KafkaConsumer<String, String> consumer = consumer(null)) {
            consumer.assign(List.of(tp));
            long deadline = System.currentTimeMillis() + 30_000;
            while (consumer.beginningOffsets(List.of(tp)).get(tp) < 5 && System.currentTimeMillis() < deadline) {
                produce(topic, 1, 1, "new"); // rolls the old segment so that it can expire
                Thread.sleep(200);
            }
            check(consumer.beginningOffsets(List.of(tp)).get(tp) >= 5, "old records were not removed by retention");
        }
        String trimmed = prefix + "trimmed";
        createTopic(trimmed, 1, Map.of());
        produce(trimmed, 1, 10, "r");
        TopicPartition trimmedTp = new TopicPartition(trimmed, 0);
        try (Admin admin = admin()) {
            long low = admin.deleteRecords(Map.of(trimmedTp, RecordsToDelete.beforeOffset(6))).all()
                    .thenApply(v -> 6L).get();
            try (KafkaConsumer<String, String> consumer = consumer(null)) {
                consumer.assign(List.of(trimmedTp));
                consumer.seekToBeginning(List.of(trimmedTp));
                List<ConsumerRecord<String, String>> records = poll(consumer, 4);
                check(records.size() == 4 && records.get(0).offset() == low, "after deleteRecords read " + records);
            }
        }
        pass("retention");
    }

    /** A compacted topic keeps only the latest value of each key, as a consumer reading it sees. */
    private void compaction() throws Exception {
        String topic = prefix + "latest";
        createTopic(topic, 1, Map.of("cleanup.policy", "compact", "segment.ms", "100",
                "min.cleanable.dirty.ratio", "0.01", "delete.retention.ms", "0"));
        TopicPartition tp = new TopicPartition(topic, 0);
        try (KafkaProducer<String, String> producer = producer(Map.of())) {
            for (int round = 0; round < 10; round++) {
                for (int k = 0; k < 5; k++) {
                    producer.send(new ProducerRecord<>(topic, 0, "key-" + k, "round-" + round)).get();
                }
            }
        }
        long deadline = System.currentTimeMillis() + 30_000;
        List<String> latest = List.of();
        while (System.currentTimeMillis() < deadline) {
            try (KafkaProducer<String, String> producer = producer(Map.of())) {
                producer.send(new ProducerRecord<>(topic, 0, "filler", "f")).get(); // rolls the segment
            }
            try (KafkaConsumer<String, String> consumer = consumer(null)) {
                consumer.assign(List.of(tp));
                consumer.seekToBeginning(List.of(tp));
                long end = consumer.endOffsets(List.of(tp)).get(tp);
                List<ConsumerRecord<String, String>> records = new ArrayList<>();
                long readDeadline = System.currentTimeMillis() + 5000;
                while (consumer.position(tp) < end && System.currentTimeMillis() < readDeadline) {
                    consumer.poll(Duration.ofMillis(100)).forEach(records::add);
                }
                latest = records.stream().filter(r -> r.key().startsWith("key-")).map(ConsumerRecord::value).toList();
            }
            if (latest.size() == 5) {
                break;
            }
            Thread.sleep(300);
        }
        check(latest.equals(List.of("round-9", "round-9", "round-9", "round-9", "round-9")),
                "compaction should leave each key's latest value, got " + latest);
        pass("compaction");
    }

    private static void pollUntil(List<KafkaConsumer<String, String>> consumers, BooleanSupplier done) {
        long deadline = System.currentTimeMillis() + 60_000;
        while (!done.getAsBoolean()) {
            check(System.currentTimeMillis() < deadline, "condition not met in time; assignments "
                    + consumers.stream().map(KafkaConsumer::assignment).toList());
            for (KafkaConsumer<String, String> consumer : consumers) {
                consumer.poll(Duration.ofMillis(50));
            }
        }
    }

    private static boolean assignmentsSettle(List<KafkaConsumer<String, String>> consumers, int partitions) {
        Set<TopicPartition> all = new HashSet<>();
        int total = 0;
        for (KafkaConsumer<String, String> consumer : consumers) {
            all.addAll(consumer.assignment());
            total += consumer.assignment().size();
        }
        return all.size() == partitions && total == partitions;
    }

    private static boolean stableWith(Admin admin, String group, int members) {
        try {
            ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group)).describedGroups()
                    .get(group).get();
            // state() is there in 3.9 and 4.x alike (deprecated in 4.x in favour of groupState()).
            return description.state().name().equals("STABLE") && description.members().size() == members;
        } catch (InterruptedException | ExecutionException e) {
            return false;
        }
    }

    private static double metric(Map<MetricName, ? extends Metric> metrics, String name) {
        for (Map.Entry<MetricName, ? extends Metric> metric : metrics.entrySet()) {
            if (metric.getKey().name().equals(name) && metric.getKey().group().equals("producer-metrics")) {
                return ((Number) metric.getValue().metricValue()).doubleValue();
            }
        }
        throw new AssertionError("no metric " + name);
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
