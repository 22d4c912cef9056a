package io.strata.broker.security;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.config.Endpoint;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.network.ChannelBuilder;
import org.apache.kafka.common.network.ConnectionMode;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.network.PlaintextChannelBuilder;
import org.apache.kafka.common.network.SaslChannelBuilder;
import org.apache.kafka.common.requests.ApiVersionsResponse;
import org.apache.kafka.common.security.JaasContext;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.utils.LogContext;
import org.apache.kafka.common.utils.Time;

import javax.security.auth.login.AppConfigurationEntry;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * How a listener authenticates its connections, with kafka-clients' own server side of Kafka's security, as Kafka's
 * brokers use it: the channel builder each network thread's selector makes its connections with.
 * <ul>
 *   <li>PLAINTEXT: no authentication; every connection is {@code User:ANONYMOUS}.</li>
 *   <li>SASL_PLAINTEXT: kafka-clients' {@code SaslServerAuthenticator} answers ApiVersions, SaslHandshake (v0-1) and
 *       SaslAuthenticate (v0-2) before any request reaches the broker, closes a connection that sends anything else
 *       first, answers an unknown mechanism UNSUPPORTED_SASL_MECHANISM with the enabled ones, and a wrong password
 *       SASL_AUTHENTICATION_FAILED, closing the connection after that answer. PLAIN checks passwords with
 *       kafka-clients' {@code PlainSaslServer} and {@code PlainServerCallbackHandler}, against the
 *       {@code user_NAME="PASSWORD"} options of the listener's JAAS configuration
 *       ({@code listener.name.<listener>.plain.sasl.jaas.config}, else Strata's broker-wide
 *       {@code sasl.jaas.config}, else the JVM's JAAS file, section {@code KafkaServer}). The connection's principal,
 *       {@code User:<name>}, is its {@code KafkaChannel}'s, and every request's context carries it.</li>
 * </ul>
 * Only PLAIN is offered until issue 19 adds SCRAM (and TLS, and ACLs on the principals).
 *
 * <p>Stateless; the channel builders it makes are thread-safe as kafka-clients' are.
 */
public final class ListenerAuthentication {

    private static final System.Logger LOG = System.getLogger(ListenerAuthentication.class.getName());

    /** The SASL mechanisms Strata serves: PLAIN; SCRAM comes with issue 19. */
    public static final List<String> SUPPORTED_MECHANISMS = List.of("PLAIN");

    private ListenerAuthentication() {
    }

    /**
     * A configured channel builder for {@code listener}'s connections.
     *
     * @param apiVersions the broker's ApiVersions answer at a request version, given before authentication
     * @throws ConfigException naming the setting when a SASL listener's mechanisms or JAAS configuration are unusable
     */
    public static ChannelBuilder channelBuilder(BrokerConfig config, Endpoint listener,
                                                Function<Short, ApiVersionsResponse> apiVersions) {
        ListenerName listenerName = new ListenerName(listener.listenerName());
        if (listener.protocol() == SecurityProtocol.PLAINTEXT) {
            PlaintextChannelBuilder builder = new PlaintextChannelBuilder(listenerName);
            builder.configure(Map.of());
            return builder;
        }
        if (listener.protocol() != SecurityProtocol.SASL_PLAINTEXT) {
            throw new ConfigException(BrokerConfig.LISTENERS, listener.toString(), listener.protocol()
                    + " listeners come with issue 19; use PLAINTEXT or SASL_PLAINTEXT");
        }
        List<String> mechanisms = enabledMechanisms(config, listener);
        Map<String, JaasContext> jaasContexts = new LinkedHashMap<>();
        for (String mechanism : mechanisms) {
            jaasContexts.put(mechanism, jaasContext(config, listener, listenerName, mechanism));
        }
        SaslChannelBuilder builder = new SaslChannelBuilder(ConnectionMode.SERVER, jaasContexts,
                SecurityProtocol.SASL_PLAINTEXT, listenerName, false, null, null, null, null, Time.SYSTEM,
                new LogContext("[listener " + listener.listenerName() + "] "), apiVersions);
        Map<String, Object> settings = Map.of(BrokerConfig.SASL_ENABLED_MECHANISMS, mechanisms);
        try {
            builder.configure(settings);
        } catch (KafkaException e) {
            throw new ConfigException("Listener " + listener.listenerName() + " cannot authenticate with "
                    + mechanisms + ": " + rootMessage(e));
        }
        LOG.log(Level.DEBUG, "Listener {0} authenticates with SASL {1}", listener.listenerName(), mechanisms);
        return builder;
    }

    private static List<String> enabledMechanisms(BrokerConfig config, Endpoint listener) {
        Object value = config.listenerSetting(listener.listenerName(), BrokerConfig.SASL_ENABLED_MECHANISMS);
        List<String> mechanisms = new ArrayList<>();
        Iterable<?> items = value instanceof List<?> list ? list : List.of(String.valueOf(value).split(","));
        for (Object item : items) {
            String mechanism = String.valueOf(item).trim();
            if (!mechanism.isEmpty() && !mechanisms.contains(mechanism)) {
                mechanisms.add(mechanism);
            }
        }
        String setting = settingName(listener, BrokerConfig.SASL_ENABLED_MECHANISMS);
        if (mechanisms.isEmpty()) {
            throw new ConfigException(setting, value, "a SASL listener needs a mechanism: PLAIN");
        }
        for (String mechanism : mechanisms) {
            if (!SUPPORTED_MECHANISMS.contains(mechanism)) {
                throw new ConfigException(setting, value, "Strata serves " + SUPPORTED_MECHANISMS + " only;"
                        + " SCRAM comes with issue 19, and GSSAPI and OAUTHBEARER are not planned");
            }
        }
        return List.copyOf(mechanisms);
    }

    /**
     * The JAAS configuration of {@code mechanism} on {@code listener}, through kafka-clients' {@link JaasContext}
     * (which parses the text, and falls back to the JVM's JAAS file when none is set).
     */
    private static JaasContext jaasContext(BrokerConfig config, Endpoint listener, ListenerName listenerName,
                                           String mechanism) {
        String mechanismSetting = mechanism.toLowerCase(Locale.ROOT) + "." + BrokerConfig.SASL_JAAS_CONFIG;
        Object text = config.listenerSetting(listener.listenerName(), mechanismSetting);
        String source = settingName(listener, mechanismSetting);
        if (text == null) {
            text = config.values().get(BrokerConfig.SASL_JAAS_CONFIG);
            source = BrokerConfig.SASL_JAAS_CONFIG;
        }
        Map<String, Object> jaasSettings = new LinkedHashMap<>();
        if (text != null) {
            jaasSettings.put(mechanismSetting, text instanceof Password password ? password
                    : new Password(String.valueOf(text)));
        }
        JaasContext context;
        try {
            context = JaasContext.loadServerContext(listenerName, mechanism, jaasSettings);
        } catch (IllegalArgumentException | SecurityException e) {
            throw new ConfigException("Listener " + listener.listenerName() + " has no usable JAAS configuration"
                    + " for " + mechanism + " (" + (text == null ? "set " + settingName(listener, mechanismSetting)
                    + " or " + BrokerConfig.SASL_JAAS_CONFIG : source) + "): " + rootMessage(e));
        }
        if (countUsers(context.configurationEntries()) == 0) {
            LOG.log(Level.WARNING, "Listener {0} has no {1} users (user_NAME=\"PASSWORD\" options in {2}):"
                    + " every login is refused", listener.listenerName(), mechanism, source);
        }
        return context;
    }

    private static int countUsers(List<AppConfigurationEntry> entries) {
        int users = 0;
        for (AppConfigurationEntry entry : entries) {
            for (String option : entry.getOptions().keySet()) {
                if (option.startsWith("user_")) {
                    users++;
                }
            }
        }
        return users;
    }

    private static String settingName(Endpoint listener, String name) {
        return BrokerConfig.LISTENER_PREFIX + listener.listenerName().toLowerCase(Locale.ROOT) + "." + name;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + root.getMessage() + ")";
    }
}
