package io.strata.broker.cluster;

import io.strata.broker.config.Endpoint;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** A broker's registration in the cluster keeps each listener's security protocol, whatever the listener's name. */
class BrokerRegistrationEncodingTest {

    @Test
    void listenersOfAnyNameComeBackWithTheirProtocols() {
        BrokerInfo broker = new BrokerInfo(3, List.of(
                new Endpoint("CLIENT", SecurityProtocol.SASL_PLAINTEXT, "10.0.0.3", 9092),
                new Endpoint("BROKER", SecurityProtocol.PLAINTEXT, "10.0.0.3", 9093)), "rack-a");
        String encoded = HazelcastCluster.encode(broker, UUID.randomUUID(), "incarnation-1");
        assertThat(HazelcastCluster.decode(3, encoded)).isEqualTo(broker);
    }

    @Test
    void aRegistrationWithoutProtocolsReadsListenerNamesAsKafkasDefaultMapDoes() {
        String encoded = "member=" + UUID.randomUUID() + "\nendpoints=PLAINTEXT://10.0.0.1:9092\nrack=\n";
        assertThat(HazelcastCluster.decode(1, encoded).endpoints())
                .containsExactly(new Endpoint("PLAINTEXT", SecurityProtocol.PLAINTEXT, "10.0.0.1", 9092));
    }
}
