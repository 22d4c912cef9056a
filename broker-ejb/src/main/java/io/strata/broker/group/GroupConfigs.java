package io.strata.broker.group;

import io.strata.broker.config.BrokerConfig;
import org.apache.kafka.common.errors.InvalidConfigurationException;

import java.lang.System.Logger.Level;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The dynamic group configs (KIP-848 {@code consumer.*}, KIP-932 {@code share.*}) of every group, as the cluster
 * metadata holds them (group id to name-to-value), turned into each kind's settings over the broker's defaults. The one
 * place that knows which names exist and how they are validated, for IncrementalAlterConfigs and for the coordinator.
 *
 * <p>Reads the metadata at each call (a map lookup), so a change is seen at once. Thread-safe.
 */
public final class GroupConfigs {

    /** Every group config name a group may set. */
    public static final Set<String> NAMES;

    static {
        Set<String> names = new HashSet<>(ShareGroupConfig.NAMES);
        names.addAll(ConsumerGroupConfig.NAMES);
        NAMES = Set.copyOf(names);
    }

    private static final System.Logger LOG = System.getLogger(GroupConfigs.class.getName());

    private final BrokerConfig config;
    private final Function<String, Map<String, String>> stored;

    /** @param stored a group's stored group configs; an empty map when it has none */
    public GroupConfigs(BrokerConfig config, Function<String, Map<String, String>> stored) {
        this.config = config;
        this.stored = stored;
    }

    /** The broker's defaults for every group: for a coordinator without cluster metadata (unit tests). */
    static GroupConfigs defaultsOf(BrokerConfig config) {
        return new GroupConfigs(config, groupId -> Map.of());
    }

    /**
     * Checks a group's whole set of group configs: names known, values parsable and within the broker's bounds.
     *
     * @throws InvalidConfigurationException naming the config (Kafka's INVALID_CONFIG)
     */
    public static void validate(BrokerConfig config, Map<String, String> configs) {
        for (String name : configs.keySet()) {
            if (!NAMES.contains(name)) {
                throw new InvalidConfigurationException("Unknown group config name: " + name + ". Groups accept "
                        + String.join(", ", new TreeSet<>(NAMES)) + ".");
            }
        }
        ShareGroupConfig.of(config, only(configs, ShareGroupConfig.NAMES));
        ShareGroupConfig.checkDeadLetterTopicPrefix(config, configs);
        ConsumerGroupConfig.of(config, only(configs, ConsumerGroupConfig.NAMES));
    }

    /**
     * A share group's settings. A group whose stored configs no longer fit this broker's bounds (its settings
     * changed since) gets the defaults, with a warning, rather than failing its members.
     */
    public ShareGroupConfig share(String groupId) {
        Map<String, String> overrides = only(stored.apply(groupId), ShareGroupConfig.NAMES);
        if (overrides.isEmpty()) {
            return ShareGroupConfig.defaults(config);
        }
        try {
            return ShareGroupConfig.of(config, overrides);
        } catch (InvalidConfigurationException e) {
            LOG.log(Level.WARNING, "Group {0} has share group configs outside this broker''s bounds, using the"
                    + " defaults: {1}", groupId, e.getMessage());
            return ShareGroupConfig.defaults(config);
        }
    }

    /** A consumer-protocol group's settings, falling back to the defaults as {@link #share} does. */
    public ConsumerGroupConfig consumer(String groupId) {
        Map<String, String> overrides = only(stored.apply(groupId), ConsumerGroupConfig.NAMES);
        if (overrides.isEmpty()) {
            return ConsumerGroupConfig.defaults(config);
        }
        try {
            return ConsumerGroupConfig.of(config, overrides);
        } catch (InvalidConfigurationException e) {
            LOG.log(Level.WARNING, "Group {0} has consumer group configs outside this broker''s bounds, using the"
                    + " defaults: {1}", groupId, e.getMessage());
            return ConsumerGroupConfig.defaults(config);
        }
    }

    private static Map<String, String> only(Map<String, String> configs, Set<String> names) {
        Map<String, String> kept = new HashMap<>(configs);
        kept.keySet().retainAll(names);
        return kept;
    }

    /** An integer group config within the broker's {@code minName}..{@code maxName} settings, or the fallback. */
    static int intWithin(BrokerConfig config, Map<String, String> overrides, String name, int fallback,
                         String minName, String maxName) {
        String value = overrides.get(name);
        if (value == null) {
            return fallback;
        }
        int min = (Integer) config.values().get(minName);
        int max = (Integer) config.values().get(maxName);
        int parsed;
        try {
            parsed = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new InvalidConfigurationException("Invalid value " + value + " for group config " + name
                    + ": it must be an integer.");
        }
        if (parsed < min || parsed > max) {
            throw new InvalidConfigurationException("Invalid value " + value + " for group config " + name
                    + ": it must be between " + minName + " (" + min + ") and " + maxName + " (" + max + ").");
        }
        return parsed;
    }
}
