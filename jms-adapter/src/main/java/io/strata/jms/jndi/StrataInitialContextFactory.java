package io.strata.jms.jndi;

import io.strata.jms.client.StrataConnectionFactory;
import io.strata.jms.destination.StrataQueue;
import io.strata.jms.destination.StrataTopic;

import javax.naming.CompositeName;
import javax.naming.ConfigurationException;
import javax.naming.Context;
import javax.naming.InvalidNameException;
import javax.naming.Name;
import javax.naming.NamingException;
import javax.naming.spi.InitialContextFactory;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * JNDI for a standalone application: {@code java.naming.factory.initial=io.strata.jms.jndi.StrataInitialContextFactory}
 * in {@code jndi.properties} (or the environment given to {@code new InitialContext(env)}), and the objects to look
 * up declared next to it:
 *
 * <pre>
 *   connectionFactory.ConnectionFactory = broker1:9092,broker2:9092
 *   connectionFactory.Durable = strata://broker1:9092?strata.jms.client.id=orders-app&amp;request.timeout.ms=10000
 *   connectionFactory.Durable.strata.jms.consumer.prefetch = 10
 *   queue.jms/orders = orders
 *   topic.prices = prices
 * </pre>
 *
 * <ul>
 *   <li>{@code connectionFactory.NAME=SERVERS}: a {@link StrataConnectionFactory} for the brokers {@code SERVERS}
 *       ({@code host:port,...}), optionally written {@code strata://SERVERS}, optionally followed by
 *       {@code ?setting=value&setting=value} (URL-encoded values). A setting is any kafka-clients property or any
 *       {@code strata.jms.*} setting of the factory.</li>
 *   <li>{@code connectionFactory.NAME.SETTING=value}: one more setting of the factory {@code NAME}; it wins over the
 *       same setting in the query. Because of this form, a factory's name cannot be another factory's name followed
 *       by a dot.</li>
 *   <li>{@code queue.NAME=QUEUE} and {@code topic.NAME=TOPIC}: the destination {@code QUEUE} (or {@code TOPIC}) under
 *       the JNDI name {@code NAME}.</li>
 *   <li>{@code dynamicQueues/QUEUE} and {@code dynamicTopics/TOPIC}: any destination, looked up without declaring
 *       it.</li>
 * </ul>
 *
 * A JNDI name may hold {@code /}: its components before the last are sub-contexts, which can be looked up and listed.
 * The context is read-only ({@link ReadOnlyContext}). Every other key of the environment (the {@code java.naming.*}
 * ones, for example) is left alone. A declaration that cannot work (an empty server list, a setting the factory
 * refuses, one name declared twice) fails {@code new InitialContext()} with a {@link ConfigurationException} naming the
 * key, rather than a later lookup.
 *
 * <p>Stateless, so thread-safe; each context it makes has its own connection factories.
 */
public final class StrataInitialContextFactory implements InitialContextFactory {

    public static final String CONNECTION_FACTORY_PREFIX = "connectionFactory.";
    public static final String QUEUE_PREFIX = "queue.";
    public static final String TOPIC_PREFIX = "topic.";
    public static final String DYNAMIC_QUEUES = "dynamicQueues";
    public static final String DYNAMIC_TOPICS = "dynamicTopics";
    static final String URL_SCHEME = "strata://";

    @Override
    public Context getInitialContext(Hashtable<?, ?> environment) throws NamingException {
        Map<String, String> entries = new TreeMap<>();
        environment.forEach((key, value) -> {
            if (key instanceof String name && value != null) {
                entries.put(name, value.toString().trim());
            }
        });
        Map<String, Object> root = new HashMap<>();
        bind(root, DYNAMIC_QUEUES, dynamic(DYNAMIC_QUEUES, StrataQueue::new, environment), "(built in)");
        bind(root, DYNAMIC_TOPICS, dynamic(DYNAMIC_TOPICS, StrataTopic::new, environment), "(built in)");
        for (Map.Entry<String, StrataConnectionFactory> factory : connectionFactories(entries).entrySet()) {
            bind(root, factory.getKey(), factory.getValue(), CONNECTION_FACTORY_PREFIX + factory.getKey());
        }
        for (Map.Entry<String, String> entry : entries.entrySet()) {
            String key = entry.getKey();
            if (key.startsWith(QUEUE_PREFIX)) {
                bind(root, key.substring(QUEUE_PREFIX.length()), new StrataQueue(destinationName(entry)), key);
            } else if (key.startsWith(TOPIC_PREFIX)) {
                bind(root, key.substring(TOPIC_PREFIX.length()), new StrataTopic(destinationName(entry)), key);
            }
        }
        return toContext("", root, environment);
    }

    /**
     * The connection factories {@code entries} declare, by JNDI name: a key {@code connectionFactory.X} declares the
     * factory {@code X} unless {@code X} starts with a declared factory's name and a dot, in which case it is a
     * setting of that factory (the shortest such name).
     */
    static Map<String, StrataConnectionFactory> connectionFactories(Map<String, String> entries)
            throws ConfigurationException {
        Map<String, Properties> declared = new LinkedHashMap<>();
        Map<String, String> settings = new TreeMap<>();
        for (Map.Entry<String, String> entry : entries.entrySet()) {
            if (entry.getKey().startsWith(CONNECTION_FACTORY_PREFIX)) {
                settings.put(entry.getKey().substring(CONNECTION_FACTORY_PREFIX.length()), entry.getValue());
            }
        }
        // Sorted, so a factory's name comes before every key it prefixes.
        for (Map.Entry<String, String> entry : settings.entrySet()) {
            String rest = entry.getKey();
            String owner = declared.keySet().stream().filter(name -> rest.startsWith(name + ".")).findFirst()
                    .orElse(null);
            if (owner == null) {
                declared.put(rest, parseUrl(CONNECTION_FACTORY_PREFIX + rest, entry.getValue()));
            } else {
                String setting = rest.substring(owner.length() + 1);
                if (setting.isEmpty()) {
                    throw new ConfigurationException("'" + CONNECTION_FACTORY_PREFIX + rest + "' names no setting"
                            + " of the connection factory '" + owner + "'");
                }
                declared.get(owner).setProperty(setting, entry.getValue());
            }
        }
        Map<String, StrataConnectionFactory> factories = new LinkedHashMap<>();
        for (Map.Entry<String, Properties> factory : declared.entrySet()) {
            try {
                factories.put(factory.getKey(), new StrataConnectionFactory(factory.getValue()));
            } catch (IllegalArgumentException e) {
                throw configuration("the connection factory '" + factory.getKey() + "' (" + CONNECTION_FACTORY_PREFIX
                        + factory.getKey() + "): " + e.getMessage(), e);
            }
        }
        return factories;
    }

    /** {@code [strata://]SERVERS[?setting=value&...]} as factory properties; {@code key} is for the errors. */
    static Properties parseUrl(String key, String url) throws ConfigurationException {
        String text = url.startsWith(URL_SCHEME) ? url.substring(URL_SCHEME.length()) : url;
        int query = text.indexOf('?');
        String servers = (query < 0 ? text : text.substring(0, query)).trim();
        if (servers.isEmpty() || servers.contains("/")) {
            throw new ConfigurationException("'" + key + "=" + url + "' must name the brokers: host:port[,host:port]"
                    + " (optionally strata://host:port,...?setting=value&setting=value)");
        }
        Properties properties = new Properties();
        properties.setProperty("bootstrap.servers", servers);
        if (query >= 0) {
            for (String pair : text.substring(query + 1).split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int equals = pair.indexOf('=');
                if (equals <= 0) {
                    throw new ConfigurationException("'" + key + "': the query part '" + pair + "' is not"
                            + " setting=value");
                }
                try {
                    properties.setProperty(URLDecoder.decode(pair.substring(0, equals), StandardCharsets.UTF_8),
                            URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8));
                } catch (IllegalArgumentException e) {
                    throw configuration("'" + key + "': the query part '" + pair + "' is not URL-encoded", e);
                }
            }
        }
        return properties;
    }

    private static String destinationName(Map.Entry<String, String> entry) throws ConfigurationException {
        if (entry.getValue().isEmpty()) {
            throw new ConfigurationException("'" + entry.getKey() + "' names no destination: give its name as the"
                    + " value");
        }
        return entry.getValue();
    }

    private static ReadOnlyContext dynamic(String name, Function<String, Object> make, Hashtable<?, ?> environment) {
        return new ReadOnlyContext(name, Map.of(), make, environment);
    }

    /** Puts {@code value} at {@code jndiName} in the tree {@code root} (nested maps are sub-contexts). */
    @SuppressWarnings("unchecked")
    private static void bind(Map<String, Object> root, String jndiName, Object value, String key)
            throws NamingException {
        Name name = new CompositeName(jndiName);
        if (name.isEmpty() || jndiName.isBlank()) {
            throw new InvalidNameException("'" + key + "' gives no JNDI name");
        }
        Map<String, Object> context = root;
        for (int i = 0; i < name.size() - 1; i++) {
            Object existing = context.computeIfAbsent(name.get(i), component -> new HashMap<String, Object>());
            if (!(existing instanceof Map)) {
                throw new ConfigurationException("'" + key + "' needs '" + name.getPrefix(i + 1) + "' to be a"
                        + " sub-context, but it is bound to " + existing);
            }
            context = (Map<String, Object>) existing;
        }
        Object previous = context.putIfAbsent(name.get(name.size() - 1), value);
        if (previous != null) {
            throw new ConfigurationException("'" + key + "' binds '" + jndiName + "', which is already bound to "
                    + (previous instanceof Map ? "a sub-context" : previous));
        }
    }

    @SuppressWarnings("unchecked")
    private static ReadOnlyContext toContext(String path, Map<String, Object> tree, Hashtable<?, ?> environment) {
        Map<String, Object> bindings = new HashMap<>();
        tree.forEach((component, value) -> bindings.put(component, value instanceof Map<?, ?> sub
                ? toContext(path.isEmpty() ? component : path + "/" + component, (Map<String, Object>) sub,
                environment)
                : value));
        return new ReadOnlyContext(path, bindings, null, environment);
    }

    private static ConfigurationException configuration(String message, Exception cause) {
        ConfigurationException e = new ConfigurationException(message);
        e.setRootCause(cause);
        return e;
    }
}
