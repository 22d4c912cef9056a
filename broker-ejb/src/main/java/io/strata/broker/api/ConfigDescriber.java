package io.strata.broker.api;

import io.strata.broker.config.BrokerConfig;
import io.strata.broker.group.ConsumerGroupConfig;
import io.strata.broker.group.ShareGroupConfig;
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
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * Describes settings as DescribeConfigs (and CreateTopics) report them: each topic setting with its value and where
 * the value comes from (the topic's own override, the broker's {@code log.*} default, or Kafka's default), with the
 * synonyms and documentation when asked; the broker's own settings, which are static; and a group's dynamic group
 * configs over the broker's {@code group.share.*} defaults.
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

    /** A group config as DescribeConfigs shows it: its name, the broker setting it defaults to, its type. */
    private record GroupSetting(String name, String brokerName, ConfigType type, String documentation) {
    }

    private static final List<GroupSetting> GROUP_SETTINGS = List.of(
            new GroupSetting(ConsumerGroupConfig.HEARTBEAT_INTERVAL_MS,
                    BrokerConfig.GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS, ConfigType.INT,
                    "How often the members of the consumer group are told to heartbeat."),
            new GroupSetting(ConsumerGroupConfig.SESSION_TIMEOUT_MS, BrokerConfig.GROUP_CONSUMER_SESSION_TIMEOUT_MS,
                    ConfigType.INT, "How long a consumer group member may go without a heartbeat before it is"
                    + " fenced."),
            new GroupSetting(ShareGroupConfig.DEAD_LETTER_COPY_RECORD_ENABLE, null, ConfigType.BOOLEAN,
                    "Whether the key, value and headers of a record the share group gives up on are copied to its"
                    + " dead-letter topic (KIP-1191)."),
            new GroupSetting(ShareGroupConfig.DEAD_LETTER_TOPIC_NAME, null, ConfigType.STRING,
                    "The share group's dead-letter topic, where records it gives up on (rejected, or at the delivery"
                    + " limit) are written (KIP-1191); empty for none."),
            new GroupSetting(ShareGroupConfig.AUTO_OFFSET_RESET, null, ConfigType.STRING,
                    "Where a share partition without state starts: earliest, latest or by_duration:<ISO-8601>."),
            new GroupSetting(ShareGroupConfig.DELIVERY_COUNT_LIMIT, BrokerConfig.GROUP_SHARE_DELIVERY_COUNT_LIMIT,
                    ConfigType.INT, "Deliveries of a record before it is archived as undeliverable."),
            new GroupSetting(ShareGroupConfig.HEARTBEAT_INTERVAL_MS, BrokerConfig.GROUP_SHARE_HEARTBEAT_INTERVAL_MS,
                    ConfigType.INT, "How often the group's members are told to heartbeat."),
            new GroupSetting(ShareGroupConfig.ISOLATION_LEVEL, null, ConfigType.STRING,
                    "read_committed or read_uncommitted: which records the group's members may acquire."),
            new GroupSetting(ShareGroupConfig.RECORD_LOCK_DURATION_MS,
                    BrokerConfig.GROUP_SHARE_RECORD_LOCK_DURATION_MS, ConfigType.INT,
                    "How long a member holds acquired records before they are released for another delivery."),
            new GroupSetting(ShareGroupConfig.SESSION_TIMEOUT_MS, BrokerConfig.GROUP_SHARE_SESSION_TIMEOUT_MS,
                    ConfigType.INT, "How long a member may go without a heartbeat before it is removed."),
            new GroupSetting(ShareGroupConfig.JMS_SUBSCRIPTION, null, ConfigType.STRING,
                    "Strata's: the selector and noLocal of the JMS durable subscription this share group reads, as"
                    + " the JMS provider wrote them; empty for none."));

    /**
     * A group's group configs (KIP-848 consumer and KIP-932 share ones), or only {@code keys} if given: the group's
     * own value (GROUP_CONFIG) where it set one, else the broker's {@code group.consumer.*} or {@code group.share.*}
     * setting or Kafka's default.
     */
    List<DescribeConfigsResourceResult> describeGroup(Map<String, String> overrides, Collection<String> keys,
                                                      boolean synonyms, boolean documentation) {
        ShareGroupConfig defaults = ShareGroupConfig.defaults(broker);
        ConsumerGroupConfig consumerDefaults = ConsumerGroupConfig.defaults(broker);
        Map<String, String> defaultValues = Map.ofEntries(
                Map.entry(ConsumerGroupConfig.HEARTBEAT_INTERVAL_MS,
                        String.valueOf(consumerDefaults.heartbeatIntervalMs())),
                Map.entry(ConsumerGroupConfig.SESSION_TIMEOUT_MS, String.valueOf(consumerDefaults.sessionTimeoutMs())),
                Map.entry(ShareGroupConfig.AUTO_OFFSET_RESET, defaults.autoOffsetReset().toString()),
                Map.entry(ShareGroupConfig.DELIVERY_COUNT_LIMIT, String.valueOf(defaults.deliveryCountLimit())),
                Map.entry(ShareGroupConfig.HEARTBEAT_INTERVAL_MS, String.valueOf(defaults.heartbeatIntervalMs())),
                Map.entry(ShareGroupConfig.ISOLATION_LEVEL,
                        defaults.isolationLevel().toString().toLowerCase(Locale.ROOT)),
                Map.entry(ShareGroupConfig.RECORD_LOCK_DURATION_MS, String.valueOf(defaults.recordLockDurationMs())),
                Map.entry(ShareGroupConfig.SESSION_TIMEOUT_MS, String.valueOf(defaults.sessionTimeoutMs())),
                Map.entry(ShareGroupConfig.DEAD_LETTER_TOPIC_NAME, defaults.deadLetterTopic()),
                Map.entry(ShareGroupConfig.DEAD_LETTER_COPY_RECORD_ENABLE,
                        String.valueOf(defaults.deadLetterCopyRecord())),
                Map.entry(ShareGroupConfig.JMS_SUBSCRIPTION, ""));
        List<DescribeConfigsResourceResult> results = new ArrayList<>();
        for (GroupSetting setting : GROUP_SETTINGS) {
            if (keys != null && !keys.contains(setting.name())) {
                continue;
            }
            List<DescribeConfigsSynonym> chain = new ArrayList<>();
            if (overrides.containsKey(setting.name())) {
                chain.add(synonym(setting.name(), overrides.get(setting.name()), ConfigSource.GROUP_CONFIG));
            }
            boolean given = setting.brokerName() != null && broker.originals().containsKey(setting.brokerName());
            chain.add(synonym(setting.brokerName() != null ? setting.brokerName() : setting.name(),
                    defaultValues.get(setting.name()),
                    given ? ConfigSource.STATIC_BROKER_CONFIG : ConfigSource.DEFAULT_CONFIG));
            DescribeConfigsSynonym effective = chain.get(0);
            DescribeConfigsResourceResult result = new DescribeConfigsResourceResult()
                    .setName(setting.name())
                    .setValue(effective.value())
                    .setConfigSource(effective.source())
                    .setReadOnly(false)
                    .setIsSensitive(false)
                    .setConfigType(setting.type().id())
                    .setDocumentation(documentation ? setting.documentation() : null);
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
