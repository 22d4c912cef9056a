package io.strata.broker.ejb;

import io.strata.broker.config.BrokerConfig;
import io.strata.storage.config.LogConfig;
import io.strata.storage.config.LogDirectoryConfig;
import org.apache.kafka.common.config.ConfigDef;

import java.util.Map;
import java.util.TreeMap;

/**
 * Writes {@code docs/configuration.md}, the list of every broker setting with its default, from the definitions the
 * broker validates against, so that the documentation cannot drift from the code (a test compares the two).
 */
public final class ConfigurationDocs {

    private ConfigurationDocs() {
    }

    public static void main(String[] args) {
        System.out.print(markdown());
    }

    public static String markdown() {
        Map<String, ConfigDef.ConfigKey> keys = new TreeMap<>(BrokerConfig.definition().configKeys());
        LogDirectoryConfig.definition().configKeys().forEach(keys::putIfAbsent);
        keys.remove(LogDirectoryConfig.LOG_DIR);
        StringBuilder out = new StringBuilder();
        out.append("# Strata broker settings\n\n")
                .append("Every setting uses Kafka's name. On Payara Micro (and any Jakarta EE server) it is read from ")
                .append("MicroProfile Config as `strata.<name>` — a system property (`-Dstrata.log.dirs=/var/lib/strata`), ")
                .append("`META-INF/microprofile-config.properties`, or the environment variable `STRATA_<NAME>` with dots ")
                .append("as underscores (`STRATA_LOG_DIRS`). The standalone broker (`bin/strata-server`) reads the plain ")
                .append("name from `--config FILE` or `--override name=value`. A value that is not valid stops the start ")
                .append("with a message naming the setting. Topic-level settings (`retention.ms`, `cleanup.policy`, ...) ")
                .append("take their defaults from the `log.*` settings below and are set per topic with CreateTopics or ")
                .append("`strata topics alter`.\n\n")
                .append("This file is generated from the code (`io.strata.broker.ejb.ConfigurationDocs`); a test fails when ")
                .append("it is out of date. Regenerate it with\n")
                .append("`mvn -q -pl broker-ejb test -Dtest=ConfigurationDocsTest -Dstrata.docs.write=true`.\n\n")
                .append("| setting | environment variable | default | what it does |\n")
                .append("|---|---|---|---|\n");
        for (ConfigDef.ConfigKey key : keys.values()) {
            String defaultValue = key.hasDefault()
                    ? (key.defaultValue == null ? topicDefault(key.name) : ConfigDef.convertToString(key.defaultValue,
                    key.type))
                    : "(required)";
            if (defaultValue != null && defaultValue.isEmpty()) {
                defaultValue = "(empty)";
            }
            String validity = key.validator == null ? "" : " Valid: " + key.validator + ".";
            out.append("| `").append(BrokerSettings.PREFIX).append(key.name).append("` | `")
                    .append(environmentName(key.name)).append("` | `").append(defaultValue).append("` | ")
                    .append(key.documentation.replace("|", "\\|").replace("\n", " ")).append(validity.replace("|", "\\|"))
                    .append(" |\n");
        }
        return out.toString();
    }

    /** For a broker setting that defaults a topic setting: that topic setting's own default. */
    private static String topicDefault(String brokerName) {
        for (ConfigDef.ConfigKey topicKey : LogConfig.definition().configKeys().values()) {
            if (brokerName.equals(BrokerConfig.brokerSynonymOf(topicKey.name)) && topicKey.hasDefault()
                    && topicKey.defaultValue != null) {
                return ConfigDef.convertToString(topicKey.defaultValue, topicKey.type);
            }
        }
        return "(none)";
    }

    /** The environment variable MicroProfile Config maps to {@code strata.<name>}. */
    static String environmentName(String name) {
        return (BrokerSettings.PREFIX + name).replaceAll("[^A-Za-z0-9]", "_").toUpperCase(java.util.Locale.ROOT);
    }
}
