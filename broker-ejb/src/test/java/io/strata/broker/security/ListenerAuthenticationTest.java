package io.strata.broker.security;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.config.Endpoint;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.network.ChannelBuilder;
import org.apache.kafka.common.network.PlaintextChannelBuilder;
import org.apache.kafka.common.network.SaslChannelBuilder;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Which listeners a broker accepts and how each authenticates, from Kafka's settings; no broker runs. */
class ListenerAuthenticationTest {

    private static final String USERS = "org.apache.kafka.common.security.plain.PlainLoginModule required"
            + " user_j2ee=\"j2ee\";";
    private static final Function<Short, ApiVersionsResponse> NO_API_VERSIONS = version -> {
        throw new AssertionError("not asked without a connection");
    };

    @Test
    void listenerNamesTakeTheirProtocolsFromTheMapAndBrokersUseThePlaintextOne() {
        BrokerConfig config = config(Map.of(BrokerConfig.LISTENERS, "CLIENT://127.0.0.1:9092,BROKER://127.0.0.1:9093",
                BrokerConfig.LISTENER_SECURITY_PROTOCOL_MAP, "CLIENT:SASL_PLAINTEXT,BROKER:PLAINTEXT",
                BrokerConfig.SASL_JAAS_CONFIG, USERS));
        assertThat(config.listeners).extracting(Endpoint::protocol)
                .containsExactly(SecurityProtocol.SASL_PLAINTEXT, SecurityProtocol.PLAINTEXT);
        assertThat(config.interBrokerListenerName).isEqualTo("BROKER");
    }

    @Test
    void tlsListenersAreRefusedUntilIssue19() {
        assertThatThrownBy(() -> config(Map.of(BrokerConfig.LISTENERS, "SSL://127.0.0.1:9093")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("issue 19");
        assertThatThrownBy(() -> config(Map.of(BrokerConfig.LISTENERS,
                "PLAINTEXT://127.0.0.1:9092,SASL_SSL://127.0.0.1:9093")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("issue 19");
    }

    @Test
    void brokersNeedAPlaintextListenerUntilIssue19() {
        assertThatThrownBy(() -> config(Map.of(BrokerConfig.LISTENERS, "SASL_PLAINTEXT://127.0.0.1:9092")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("PLAINTEXT listener")
                .hasMessageContaining("issue 19");
        assertThatThrownBy(() -> config(Map.of(
                BrokerConfig.LISTENERS, "PLAINTEXT://127.0.0.1:9092,SASL_PLAINTEXT://127.0.0.1:9093",
                BrokerConfig.INTER_BROKER_LISTENER_NAME, "SASL_PLAINTEXT")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("issue 19");
    }

    @Test
    void aSaslListenerAuthenticatesWithTheUsersOfItsOwnJaasConfigurationOrTheBrokerWideOne() {
        BrokerConfig own = saslConfig(Map.of("listener.name.sasl_plaintext.plain.sasl.jaas.config", USERS));
        ChannelBuilder builder = ListenerAuthentication.channelBuilder(own, own.listeners.get(1), NO_API_VERSIONS);
        assertThat(builder).isInstanceOf(SaslChannelBuilder.class);
        builder.close();
        BrokerConfig brokerWide = saslConfig(Map.of(BrokerConfig.SASL_JAAS_CONFIG, USERS));
        builder = ListenerAuthentication.channelBuilder(brokerWide, brokerWide.listeners.get(1), NO_API_VERSIONS);
        assertThat(builder).isInstanceOf(SaslChannelBuilder.class);
        builder.close();
        builder = ListenerAuthentication.channelBuilder(brokerWide, brokerWide.listeners.get(0), NO_API_VERSIONS);
        assertThat(builder).isInstanceOf(PlaintextChannelBuilder.class);
        builder.close();
    }

    @Test
    void aSaslListenerWithoutUsersOrWithAMechanismStrataLacksIsRefused() {
        BrokerConfig none = saslConfig(Map.of());
        assertThatThrownBy(() -> ListenerAuthentication.channelBuilder(none, none.listeners.get(1), NO_API_VERSIONS))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("listener.name.sasl_plaintext.plain.sasl.jaas.config");
        BrokerConfig scram = saslConfig(Map.of(BrokerConfig.SASL_JAAS_CONFIG, USERS,
                "listener.name.sasl_plaintext.sasl.enabled.mechanisms", "PLAIN,SCRAM-SHA-256"));
        assertThatThrownBy(() -> ListenerAuthentication.channelBuilder(scram, scram.listeners.get(1), NO_API_VERSIONS))
                .isInstanceOf(ConfigException.class).hasMessageContaining("SCRAM comes with issue 19");
    }

    @Test
    void listenerSettingsAreKnownNames() {
        assertThat(BrokerConfig.unknownNames(Map.of("listener.name.client.plain.sasl.jaas.config", USERS,
                "listener.name.client.sasl.enabled.mechanisms", "PLAIN", "listener.name.client.nonsense", "x")))
                .containsExactly("listener.name.client.nonsense");
    }

    private static BrokerConfig saslConfig(Map<String, Object> extra) {
        Map<String, Object> settings = new HashMap<>(extra);
        settings.put(BrokerConfig.LISTENERS, "PLAINTEXT://127.0.0.1:9092,SASL_PLAINTEXT://127.0.0.1:9093");
        return config(settings);
    }

    private static BrokerConfig config(Map<String, Object> settings) {
        return BrokerConfig.of(settings);
    }
}
