package io.strata.broker.metadata;

import org.apache.kafka.common.Uuid;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The cluster's metadata at one moment: its id, every topic by name and by id, the next free producer id, and the
 * groups' dynamic group configs (KIP-932/KIP-848), readable on every broker.
 * Changes make a new image; readers hold whichever image they took. Immutable; thread-safe.
 */
public final class MetadataImage {

    public static final MetadataImage EMPTY = new MetadataImage(null, Map.of(), 0, Map.of());

    private final String clusterId;
    private final Map<String, TopicImage> topicsByName;
    private final Map<Uuid, TopicImage> topicsById;
    private final long nextProducerId;
    /** Per broker id, the Hazelcast member the controller last acknowledged it running in. */
    private final Map<Integer, String> incarnations;
    /** Group id to its group configs (name to value); groups that override nothing are absent. */
    private final Map<String, Map<String, String>> groupConfigs;

    public MetadataImage(String clusterId, Map<String, TopicImage> topics, long nextProducerId) {
        this(clusterId, topics, nextProducerId, Map.of());
    }

    public MetadataImage(String clusterId, Map<String, TopicImage> topics, long nextProducerId,
                         Map<Integer, String> incarnations) {
        this(clusterId, topics, nextProducerId, incarnations, Map.of());
    }

    private MetadataImage(String clusterId, Map<String, TopicImage> topics, long nextProducerId,
                          Map<Integer, String> incarnations, Map<String, Map<String, String>> groupConfigs) {
        this.groupConfigs = Map.copyOf(groupConfigs);
        this.incarnations = Map.copyOf(incarnations);
        this.clusterId = clusterId;
        this.topicsByName = Map.copyOf(topics);
        Map<Uuid, TopicImage> byId = new HashMap<>();
        for (TopicImage topic : topics.values()) {
            byId.put(topic.id(), topic);
        }
        this.topicsById = Map.copyOf(byId);
        this.nextProducerId = nextProducerId;
    }

    public String clusterId() {
        return clusterId;
    }

    public TopicImage topic(String name) {
        return topicsByName.get(name);
    }

    public TopicImage topic(Uuid id) {
        return topicsById.get(id);
    }

    public Collection<TopicImage> topics() {
        return topicsByName.values();
    }

    /** Topic names in order, for listings. */
    public Map<String, TopicImage> topicsByName() {
        return new TreeMap<>(topicsByName);
    }

    public long nextProducerId() {
        return nextProducerId;
    }

    /**
     * The incarnation (drawn at each start) the controller last acknowledged broker {@code brokerId} running as, or
     * {@code null} if it has acknowledged none. A broker that restarted has a new one, and leads nothing until the
     * controller has taken its previous incarnation out of every ISR and acknowledged the new one.
     */
    public String incarnationOf(int brokerId) {
        return incarnations.get(brokerId);
    }

    public Map<Integer, String> incarnations() {
        return incarnations;
    }

    public MetadataImage withIncarnation(int brokerId, String incarnation) {
        Map<Integer, String> next = new HashMap<>(incarnations);
        if (incarnation == null) {
            next.remove(brokerId);
        } else {
            next.put(brokerId, incarnation);
        }
        return new MetadataImage(clusterId, topicsByName, nextProducerId, next, groupConfigs);
    }

    public MetadataImage withClusterId(String id) {
        return new MetadataImage(id, topicsByName, nextProducerId, incarnations, groupConfigs);
    }

    public MetadataImage withTopic(TopicImage topic) {
        Map<String, TopicImage> topics = new HashMap<>(topicsByName);
        topics.put(topic.name(), topic);
        return new MetadataImage(clusterId, topics, nextProducerId, incarnations, groupConfigs);
    }

    public MetadataImage withoutTopic(String name) {
        Map<String, TopicImage> topics = new HashMap<>(topicsByName);
        topics.remove(name);
        return new MetadataImage(clusterId, topics, nextProducerId, incarnations, groupConfigs);
    }

    /** A group's configs, name to value: empty if it overrides nothing (or does not exist). */
    public Map<String, String> groupConfigs(String groupId) {
        return groupConfigs.getOrDefault(groupId, Map.of());
    }

    /** With the group's configs replaced by {@code configs}; an empty map forgets the group's overrides. */
    public MetadataImage withGroupConfigs(String groupId, Map<String, String> configs) {
        Map<String, Map<String, String>> next = new HashMap<>(groupConfigs);
        if (configs.isEmpty()) {
            next.remove(groupId);
        } else {
            next.put(groupId, Map.copyOf(configs));
        }
        return new MetadataImage(clusterId, topicsByName, nextProducerId, incarnations, next);
    }

    public MetadataImage withNextProducerId(long next) {
        return new MetadataImage(clusterId, topicsByName, next, incarnations, groupConfigs);
    }
}
