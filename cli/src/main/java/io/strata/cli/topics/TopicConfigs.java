package io.strata.cli.topics;

import java.util.Collection;
import java.util.Map;
import java.util.function.Function;

/**
 * Checks on topic settings given as --config KEY=VALUE that picocli's own KEY=VALUE parsing leaves open.
 *
 * <p>Stateless; thread-safe.
 */
final class TopicConfigs {

    private TopicConfigs() {
    }

    /** Rejects "=value" (empty key), which picocli accepts. */
    static void requireKeys(Map<String, String> configs, Function<String, RuntimeException> usageError) {
        requireNames(configs.keySet(), "--config", usageError);
    }

    static void requireNames(Collection<String> names, String option,
                             Function<String, RuntimeException> usageError) {
        for (String name : names) {
            if (name == null || name.isBlank()) {
                throw usageError.apply(option + " needs a setting name, e.g. retention.ms");
            }
        }
    }
}
