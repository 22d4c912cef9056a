package io.strata.jms.client;

import io.strata.broker.it.TestBroker;
import jakarta.jms.Connection;
import jakarta.jms.JMSContext;
import jakarta.jms.JMSSecurityException;
import jakarta.jms.JMSSecurityRuntimeException;
import jakarta.jms.Queue;
import jakarta.jms.QueueConnection;
import jakarta.jms.Session;
import jakarta.jms.TopicConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.strata.jms.client.JmsBroker.RECEIVE_MS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Connections through a broker's SASL_PLAINTEXT listener (PLAIN, users {@code j2ee} and {@code guest}), as the TCK's
 * {@code core20.connectionfactorytests} make them: a known user connects and works, the user {@code invalid} is
 * refused when the connection or context is created, with the broker's message.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ConnectionCredentialsTest {

    private static final String REFUSED = "Authentication failed: Invalid username or password";

    @TempDir
    static Path dir;
    static TestBroker broker;
    static StrataConnectionFactory factory;

    @BeforeAll
    static void startBroker() {
        Map<String, Object> settings = new HashMap<>(JmsBroker.FAST_SHARE_GROUPS);
        settings.put("listeners", "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0");
        settings.put("sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required"
                + " user_j2ee=\"j2ee\" user_guest=\"guest-secret\";");
        broker = TestBroker.start(dir, settings);
        factory = JmsBroker.factory(broker, 10);
        factory.setBootstrapServers("127.0.0.1:" + broker.server().boundPort("SASL_PLAINTEXT"));
        factory.setProperty("security.protocol", "SASL_PLAINTEXT");
        factory.setProperty("sasl.mechanism", "PLAIN");
        factory.setProperty("sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required"
                + " username=\"guest\" password=\"guest-secret\";");
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @Test
    void aKnownUserConnectsAndItsMessagesGoThrough() throws Exception {
        try (Connection connection = factory.createConnection("j2ee", "j2ee");
             JMSContext context = factory.createContext("j2ee", "j2ee")) {
            Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
            Queue queue = session.createQueue("authenticated");
            session.createProducer(queue).send(session.createTextMessage("from j2ee"));
            assertThat(context.createConsumer(queue).receiveBody(String.class, RECEIVE_MS)).isEqualTo("from j2ee");
        }
        // Without credentials the factory's own user (its sasl.jaas.config) connects.
        try (Connection connection = factory.createConnection()) {
            assertThat(connection.createSession(false, Session.AUTO_ACKNOWLEDGE)).isNotNull();
        }
    }

    @Test
    void anUnknownUserOrAWrongPasswordIsRefusedWhenTheConnectionIsCreated() {
        assertThatThrownBy(() -> factory.createConnection("invalid", "invalid"))
                .isInstanceOf(JMSSecurityException.class).hasMessageContaining("user 'invalid'")
                .hasMessageContaining(REFUSED);
        assertThatThrownBy(() -> {
            try (QueueConnection connection = factory.createQueueConnection("invalid", "invalid")) {
                connection.start();
            }
        }).isInstanceOf(JMSSecurityException.class).hasMessageContaining(REFUSED);
        assertThatThrownBy(() -> {
            try (TopicConnection connection = factory.createTopicConnection("j2ee", "wrong")) {
                connection.start();
            }
        }).isInstanceOf(JMSSecurityException.class).hasMessageContaining(REFUSED);
        assertThatThrownBy(() -> factory.createContext("invalid", "invalid"))
                .isInstanceOf(JMSSecurityRuntimeException.class).hasMessageContaining(REFUSED);
        assertThatThrownBy(() -> factory.createContext("invalid", "invalid", JMSContext.CLIENT_ACKNOWLEDGE))
                .isInstanceOf(JMSSecurityRuntimeException.class).hasMessageContaining(REFUSED);
    }
}
