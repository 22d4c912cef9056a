package io.strata.it.jms;

import jakarta.ejb.EJB;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.OperateOnDeployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.container.test.api.TargetsContainer;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Jakarta EE applications on Strata's resource adapter in Payara Micro, as bin/strata-micro sets it up: the adapter
 * deployed before the application, configured for the broker of the same server, and the adapter of every
 * message-driven bean. The application is strata.war (the broker) with this test's sender, listeners and servlet
 * added; its activation properties and injections are those written for any JMS provider. One server start for the
 * class.
 */
@ExtendWith(ArquillianExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class StrataJmsOnPayaraMicroTest {

    private static final String DEPLOYMENT = "strata-jms";
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @EJB
    Sender sender;

    @Deployment(name = DEPLOYMENT)
    @TargetsContainer("payara-micro-jms")
    static WebArchive strataWarWithJmsApplication() {
        WebArchive war = ShrinkWrap.createFromZipFile(WebArchive.class,
                new File(System.getProperty("strata.it.war", "target/strata.war")));
        war.addClasses(StrataJmsOnPayaraMicroTest.class, Sender.class, Deliveries.class, DeliveriesServlet.class,
                SelectedOrderListener.class, SharedWorkListener.class, PoisonListener.class, JmsServerSettings.class);
        war.addAsLibraries(jarOf(org.assertj.core.api.Assertions.class), jarOf(org.awaitility.Awaitility.class),
                jarOf(org.hamcrest.Matcher.class));
        return war;
    }

    private static File jarOf(Class<?> type) {
        return new File(type.getProtectionDomain().getCodeSource().getLocation().getPath());
    }

    @Test
    @Order(1)
    @RunAsClient
    void theBrokerInTheServerBecomesReady(@ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL app) {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            HttpResponse<String> ready = get(new URI(app.getProtocol(), null, app.getHost(), app.getPort(),
                    "/health/ready", null, null));
            assertThat(ready.statusCode()).isEqualTo(200);
        });
    }

    @Test
    @Order(2)
    void theDefaultFactoryIsStrataAndAnMdbWithASelectorReceivesEachMessageOnceOnFourSessions() {
        assertThat(sender.defaultFactoryClass()).startsWith("io.strata.jms.ra.");
        List<String> orders = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            sender.sendOrderWithFactory("order", "factory-" + i);
            sender.sendOrderWithContext("order", "context-" + i);
            sender.sendOrderWithContext("other", "other-" + i);
            orders.add("factory-" + i);
            orders.add("context-" + i);
        }
        await().atMost(Duration.ofSeconds(60))
                .until(() -> Deliveries.of(SelectedOrderListener.NAME).size() >= orders.size());
        List<String> received = Deliveries.of(SelectedOrderListener.NAME);
        assertThat(received).hasSize(orders.size()).containsExactlyInAnyOrderElementsOf(orders);
        assertThat(SelectedOrderListener.RUNNING_MAX.get()).isEqualTo(4);
    }

    @Test
    @Order(3)
    void aFactoryAndAQueueDefinedByAnnotationsOnTheAdapterWork() {
        assertThat(sender.roundTripOnDefinedFactory("defined-round-trip", "defined")).isEqualTo("defined");
    }

    @Test
    @Order(4)
    @RunAsClient
    void aSharedDurableSubscriptionsMdbSplitsTheWorkWithAKafkaShareConsumerOfItsGroup(
            @ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL app) throws Exception {
        createTopic(SharedWorkListener.TOPIC);
        Properties shareProperties = clientProperties();
        shareProperties.put(ConsumerConfig.GROUP_ID_CONFIG, SharedWorkListener.SHARE_GROUP);
        Set<String> sent = new HashSet<>();
        List<String> outside = new ArrayList<>();
        try (KafkaShareConsumer<String, String> share = new KafkaShareConsumer<>(shareProperties,
                new StringDeserializer(), new StringDeserializer());
             KafkaProducer<String, String> producer = producer()) {
            share.subscribe(List.of(SharedWorkListener.TOPIC));
            // Rounds until both sides have had some of the work: which side acquires a batch is the broker's choice.
            for (int round = 0; round < 10 && (outside.isEmpty() || inside(app).isEmpty()); round++) {
                for (int i = 0; i < 20; i++) {
                    String value = "work-" + round + "-" + i;
                    producer.send(new ProducerRecord<>(SharedWorkListener.TOPIC, value, value)).get();
                    sent.add(value);
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (System.nanoTime() < deadline) {
                    share.poll(Duration.ofMillis(200)).forEach(record -> outside.add(record.value()));
                }
            }
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                share.poll(Duration.ofMillis(200)).forEach(record -> outside.add(record.value()));
                List<String> both = new ArrayList<>(outside);
                both.addAll(inside(app));
                assertThat(both).containsExactlyInAnyOrderElementsOf(sent);
            });
            share.commitSync();
        }
        assertThat(outside).isNotEmpty();
        assertThat(inside(app)).isNotEmpty().doesNotContainAnyElementsOf(outside);
    }

    @Test
    @Order(5)
    @RunAsClient
    void aThrowingMdbIsRedeliveredWithAGrowingDeliveryCountThenDeadLettered(
            @ArquillianResource @OperateOnDeployment(DEPLOYMENT) URL app) throws Exception {
        createTopic(PoisonListener.QUEUE);
        try (KafkaProducer<String, String> producer = producer()) {
            producer.send(new ProducerRecord<>(PoisonListener.QUEUE, "poison-1", "poison-1")).get();
        }
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() ->
                assertThat(deliveries(app, PoisonListener.QUEUE)).containsExactly("poison-1 1", "poison-1 2",
                        "poison-1 3"));
        Properties properties = clientProperties();
        try (KafkaConsumer<String, String> deadLetters = new KafkaConsumer<>(properties, new StringDeserializer(),
                new StringDeserializer())) {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                List<TopicPartition> partitions = deadLetters.partitionsFor("dlq.jms").stream()
                        .map(info -> new TopicPartition(info.topic(), info.partition())).toList();
                assertThat(partitions).isNotEmpty();
                deadLetters.assign(partitions);
                deadLetters.seekToBeginning(partitions);
                List<String> values = new ArrayList<>();
                for (ConsumerRecord<String, String> record : deadLetters.poll(Duration.ofSeconds(2))) {
                    values.add(record.value());
                }
                assertThat(values).contains("poison-1");
            });
        }
        assertThat(deliveries(app, PoisonListener.QUEUE)).hasSize(3);
    }

    // ---------------------------------------------------------------------------------------------------- helpers

    private static List<String> inside(URL app) throws Exception {
        return deliveries(app, SharedWorkListener.TOPIC);
    }

    private static List<String> deliveries(URL app, String listener) throws Exception {
        HttpResponse<String> response = get(app.toURI().resolve("jms-deliveries?listener=" + listener));
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body().lines().filter(line -> !line.isEmpty()).toList();
    }

    private static HttpResponse<String> get(URI uri) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static Properties clientProperties() {
        Properties properties = new Properties();
        properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, JmsServerSettings.bootstrap());
        return properties;
    }

    private static KafkaProducer<String, String> producer() {
        return new KafkaProducer<>(clientProperties(), new StringSerializer(), new StringSerializer());
    }

    private static void createTopic(String name) throws Exception {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, JmsServerSettings.bootstrap());
        try (Admin admin = Admin.create(properties)) {
            admin.createTopics(List.of(new NewTopic(name, 2, (short) 1))).all().get();
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
        }
    }
}
