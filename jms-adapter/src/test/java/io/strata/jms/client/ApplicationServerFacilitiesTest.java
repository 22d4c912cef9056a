package io.strata.jms.client;

import jakarta.jms.Connection;
import jakarta.jms.JMSException;
import jakarta.jms.Session;
import org.junit.jupiter.api.Test;

import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The optional application server facilities (JMS 3.1 chapter 11) are refused with the exceptions their methods
 * declare, and say why; nothing here needs a broker (a connection and a session connect on first use).
 */
class ApplicationServerFacilitiesTest {

    @Test
    void connectionConsumersAndTheSessionsDistinguishedListenerAreRefusedAsOptional() throws Exception {
        Properties properties = new Properties();
        properties.setProperty("bootstrap.servers", "localhost:1");
        try (Connection connection = new StrataConnectionFactory(properties).createConnection()) {
            Session session = connection.createSession();
            assertThatThrownBy(() -> connection.createConnectionConsumer(session.createQueue("q"), null, null, 1))
                    .isInstanceOf(JMSException.class).hasMessageContaining("optional application server facility");
            assertThatThrownBy(() -> connection.createSharedDurableConnectionConsumer(session.createTopic("t"), "s",
                    null, null, 1)).isInstanceOf(JMSException.class);
            assertThatThrownBy(() -> session.setMessageListener(message -> { }))
                    .isInstanceOf(JMSException.class).hasMessageContaining("optional application server facility");
            assertThat(session.getMessageListener()).isNull();
            assertThatThrownBy(session::run).isInstanceOf(UnsupportedOperationException.class);
        }
    }
}
