package io.strata.broker.it;

import io.strata.broker.config.BrokerConfig;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.UnsupportedSaslMechanismException;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.SaslAuthenticateRequestData;
import org.apache.kafka.common.message.SaslHandshakeRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.requests.MetadataResponse;
import org.apache.kafka.common.requests.SaslAuthenticateResponse;
import org.apache.kafka.common.requests.SaslHandshakeResponse;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A broker with a SASL_PLAINTEXT listener (PLAIN, users from Kafka's JAAS configuration) beside its PLAINTEXT one,
 * against real kafka-clients: the right credentials work, wrong ones are refused with Kafka's errors, and a
 * connection that skips authentication gets nothing but ApiVersions.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class SaslAuthenticationTest {

    private static final String SASL_LISTENER = "SASL_PLAINTEXT";
    private static final String PLAIN_LOGIN = "org.apache.kafka.common.security.plain.PlainLoginModule";

    @TempDir
    static Path dir;
    static TestBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = TestBroker.start(dir, Map.of(
                BrokerConfig.LISTENERS, "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0",
                "listener.name.sasl_plaintext.plain.sasl.jaas.config", PLAIN_LOGIN + " required"
                        + " user_alice=\"alice-secret\" user_bob=\"bob-secret\";"));
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @Test
    void clientsWithAUsersPlainCredentialsProduceConsumeAndAdminister() throws Exception {
        try (Admin admin = Admin.create(sasl("PLAIN", PLAIN_LOGIN, "alice", "alice-secret"))) {
            admin.createTopics(List.of(new NewTopic("sasl-orders", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
        }
        Map<String, Object> producerSettings = sasl("PLAIN", PLAIN_LOGIN, "alice", "alice-secret");
        producerSettings.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        producerSettings.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerSettings)) {
            producer.send(new ProducerRecord<>("sasl-orders", "k", "from alice")).get(30, TimeUnit.SECONDS);
        }
        Map<String, Object> consumerSettings = sasl("PLAIN", PLAIN_LOGIN, "bob", "bob-secret");
        consumerSettings.put(ConsumerConfig.GROUP_ID_CONFIG, "sasl-readers");
        consumerSettings.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerSettings.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        consumerSettings.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        List<String> received = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(consumerSettings)) {
            consumer.subscribe(List.of("sasl-orders"));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(200));
                records.forEach(record -> received.add(record.value()));
                return !received.isEmpty();
            });
        }
        assertThat(received).containsExactly("from alice");
        // The PLAINTEXT listener beside it serves without credentials, as before.
        try (KafkaProducer<String, String> plaintext = broker.producer(Map.of())) {
            assertThat(plaintext.send(new ProducerRecord<>("sasl-orders", "k", "anonymous")).get(30, TimeUnit.SECONDS)
                    .offset()).isEqualTo(1);
        }
    }

    @Test
    void aWrongPasswordOrAnUnknownUserIsRefusedAndTheBrokerServesOthers() {
        for (String[] credentials : new String[][] {{"alice", "wrong"}, {"mallory", "alice-secret"}}) {
            try (Admin admin = Admin.create(sasl("PLAIN", PLAIN_LOGIN, credentials[0], credentials[1]))) {
                assertThatThrownBy(() -> admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS))
                        .isInstanceOf(ExecutionException.class)
                        .cause().isInstanceOf(SaslAuthenticationException.class)
                        .hasMessageContaining("Authentication failed: Invalid username or password");
            }
        }
        assertAliceIsServed();
    }

    @Test
    void aMechanismTheListenerDoesNotEnableIsRefusedNamingTheEnabledOnes() {
        try (Admin admin = Admin.create(sasl("SCRAM-SHA-256", "org.apache.kafka.common.security.scram.ScramLoginModule",
                "alice", "alice-secret"))) {
            assertThatThrownBy(() -> admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(UnsupportedSaslMechanismException.class)
                    .hasMessageContaining("SCRAM-SHA-256").hasMessageContaining("PLAIN");
        }
        assertAliceIsServed();
    }

    @Test
    void aClientWithoutSaslGetsNothingFromASaslListener() {
        Map<String, Object> settings = new HashMap<>();
        settings.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, saslBootstrapServers());
        settings.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000);
        settings.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000);
        try (Admin admin = Admin.create(settings)) {
            assertThatThrownBy(() -> admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .cause().isInstanceOf(org.apache.kafka.common.errors.TimeoutException.class);
        }
        assertAliceIsServed();
    }

    @Test
    void beforeAuthenticationOnlyApiVersionsAndTheSaslExchangeAreServed() throws Exception {
        try (RawRequests raw = new RawRequests(saslBootstrapServers())) {
            ApiVersionsResponse versions = raw.send(ApiKeys.API_VERSIONS, new ApiVersionsRequestData()
                    .setClientSoftwareName("raw").setClientSoftwareVersion("1"));
            assertThat(Errors.forCode(versions.data().errorCode())).isEqualTo(Errors.NONE);
            assertThat(versions.apiVersion(ApiKeys.SASL_HANDSHAKE.id).maxVersion()).isEqualTo((short) 1);
            assertThat(versions.apiVersion(ApiKeys.SASL_AUTHENTICATE.id).maxVersion()).isEqualTo((short) 2);
            assertThat(versions.apiVersion(ApiKeys.PRODUCE.id)).isNotNull();
            assertThatThrownBy(() -> raw.send(ApiKeys.METADATA, new MetadataRequestData()))
                    .isInstanceOf(UncheckedIOException.class);
        }
        try (RawRequests raw = new RawRequests(saslBootstrapServers())) {
            SaslHandshakeResponse handshake = raw.send(ApiKeys.SASL_HANDSHAKE,
                    new SaslHandshakeRequestData().setMechanism("PLAIN"));
            assertThat(handshake.error()).isEqualTo(Errors.NONE);
            assertThat(handshake.data().mechanisms()).containsExactly("PLAIN");
            SaslAuthenticateResponse authenticated = raw.send(ApiKeys.SASL_AUTHENTICATE,
                    new SaslAuthenticateRequestData().setAuthBytes("\0bob\0bob-secret".getBytes(StandardCharsets.UTF_8)));
            assertThat(authenticated.error()).isEqualTo(Errors.NONE);
            MetadataResponse metadata = raw.send(ApiKeys.METADATA, new MetadataRequestData());
            assertThat(metadata.brokers()).singleElement()
                    .satisfies(node -> assertThat(node.port()).isEqualTo(broker.server().boundPort(SASL_LISTENER)));
            SaslHandshakeResponse again = raw.send(ApiKeys.SASL_HANDSHAKE,
                    new SaslHandshakeRequestData().setMechanism("PLAIN"));
            assertThat(again.error()).isEqualTo(Errors.ILLEGAL_SASL_STATE);
        }
        try (RawRequests raw = new RawRequests(saslBootstrapServers())) {
            raw.send(ApiKeys.SASL_HANDSHAKE, new SaslHandshakeRequestData().setMechanism("PLAIN"));
            SaslAuthenticateResponse refused = raw.send(ApiKeys.SASL_AUTHENTICATE,
                    new SaslAuthenticateRequestData().setAuthBytes("\0bob\0nope".getBytes(StandardCharsets.UTF_8)));
            assertThat(refused.error()).isEqualTo(Errors.SASL_AUTHENTICATION_FAILED);
            assertThat(refused.errorMessage()).isEqualTo("Authentication failed: Invalid username or password");
            assertThatThrownBy(() -> raw.send(ApiKeys.METADATA, new MetadataRequestData()))
                    .isInstanceOf(UncheckedIOException.class);
        }
    }

    private static void assertAliceIsServed() {
        try (Admin admin = Admin.create(sasl("PLAIN", PLAIN_LOGIN, "alice", "alice-secret"))) {
            assertThat(admin.describeCluster().clusterId().get(30, TimeUnit.SECONDS)).isNotBlank();
        } catch (Exception e) {
            throw new AssertionError("the broker stopped serving alice", e);
        }
        assertThat(broker.severeLogs()).isEmpty();
    }

    private static String saslBootstrapServers() {
        return "127.0.0.1:" + broker.server().boundPort(SASL_LISTENER);
    }

    private static Map<String, Object> sasl(String mechanism, String loginModule, String user, String password) {
        Map<String, Object> settings = new HashMap<>();
        settings.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, saslBootstrapServers());
        settings.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
        settings.put(SaslConfigs.SASL_MECHANISM, mechanism);
        settings.put(SaslConfigs.SASL_JAAS_CONFIG, loginModule + " required username=\"" + user + "\" password=\""
                + password + "\";");
        return settings;
    }
}
