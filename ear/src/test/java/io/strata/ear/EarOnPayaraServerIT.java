package io.strata.ear;

import io.strata.storage.log.LogDirectory;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * strata.ear on Payara Server, as an operator runs it: a domain of its own, the broker's settings as JVM options
 * ({@code strata.listeners} on a port chosen here, {@code strata.log.dirs} under target/), {@code asadmin deploy};
 * then a kafka-clients producer and consumer against the broker inside, and {@code asadmin undeploy}. The domain
 * starts once for the class (20 to 90 s on two cores) and is stopped however the tests end.
 *
 * <p>Payara Server's MicroProfile support looks at WAR modules only, which is why the broker's health checks live in
 * the web-admin WAR: the test checks that {@code /health/ready} of the server reports the broker in the EAR.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 15, unit = TimeUnit.MINUTES)
class EarOnPayaraServerIT {

    private static final String APPLICATION = "strata";
    private static final String HOST = "127.0.0.1";
    private static final String TOPIC = "ear-round-trip";
    private static final int PARTITIONS = 3;
    private static final int RECORDS = 20;
    private static final int KEYS = 5;
    private static final String GROUP = "ear-round-trip-readers";

    private static final Duration SERVER_START_MAX = Duration.ofMinutes(4);
    private static final Duration DEPLOY_MAX = Duration.ofMinutes(4);
    private static final Duration UNDEPLOY_MAX = Duration.ofMinutes(2);
    private static final Duration BROKER_ANSWER_MAX = Duration.ofMinutes(1);
    private static final Duration CONSUME_MAX = Duration.ofMinutes(1);
    private static final long CLIENT_CALL_MAX_SECONDS = 30;

    private static PayaraDomain domain;
    private static Path dataDir;
    private static int brokerPort;

    @BeforeAll
    static void deployTheEarOnAFreshDomain() throws IOException {
        Path work = Path.of(System.getProperty("strata.it.work", "target/payara-server-it")).toAbsolutePath();
        Path payara = Path.of(System.getProperty("strata.it.payara", "target/payara/payara6")).toAbsolutePath();
        Path ear = Path.of(System.getProperty("strata.it.ear", "target/strata.ear")).toAbsolutePath();
        dataDir = work.resolve("strata-data");
        PayaraDomain.deleteTree(dataDir);
        brokerPort = PayaraDomain.freePorts(1)[0];
        domain = PayaraDomain.create(payara, work, List.of(
                "-Dstrata.listeners=PLAINTEXT://" + HOST + ":" + brokerPort,
                "-Dstrata.log.dirs=" + dataDir,
                // One consumer joins: waiting 3 s (the default) for more to arrive only slows the test.
                "-Dstrata.group.initial.rebalance.delay.ms=0"));
        domain.start(SERVER_START_MAX);
        domain.deploy(ear, APPLICATION, DEPLOY_MAX);
    }

    @AfterAll
    static void stopTheDomain() {
        if (domain != null) {
            domain.close();
        }
    }

    @Test
    @Order(1)
    void theBrokerInTheEarAnswersOnTheListenerTheServerGaveIt() {
        try (Admin admin = Admin.create(clientProperties())) {
            Collection<Node> nodes = await("the broker answers").atMost(BROKER_ANSWER_MAX)
                    .pollInterval(Duration.ofMillis(500))
                    .ignoreExceptions()
                    .until(() -> admin.describeCluster().nodes().get(CLIENT_CALL_MAX_SECONDS, TimeUnit.SECONDS),
                            answer -> !answer.isEmpty());
            assertThat(nodes).singleElement().satisfies(node -> {
                assertThat(node.host()).isEqualTo(HOST);
                assertThat(node.port()).isEqualTo(brokerPort);
            });
        }
    }

    @Test
    @Order(2)
    void theServerReportsTheBrokerReady() {
        URI ready = URI.create("http://" + HOST + ":" + domain.httpPort() + "/health/ready");
        HttpClient http = HttpClient.newHttpClient();
        String body = await("/health/ready reports the broker").atMost(BROKER_ANSWER_MAX)
                .pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> http.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(10)).build(),
                        HttpResponse.BodyHandlers.ofString()).body(), answer -> answer.contains("strata-broker"));
        assertThat(body).contains("\"status\":\"UP\"").contains("\"storage\":\"recovered\"")
                .contains("\"listener\":\"" + HOST + ":" + brokerPort + "\"");
    }

    @Test
    @Order(3)
    void aProducerAndAConsumerRoundTripKeyedRecords() throws Exception {
        try (Admin admin = Admin.create(clientProperties())) {
            admin.createTopics(List.of(new NewTopic(TOPIC, PARTITIONS, (short) 1))).all()
                    .get(CLIENT_CALL_MAX_SECONDS, TimeUnit.SECONDS);
        }

        Map<Integer, List<String>> sent = new TreeMap<>();
        Properties producerProperties = clientProperties();
        producerProperties.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProperties, new StringSerializer(),
                new StringSerializer())) {
            for (int i = 0; i < RECORDS; i++) {
                String key = "key-" + (i % KEYS);
                String value = "value-" + i;
                RecordMetadata written = producer.send(new ProducerRecord<>(TOPIC, key, value))
                        .get(CLIENT_CALL_MAX_SECONDS, TimeUnit.SECONDS);
                sent.computeIfAbsent(written.partition(), p -> new ArrayList<>())
                        .add(written.offset() + " " + key + "=" + value);
            }
        }

        Map<Integer, List<String>> received = new TreeMap<>();
        Properties consumerProperties = clientProperties();
        consumerProperties.put(ConsumerConfig.GROUP_ID_CONFIG, GROUP);
        consumerProperties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerProperties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerProperties,
                new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(TOPIC));
            await("all " + RECORDS + " records consumed").atMost(CONSUME_MAX).pollInSameThread()
                    .pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10))
                    .until(() -> {
                        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                            received.computeIfAbsent(record.partition(), p -> new ArrayList<>())
                                    .add(record.offset() + " " + record.key() + "=" + record.value());
                        }
                        return received.values().stream().mapToInt(List::size).sum() >= RECORDS;
                    });
            consumer.commitSync(Duration.ofSeconds(CLIENT_CALL_MAX_SECONDS));
        }

        // Every record back, once, at the partition and offset the producer was told, in order within a partition.
        assertThat(sent.values().stream().mapToInt(List::size).sum()).isEqualTo(RECORDS);
        assertThat(received).isEqualTo(sent);
        try (Admin admin = Admin.create(clientProperties())) {
            Map<?, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(GROUP).partitionsToOffsetAndMetadata()
                    .get(CLIENT_CALL_MAX_SECONDS, TimeUnit.SECONDS);
            assertThat(committed.values().stream().mapToLong(OffsetAndMetadata::offset).sum()).isEqualTo(RECORDS);
        }
        // Written where the server's strata.log.dirs says: the settings reached the broker through MicroProfile Config.
        assertThat(logBytes(TOPIC)).isPositive();
    }

    @Test
    @Order(4)
    void undeployingTheEarStopsTheBrokerCleanly() {
        domain.undeploy(APPLICATION, UNDEPLOY_MAX);

        await("the listener closed").atMost(Duration.ofSeconds(30)).until(() -> !accepts(brokerPort));
        assertThat(dataDir.resolve(LogDirectory.CLEAN_SHUTDOWN_FILE)).exists();
    }

    private static Properties clientProperties() {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, HOST + ":" + brokerPort);
        return properties;
    }

    /** Bytes in the segment files of {@code topic}'s partitions under the data directory. */
    private static long logBytes(String topic) throws IOException {
        try (Stream<Path> files = Files.walk(dataDir)) {
            return files.filter(file -> file.getParent().getFileName().toString().startsWith(topic + "-")
                            && file.getFileName().toString().endsWith(".log"))
                    .mapToLong(file -> file.toFile().length()).sum();
        }
    }

    private static boolean accepts(int port) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(HOST, port), 1_000);
            return true;
        } catch (IOException refused) {
            return false;
        }
    }
}
