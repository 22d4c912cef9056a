package io.strata.jms.ra;

import io.strata.broker.it.TestBroker;
import jakarta.jms.Connection;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.JMSSecurityException;
import jakarta.jms.Session;
import jakarta.resource.spi.ManagedConnection;
import jakarta.resource.spi.security.PasswordCredential;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.security.auth.Subject;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.strata.jms.ra.TestContainer.AT_MOST;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Sign-on through a broker's SASL_PLAINTEXT listener (PLAIN, users {@code j2ee} and {@code guest}): the container's
 * {@code PasswordCredential} signs a managed connection on, the application's {@code createConnection(user,
 * password)} does when the container gives none, and a user the broker refuses fails as JMS and Connectors say.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class ContainerSignOnTest {

    private static final String REFUSED = "Authentication failed: Invalid username or password";

    @TempDir
    static Path dir;
    static TestBroker broker;

    @BeforeAll
    static void startBroker() {
        Map<String, Object> settings = new HashMap<>(TestContainer.FAST_SHARE_GROUPS);
        settings.put("listeners", "PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0");
        settings.put("sasl.jaas.config", "org.apache.kafka.common.security.plain.PlainLoginModule required"
                + " user_j2ee=\"j2ee\" user_guest=\"guest-secret\";");
        broker = TestBroker.start(dir, settings);
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    private static StrataManagedConnectionFactory saslFactory() {
        StrataManagedConnectionFactory factory = new StrataManagedConnectionFactory();
        factory.setBootstrapServers("127.0.0.1:" + broker.server().boundPort("SASL_PLAINTEXT"));
        factory.setSecurityProtocol("SASL_PLAINTEXT");
        factory.setSaslMechanism("PLAIN");
        factory.setUserName("guest");
        factory.setPassword("guest-secret");
        return factory;
    }

    private static Subject subject(StrataManagedConnectionFactory factory, String user, String password) {
        PasswordCredential credential = new PasswordCredential(user, password.toCharArray());
        credential.setManagedConnectionFactory(factory);
        Subject subject = new Subject();
        subject.getPrivateCredentials().add(credential);
        return subject;
    }

    @Test
    void theContainersCredentialSignsOnAndARefusedOneFailsAsASecurityException() throws Exception {
        StrataManagedConnectionFactory factory = saslFactory();
        ManagedConnection signedOn = factory.createManagedConnection(subject(factory, "j2ee", "j2ee"), null);
        try {
            assertThat(signedOn.getMetaData().getUserName()).isEqualTo("j2ee");
            Connection connection = (Connection) signedOn.getConnection(subject(factory, "j2ee", "j2ee"), null);
            Session session = connection.createSession();
            session.createProducer(session.createQueue("signed-on")).send(session.createTextMessage("as j2ee"));
            assertThatThrownBy(() -> signedOn.getConnection(subject(factory, "guest", "guest-secret"), null))
                    .isInstanceOf(jakarta.resource.spi.SecurityException.class)
                    .hasMessageContaining("not re-authenticated");
        } finally {
            signedOn.destroy();
        }
        assertThatThrownBy(() -> factory.createManagedConnection(subject(factory, "invalid", "invalid"), null))
                .isInstanceOf(jakarta.resource.spi.SecurityException.class).hasMessageContaining(REFUSED)
                .hasCauseInstanceOf(JMSSecurityException.class);
    }

    @Test
    void theApplicationsUserSignsOnWithoutTheContainerAndARefusedOneIsAJmsSecurityException() throws Exception {
        TestContainer.SmallPool pool = new TestContainer.SmallPool(2);
        ConnectionFactory factory = (ConnectionFactory) saslFactory().createConnectionFactory(pool);
        try (Connection connection = factory.createConnection("j2ee", "j2ee")) {
            Session session = connection.createSession();
            var queue = session.createQueue("signed-on-by-application");
            session.createProducer(queue).send(session.createTextMessage("as j2ee"));
            connection.start();
            assertThat(session.createConsumer(queue).receive(AT_MOST.toMillis())).isNotNull();
        }
        try (Connection connection = factory.createConnection()) {   // the factory's own user, guest
            assertThat(connection.createSession()).isNotNull();
        }
        assertThat(pool.created()).as("one per user").hasSize(2);
        assertThatThrownBy(() -> factory.createConnection("invalid", "invalid"))
                .isInstanceOf(JMSSecurityException.class).hasMessageContaining(REFUSED);
        assertThatThrownBy(() -> factory.createContext("j2ee", "wrong"))
                .isInstanceOf(jakarta.jms.JMSSecurityRuntimeException.class).hasMessageContaining(REFUSED);
    }
}
