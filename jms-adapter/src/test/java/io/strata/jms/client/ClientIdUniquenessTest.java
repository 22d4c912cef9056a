package io.strata.jms.client;

import jakarta.jms.Connection;
import jakarta.jms.IllegalStateException;
import jakarta.jms.InvalidClientIDException;
import jakarta.jms.InvalidClientIDRuntimeException;
import jakarta.jms.JMSContext;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * JMS 3.1 section 6.1.2: a client identifier is in use by one connection at a time, and the provider prevents a second
 * from taking it ({@code InvalidClientIDException}); the broker enforces it, so connections of different factories
 * and processes are held to it alike.
 */
class ClientIdUniquenessTest extends OneBrokerTest {

    @Test
    void aClientIdInUseByAnOpenConnectionIsRefusedToASecondOne() throws Exception {
        try (Connection first = factory.createConnection(); Connection second = factory.createConnection()) {
            first.setClientID("orders-app");
            assertThatThrownBy(() -> second.setClientID("orders-app"))
                    .isInstanceOf(InvalidClientIDException.class)
                    .hasMessageContaining("'orders-app' is in use by another connection");
            assertThat(first.getClientID()).isEqualTo("orders-app");
            // The refused connection is still fresh: it may take another identifier.
            second.setClientID("orders-app-2");
            assertThat(second.getClientID()).isEqualTo("orders-app-2");
        }
    }

    @Test
    void aClosedConnectionFreesItsClientIdAtOnce() throws Exception {
        StrataConnectionFactory otherFactory = JmsBroker.factory(broker, 10); // another factory: the broker decides
        for (int round = 0; round < 3; round++) {
            try (Connection connection = (round % 2 == 0 ? factory : otherFactory).createConnection()) {
                connection.setClientID("billing");
                assertThat(connection.getClientID()).isEqualTo("billing");
            }
        }
    }

    @Test
    void aJmsContextIsRefusedWithTheRuntimeException() {
        try (JMSContext first = factory.createContext(); JMSContext second = factory.createContext()) {
            first.setClientID("reports");
            assertThatThrownBy(() -> second.setClientID("reports")).isInstanceOf(InvalidClientIDRuntimeException.class);
        }
    }

    @Test
    void theClientIdIsSetOnceEvenAfterARefusal() throws Exception {
        try (Connection first = factory.createConnection(); Connection second = factory.createConnection()) {
            first.setClientID("audit");
            assertThatThrownBy(() -> first.setClientID("audit-2")).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> second.setClientID("audit")).isInstanceOf(InvalidClientIDException.class);
        }
    }

    @Test
    void theLeaseIsAGroupOfOneStaticMemberThatKafkaToolsSee() throws Exception {
        try (Connection connection = factory.createConnection();
             Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                     broker.bootstrapServers()))) {
            connection.setClientID("inventory");
            var group = admin.describeConsumerGroups(java.util.List.of("jms:client-id:inventory")).all().get()
                    .get("jms:client-id:inventory");
            assertThat(group.members()).singleElement()
                    .satisfies(member -> assertThat(member.groupInstanceId()).contains("inventory"));
            connection.close();
            var after = admin.describeConsumerGroups(java.util.List.of("jms:client-id:inventory")).all().get()
                    .get("jms:client-id:inventory");
            assertThat(after.members()).isEmpty();
        }
    }
}
