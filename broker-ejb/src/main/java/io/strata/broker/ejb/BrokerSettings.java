package io.strata.broker.ejb;

import io.strata.broker.config.BrokerConfig;
import io.strata.storage.config.LogDirectoryConfig;
import org.eclipse.microprofile.config.Config;

import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The broker's settings in the server: every broker setting under Kafka's name, looked up in MicroProfile Config as
 * {@code strata.<name>} (so {@code strata.log.dirs}, {@code strata.listeners}, {@code strata.node.id}, ...), which
 * MicroProfile Config also finds as the environment variable {@code STRATA_<NAME>} ({@code STRATA_LOG_DIRS}).
 * Settings not given keep the defaults documented in {@code docs/configuration.md}.
 */
public final class BrokerSettings {

    public static final String PREFIX = "strata.";

    private BrokerSettings() {
    }

    /** Every setting the broker knows, by its Kafka name. */
    public static Set<String> names() {
        Set<String> names = new TreeSet<>(BrokerConfig.definition().names());
        names.addAll(LogDirectoryConfig.definition().names());
        names.remove(LogDirectoryConfig.LOG_DIR); // one directory per entry of log.dirs, set by the broker
        return names;
    }

    /** The settings given in {@code config}, by Kafka name, as strings for {@link BrokerConfig#of}. */
    public static Map<String, Object> from(Config config) {
        Map<String, Object> settings = new TreeMap<>();
        for (String name : names()) {
            Optional<String> value = config.getOptionalValue(PREFIX + name, String.class);
            value.ifPresent(v -> settings.put(name, v));
        }
        // A listener's own settings (listener.name.<listener>.plain.sasl.jaas.config, ...) have open-ended names.
        for (String key : config.getPropertyNames()) {
            String name = key.startsWith(PREFIX) ? key.substring(PREFIX.length()) : "";
            if (BrokerConfig.isListenerSetting(name)) {
                config.getOptionalValue(key, String.class).ifPresent(v -> settings.put(name, v));
            }
        }
        return settings;
    }

    /** {@code strata.*} keys in {@code config} that name no setting: probably misspelt. */
    public static Set<String> unknownKeys(Config config) {
        Set<String> known = names();
        Set<String> unknown = new TreeSet<>();
        for (String key : config.getPropertyNames()) {
            if (key.startsWith(PREFIX) && !known.contains(key.substring(PREFIX.length()))
                    && !BrokerConfig.isListenerSetting(key.substring(PREFIX.length()))) {
                unknown.add(key);
            }
        }
        return unknown;
    }
}
