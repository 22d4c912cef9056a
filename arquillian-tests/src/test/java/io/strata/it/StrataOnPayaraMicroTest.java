package io.strata.it;

import io.strata.broker.ejb.StrataGroup;
import io.strata.broker.local.GroupInfo;
import io.strata.broker.local.OutgoingRecord;
import io.strata.broker.local.RecordPosition;
import io.strata.broker.local.StoredRecord;
import io.strata.broker.local.Strata;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jboss.arquillian.container.test.api.Deployer;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.OperateOnDeployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.File;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Strata deployed as the real strata.war on Payara Micro: it becomes ready; an injected native API bean produces
 * and consumes; a kafka-clients producer outside the server and a consumer inside it see the same records; health
 * and metrics answer with real values; a restart of the server keeps topics, records and committed offsets. One
 * class, so that the server starts twice in all (the first start and the restart).
 */
@ExtendWith(ArquillianExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class StrataOnPayaraMicroTest {

    private static final String DEPLOYMENT = "strata";
    private static final Pattern LISTENER = Pattern.compile("\"listener\"\\s*:\\s*\"([^\"]+)\"");
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    /** Client side: where the broker of the current server start listens. */
    private static String bootstrap;

    @ArquillianResource
    Deployer deployer;

    @Inject
    Strata strata;

    @Inject
    @StrataGroup("inside")
    Instance<Consumer<String, String>> insideConsumers;

    @Inject
    Instance<Producer<String, String>> producers;

    @Inject
    Admin injectedAdmin;

    @Deployment(name = DEPLOYMENT, managed = false)
    static WebArchive strataWar() {
        WebArchive war = ShrinkWrap.createFromZipFile(WebArchive.class,
                new File(System.getProperty("strata.it.war", "target/strata.war")));
        war.addClass(StrataOnPayaraMicroTest.class);
        war.addAsLibraries(jarOf(org.assertj.core.api.Assertions.class), jarOf(org.awaitility.Awaitility.class),
                jarOf(org.hamcrest.Matcher.class));
        return war;
    }

    private static File jarOf(Class<?> type) {
        return new File(type.getProtectionDomain().getCodeSource().getLocation().getPath());
    }

    // ---------------------------------------------------------------------------------------------------- start

    @Test
    @Order(1)
    @RunAsClient
    void theServerStartsWithStrataDeployed() {
        deployer.deploy(DEPLOYMENT);
    }

    @Test
    @Order(2)
    @RunAsClient
    void theBrokerBecomesReadyAndLive(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL app) throws Exception {
        bootstrap = awaitReady(app);
        HttpResponse<String> live = get(app, "/health/live");
        assertThat(live.statusCode()).isEqualTo(200);
        assertThat(live.body()).contains("\"strata-broker\"").contains("\"UP\"");
    }

    // ---------------------------------------------------------------------------------------------------- records

    @Test
    @Order(3)
    @RunAsClient
    void aProducerOutsideTheServerWrites() throws Exception {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic("crossing", 3, (short) 1))).all().get();
        }
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(clientProperties(),
                new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < 30; i++) {
                producer.send(new ProducerRecord<>("crossing", "key-" + (i % 7), "outside-" + i)).get();
            }
        }
    }

    @Test
    @Order(4)
    void aConsumerInsideTheServerSeesTheSameRecordsAndCommits() {
        Consumer<String, String> consumer = insideConsumers.get();
        try {
            consumer.subscribe(List.of("crossing"));
            Set<String> values = new HashSet<>();
            long deadline = System.currentTimeMillis() + 60_000;
            while (values.size() < 30 && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(record.value());
                }
            }
            assertThat(values).hasSize(30).contains("outside-0", "outside-29");
            consumer.commitSync();
        } finally {
            insideConsumers.destroy(consumer);
        }
    }

    @Test
    @Order(5)
    void theInjectedNativeApiProducesAndConsumes() {
        strata.createTopic("native-in-server", 2, Map.of("retention.ms", "86400000"));
        List<RecordPosition> sent = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            sent.add(strata.send(OutgoingRecord.of("native-in-server", ("k" + i).getBytes(StandardCharsets.UTF_8),
                    ("native-" + i).getBytes(StandardCharsets.UTF_8))));
        }
        RecordPosition first = sent.get(0);
        List<StoredRecord> read = strata.read("native-in-server", first.partition(), first.offset(), 1);
        assertThat(new String(read.get(0).value(), StandardCharsets.UTF_8)).isEqualTo("native-0");

        List<String> consumed = new ArrayList<>();
        try (Strata.GroupSubscription group = strata.subscribe("native-group", List.of("native-in-server"))) {
            long deadline = System.currentTimeMillis() + 60_000;
            while (consumed.size() < 10 && System.currentTimeMillis() < deadline) {
                group.poll(Duration.ofMillis(500)).forEach(r -> consumed.add(new String(r.value(),
                        StandardCharsets.UTF_8)));
            }
            group.commit();
        }
        assertThat(consumed).hasSize(10).contains("native-0", "native-9");
        GroupInfo described = strata.describeGroup("native-group");
        assertThat(described.lags()).hasSize(2).allSatisfy(lag -> assertThat(lag.lag()).isZero());
        assertThat(strata.describeGroup("inside").lags()).hasSize(3)
                .allSatisfy(lag -> assertThat(lag.lag()).isZero());
    }

    @Test
    @Order(6)
    void theInjectedKafkaProducerAndAdminWorkAgainstThisBroker() throws Exception {
        injectedAdmin.createTopics(List.of(new NewTopic("from-injected", 1, (short) 1))).all().get();
        Producer<String, String> producer = producers.get();
        try {
            for (int i = 0; i < 5; i++) {
                producer.send(new ProducerRecord<>("from-injected", "k", "injected-" + i)).get();
            }
        } finally {
            producers.destroy(producer);
        }
        assertThat(injectedAdmin.describeTopics(List.of("from-injected")).allTopicNames().get()
                .get("from-injected").partitions()).hasSize(1);
        List<StoredRecord> stored = strata.read("from-injected", 0, 0, 10);
        assertThat(stored).extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
                .containsExactly("injected-0", "injected-1", "injected-2", "injected-3", "injected-4");
    }

    // ---------------------------------------------------------------------------------------------------- operators

    @Test
    @Order(7)
    @RunAsClient
    void metricsShowRealValuesInPrometheusFormat(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL app) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            String metrics = get(app, "/metrics").body();
            assertThat(value(metrics, "strata_records_in_total")).isGreaterThanOrEqualTo(45);
            assertThat(value(metrics, "strata_bytes_in_bytes_total")).isPositive();
            assertThat(value(metrics, "strata_bytes_out_bytes_total")).isPositive();
            assertThat(value(metrics, "strata_requests_seconds_count{api=\"Produce\"")).isGreaterThanOrEqualTo(30);
            assertThat(value(metrics, "strata_requests_seconds_count{api=\"Fetch\"")).isPositive();
            assertThat(value(metrics, "strata_partitions")).isGreaterThanOrEqualTo(5);
            assertThat(value(metrics, "strata_request_queue_depth")).isGreaterThanOrEqualTo(0);
            assertThat(sum(metrics, "strata_log_end_offset", "topic=\"crossing\"")).isEqualTo(30);
            assertThat(sum(metrics, "strata_log_size_bytes", "topic=\"crossing\"")).isPositive();
            assertThat(count(metrics, "strata_group_lag", "group=\"inside\"")).isEqualTo(3);
            assertThat(sum(metrics, "strata_group_lag", "group=\"inside\"")).isZero();
        });
    }

    // ---------------------------------------------------------------------------------------------------- restart

    @Test
    @Order(8)
    @RunAsClient
    void theServerRestarts() {
        deployer.undeploy(DEPLOYMENT);
        deployer.deploy(DEPLOYMENT);
    }

    @Test
    @Order(9)
    @RunAsClient
    void topicsRecordsAndCommittedOffsetsSurviveTheRestart(
            @ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL app) throws Exception {
        bootstrap = awaitReady(app);
        try (Admin admin = admin()) {
            assertThat(admin.listTopics().names().get()).contains("crossing", "native-in-server");
            Map<TopicPartition, OffsetAndMetadata> inside = admin.listConsumerGroupOffsets("inside")
                    .partitionsToOffsetAndMetadata().get();
            assertThat(inside.values().stream().mapToLong(OffsetAndMetadata::offset).sum()).isEqualTo(30);
            Map<TopicPartition, OffsetAndMetadata> nativeGroup = admin.listConsumerGroupOffsets("native-group")
                    .partitionsToOffsetAndMetadata().get();
            assertThat(nativeGroup.values().stream().mapToLong(OffsetAndMetadata::offset).sum()).isEqualTo(10);
        }
        Properties properties = clientProperties();
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(properties, new StringDeserializer(),
                new StringDeserializer())) {
            List<TopicPartition> partitions = List.of(new TopicPartition("crossing", 0),
                    new TopicPartition("crossing", 1), new TopicPartition("crossing", 2));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Set<String> values = new HashSet<>();
            long deadline = System.currentTimeMillis() + 60_000;
            while (values.size() < 30 && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
            }
            assertThat(values).hasSize(30);
        }
    }

    @Test
    @Order(10)
    @RunAsClient
    void theServerStops() {
        deployer.undeploy(DEPLOYMENT);
    }

    // ---------------------------------------------------------------------------------------------------- helpers

    private static String awaitReady(URL app) {
        String[] listener = new String[1];
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            HttpResponse<String> ready = get(app, "/health/ready");
            assertThat(ready.statusCode()).isEqualTo(200);
            assertThat(ready.body()).contains("\"strata-broker\"").contains("\"storage\":\"recovered\"")
                    .contains("\"groupOffsets\":\"loaded\"");
            Matcher matcher = LISTENER.matcher(ready.body());
            assertThat(matcher.find()).isTrue();
            listener[0] = matcher.group(1);
        });
        return listener[0];
    }

    private static HttpResponse<String> get(URL app, String path) throws Exception {
        URI uri = new URI(app.getProtocol(), null, app.getHost(), app.getPort(), path, null, null);
        return HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static Properties clientProperties() {
        Properties properties = new Properties();
        properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return properties;
    }

    private static Admin admin() {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        return Admin.create(properties);
    }

    /** The value of the first sample whose line starts with {@code prefix}. */
    private static double value(String metrics, String prefix) {
        return metrics.lines().filter(line -> line.startsWith(prefix)).findFirst()
                .map(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .orElseThrow(() -> new AssertionError("no sample " + prefix + " in\n" + metrics));
    }

    private static double sum(String metrics, String name, String label) {
        return samples(metrics, name, label).stream().mapToDouble(Double::doubleValue).sum();
    }

    private static long count(String metrics, String name, String label) {
        return samples(metrics, name, label).size();
    }

    private static List<Double> samples(String metrics, String name, String label) {
        return metrics.lines().filter(line -> line.startsWith(name + "{") && line.contains(label))
                .map(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).toList();
    }
}
