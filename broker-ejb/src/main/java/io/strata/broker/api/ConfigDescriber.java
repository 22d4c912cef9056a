package io.strata.broker.api;

import io.strata.broker.config.BrokerConfig;
import io.strata.storage.config.LogConfig;
import io.strata.storage.config.LogDirectoryConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResourceResult;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsSynonym;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigSource;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigType;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Describes settings as DescribeConfigs (and CreateTopics) report them: each topic setting with its value and where
 * the value comes from (the topic's own override, the broker's {@code log.*} default, or Kafka's default), with the
 * synonyms and documentation when asked; and the broker's own settings, which are static.
 *
 * <p>Immutable; thread-safe.
 */
final class ConfigDescriber {

    private final BrokerConfig broker;

    ConfigDescriber(BrokerConfig broker) {
        this.broker = broker;
    }

    /** Every topic setting of a topic with {@code overrides}, or only {@code keys} if given. */
    List<DescribeConfigsResourceResult> describeTopic(Map<String, String> overrides, Collection<String> keys,
                                                      boolean synonyms, boolean documentation) {
        List<DescribeConfigsResourceResult> results = new ArrayList<>();
        ConfigDef definition = LogConfig.definition();
        Map<String, Object> brokerDefaults = broker.topicDefaults();
        for (String name : new TreeSet<>(definition.names())) {
            if (keys != null && !keys.contains(name)) {
                continue;
            }
            ConfigDef.ConfigKey key = definition.configKeys().get(name);
            String brokerName = BrokerConfig.brokerSynonymOf(name);
            String kafkaDefault = key.hasDefault() ? ConfigDef.convertToString(key.defaultValue, key.type) : null;
            String brokerValue = brokerDefaults.containsKey(name)
                    ? ConfigDef.convertToString(ConfigDef.parseType(name, brokerDefaults.get(name), key.type), key.type)
                    : null;
            List<DescribeConfigsSynonym> chain = new ArrayList<>();
            if (overrides.containsKey(name)) {
                chain.add(synonym(name, overrides.get(name), ConfigSource.TOPIC_CONFIG));
            }
            if (brokerValue != null && brokerName != null) {
                chain.add(synonym(brokerName, brokerValue, ConfigSource.STATIC_BROKER_CONFIG));
            }
            if (kafkaDefault != null) {
                chain.add(synonym(brokerName != null ? brokerName : name, kafkaDefault, ConfigSource.DEFAULT_CONFIG));
            }
            DescribeConfigsSynonym effective = chain.isEmpty() ? synonym(name, null, ConfigSource.DEFAULT_CONFIG)
                    : chain.get(0);
            DescribeConfigsResourceResult result = new DescribeConfigsResourceResult()
                    .setName(name)
                    .setValue(effective.value())
                    .setConfigSource(effective.source())
                    .setReadOnly(false)
                    .setIsSensitive(false)
                    .setConfigType(typeOf(key.type).id())
                    .setDocumentation(documentation ? key.documentation : null);
            if (synonyms) {
                result.setSynonyms(chain);
            }
            results.add(result);
        }
        return results;
    }

    /** The broker's settings: given ones as static broker config, the rest as defaults; none can change at runtime. */
    List<DescribeConfigsResourceResult> describeBroker(Collection<String> keys, boolean synonyms,
                                                       boolean documentation) {
        List<DescribeConfigsResourceResult> results = new ArrayList<>();
        Map<String, Object> given = broker.originals();
        addBrokerSettings(results, BrokerConfig.definition(), broker.values(), given, keys, synonyms, documentation);
        LogDirectoryConfig directory = broker.logDirectoryConfig(broker.logDirs.get(0));
        Map<String, Object> directoryValues = LogDirectoryConfig.definition().parse(Map.of(
                LogDirectoryConfig.LOG_DIR, directory.logDir.toString()));
        Map<String, Object> merged = new java.util.HashMap<>(directoryValues);
        for (String name : LogDirectoryConfig.definition().names()) {
            if (given.containsKey(name)) {
                merged.put(name, ConfigDef.parseType(name, given.get(name),
                        LogDirectoryConfig.definition().configKeys().get(name).type));
            }
        }
        merged.remove(LogDirectoryConfig.LOG_DIR);
        addBrokerSettings(results, LogDirectoryConfig.definition(), merged, given, keys, synonyms, documentation);
        return results;
    }

    private static void addBrokerSettings(List<DescribeConfigsResourceResult> results, ConfigDef definition,
                                          Map<String, Object> values, Map<String, Object> given,
                                          Collection<String> keys, boolean synonyms, boolean documentation) {
        for (String name : new TreeSet<>(values.keySet())) {
            if (keys != null && !keys.contains(name)) {
                continue;
            }
            ConfigDef.ConfigKey key = definition.configKeys().get(name);
            if (key == null) {
                continue;
            }
            Object value = values.get(name);
            ConfigSource source = given.containsKey(name) ? ConfigSource.STATIC_BROKER_CONFIG
                    : ConfigSource.DEFAULT_CONFIG;
            String text = value == null ? null : ConfigDef.convertToString(value, key.type);
            DescribeConfigsResourceResult result = new DescribeConfigsResourceResult()
                    .setName(name)
                    .setValue(text)
                    .setConfigSource(source.id())
                    .setReadOnly(true)
                    .setIsSensitive(false)
                    .setConfigType(typeOf(key.type).id())
                    .setDocumentation(documentation ? key.documentation : null);
            if (synonyms) {
                result.setSynonyms(List.of(synonym(name, text, source)));
            }
            results.add(result);
        }
    }

    private static DescribeConfigsSynonym synonym(String name, String value, ConfigSource source) {
        return new DescribeConfigsSynonym().setName(name).setValue(value).setSource(source.id());
    }

    private static ConfigType typeOf(ConfigDef.Type type) {
        return switch (type) {
            case BOOLEAN -> ConfigType.BOOLEAN;
            case STRING -> ConfigType.STRING;
            case INT -> ConfigType.INT;
            case SHORT -> ConfigType.SHORT;
            case LONG -> ConfigType.LONG;
            case DOUBLE -> ConfigType.DOUBLE;
            case LIST -> ConfigType.LIST;
            case CLASS -> ConfigType.CLASS;
            case PASSWORD -> ConfigType.PASSWORD;
        };
    }
}
