package io.strata.broker.metadata;

import org.apache.kafka.common.Uuid;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The metadata log's record format: one record per topic (key {@code topic/<name>}, a tombstone once deleted; each
 * partition's replicas, ISR, leader and epochs, and the replicas a reassignment adds and removes, which are absent
 * when none runs), one for the cluster id ({@code cluster}) and one for the next free producer id
 * ({@code producer-ids}). Values are Java properties text, so that a metadata log can be read with {@code strings}
 * when something goes wrong. This is the only class that knows the format. Stateless; thread-safe.
 */
public final class MetadataRecords {

    public static final String CLUSTER_KEY = "cluster";
    public static final String PRODUCER_IDS_KEY = "producer-ids";
    private static final String TOPIC_PREFIX = "topic/";
    private static final String BROKER_PREFIX = "broker/";
    private static final String GROUP_PREFIX = "group/";

    private MetadataRecords() {
    }

    public static String topicKey(String name) {
        return TOPIC_PREFIX + name;
    }

    /** The topic name in a topic record's key, or {@code null} if the key is not a topic's. */
    public static String topicName(String key) {
        return key.startsWith(TOPIC_PREFIX) ? key.substring(TOPIC_PREFIX.length()) : null;
    }

    public static byte[] encodeTopic(TopicImage topic) {
        Properties properties = new Properties();
        properties.setProperty("id", topic.id().toString());
        properties.setProperty("internal", String.valueOf(topic.internal()));
        properties.setProperty("partitions", String.valueOf(topic.partitionCount()));
        for (int p = 0; p < topic.partitionCount(); p++) {
            PartitionAssignment assignment = topic.partitions().get(p);
            String prefix = "partition." + p + ".";
            properties.setProperty(prefix + "replicas", join(assignment.replicas()));
            properties.setProperty(prefix + "isr", join(assignment.isr()));
            properties.setProperty(prefix + "leader", String.valueOf(assignment.leader()));
            properties.setProperty(prefix + "leader.epoch", String.valueOf(assignment.leaderEpoch()));
            properties.setProperty(prefix + "epoch", String.valueOf(assignment.partitionEpoch()));
            // Written only during a reassignment, so that other records stay as they were before reassignments.
            if (!assignment.addingReplicas().isEmpty()) {
                properties.setProperty(prefix + "adding", join(assignment.addingReplicas()));
            }
            if (!assignment.removingReplicas().isEmpty()) {
                properties.setProperty(prefix + "removing", join(assignment.removingReplicas()));
            }
        }
        topic.configs().forEach((name, value) -> properties.setProperty("config." + name, value));
        return store(properties);
    }

    public static TopicImage decodeTopic(String name, byte[] value) {
        Properties properties = load(value);
        int count = Integer.parseInt(required(properties, "partitions"));
        List<PartitionAssignment> partitions = new ArrayList<>(count);
        for (int p = 0; p < count; p++) {
            String prefix = "partition." + p + ".";
            partitions.add(new PartitionAssignment(split(required(properties, prefix + "replicas")),
                    split(required(properties, prefix + "isr")),
                    Integer.parseInt(required(properties, prefix + "leader")),
                    Integer.parseInt(required(properties, prefix + "leader.epoch")),
                    Integer.parseInt(required(properties, prefix + "epoch")),
                    split(properties.getProperty(prefix + "adding", "")),
                    split(properties.getProperty(prefix + "removing", ""))));
        }
        Map<String, String> configs = new TreeMap<>();
        for (String key : properties.stringPropertyNames()) {
            if (key.startsWith("config.")) {
                configs.put(key.substring("config.".length()), properties.getProperty(key));
            }
        }
        return new TopicImage(name, Uuid.fromString(required(properties, "id")), partitions, configs,
                Boolean.parseBoolean(properties.getProperty("internal", "false")));
    }

    /** The key of a group's group configs (KIP-932/KIP-848 dynamic group configs). */
    public static String groupKey(String groupId) {
        return GROUP_PREFIX + groupId;
    }

    /** The group id in a group-configs record's key, or {@code null} if the key is not a group's. */
    public static String groupId(String key) {
        return key.startsWith(GROUP_PREFIX) ? key.substring(GROUP_PREFIX.length()) : null;
    }

    /** A group's configs, name to value; an empty map says the group overrides nothing. */
    public static byte[] encodeGroupConfigs(Map<String, String> configs) {
        Properties properties = new Properties();
        configs.forEach(properties::setProperty);
        return store(properties);
    }

    public static Map<String, String> decodeGroupConfigs(byte[] value) {
        Properties properties = load(value);
        Map<String, String> configs = new java.util.TreeMap<>();
        properties.stringPropertyNames().forEach(name -> configs.put(name, properties.getProperty(name)));
        return configs;
    }

    /** The key of broker {@code brokerId}'s acknowledged incarnation. */
    public static String brokerKey(int brokerId) {
        return BROKER_PREFIX + brokerId;
    }

    /** The broker id of a broker incarnation key, or -1 for another key. */
    public static int brokerId(String key) {
        if (!key.startsWith(BROKER_PREFIX)) {
            return -1;
        }
        return Integer.parseInt(key.substring(BROKER_PREFIX.length()));
    }

    public static byte[] encodeIncarnation(String incarnation) {
        return incarnation.getBytes(StandardCharsets.UTF_8);
    }

    public static String decodeIncarnation(byte[] value) {
        return new String(value, StandardCharsets.UTF_8);
    }

    public static byte[] encodeClusterId(String clusterId) {
        Properties properties = new Properties();
        properties.setProperty("id", clusterId);
        return store(properties);
    }

    public static String decodeClusterId(byte[] value) {
        return required(load(value), "id");
    }

    public static byte[] encodeNextProducerId(long next) {
        Properties properties = new Properties();
        properties.setProperty("next", String.valueOf(next));
        return store(properties);
    }

    public static long decodeNextProducerId(byte[] value) {
        return Long.parseLong(required(load(value), "next"));
    }

    private static String join(List<Integer> ids) {
        StringBuilder text = new StringBuilder();
        for (int id : ids) {
            if (text.length() > 0) {
                text.append(',');
            }
            text.append(id);
        }
        return text.toString();
    }

    private static List<Integer> split(String text) {
        List<Integer> ids = new ArrayList<>();
        for (String part : text.split(",")) {
            if (!part.isBlank()) {
                ids.add(Integer.parseInt(part.trim()));
            }
        }
        return ids;
    }

    private static String required(Properties properties, String key) {
        String value = properties.getProperty(key);
        if (value == null) {
            throw new IllegalStateException("metadata record lacks '" + key + "'");
        }
        return value;
    }

    private static byte[] store(Properties properties) {
        StringWriter writer = new StringWriter();
        try {
            properties.store(writer, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        // Drop the date comment Properties writes, so equal records have equal bytes.
        String text = writer.toString().replaceFirst("^#.*\\R", "");
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static Properties load(byte[] value) {
        Properties properties = new Properties();
        try {
            properties.load(new StringReader(new String(value, StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return properties;
    }
}
