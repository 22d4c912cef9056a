package io.strata.broker.metadata;

import io.strata.storage.config.LogConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.internals.Topic;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiError;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * The controller of a cluster of one, or of the broker that holds the controller role: validates each change, writes
 * it through its {@link MetadataStore}, which publishes the new {@link MetadataImage}. Replicas are spread round-robin over the
 * live brokers, the leader of each partition rotating, as Kafka assigns them.
 *
 * <p>Thread-safe: changes are serialised by the object's monitor; readers take the current image without locking.
 */
public final class LocalController implements Controller {

    private static final System.Logger LOG = System.getLogger(LocalController.class.getName());

    private final MetadataStore store;
    private final Supplier<List<Integer>> liveBrokers;
    private final Map<String, Object> topicDefaults;
    private final int defaultPartitions;
    private final short defaultReplicationFactor;
    private final boolean deleteTopicEnable;

    /**
     * The controller logic over {@code store}; on the very first start of a cluster of one, creates the cluster id.
     *
     * @param topicDefaults the topic settings a topic gets unless it overrides them
     */
    public LocalController(MetadataStore store, Supplier<List<Integer>> liveBrokers,
                           Map<String, Object> topicDefaults, int defaultPartitions, short defaultReplicationFactor,
                           boolean deleteTopicEnable) {
        this.store = store;
        this.liveBrokers = liveBrokers;
        this.topicDefaults = Map.copyOf(topicDefaults);
        this.defaultPartitions = defaultPartitions;
        this.defaultReplicationFactor = defaultReplicationFactor;
        this.deleteTopicEnable = deleteTopicEnable;
    }

    /** Creates the cluster id if the metadata has none yet: the first start of a new cluster. */
    public synchronized void ensureClusterId() {
        if (image().clusterId() == null) {
            String clusterId = Uuid.randomUuid().toString();
            store.commit(VersionedRecords.single(MetadataRecords.CLUSTER_KEY,
                    MetadataRecords.encodeClusterId(clusterId)));
            LOG.log(Level.INFO, "Created cluster {0}", clusterId);
        }
    }

    @Override
    public MetadataImage image() {
        return store.image();
    }

    @Override
    public void addListener(MetadataListener listener) {
        store.addListener(listener);
    }

    @Override
    public List<Integer> liveBrokers() {
        return liveBrokers.get();
    }

    /** The full settings of a topic with these overrides. */
    public LogConfig logConfig(Map<String, String> overrides) {
        return LogConfig.of(topicDefaults).with(overrides);
    }

    // ---------------------------------------------------------------------------------------------------- topics

    @Override
    public synchronized List<TopicResult> createTopics(List<NewTopic> topics, boolean validateOnly) {
        List<TopicResult> results = new ArrayList<>();
        MetadataImage next = image();
        Map<String, byte[]> records = new LinkedHashMap<>();
        Set<String> seen = new HashSet<>();
        for (NewTopic topic : topics) {
            if (!seen.add(topic.name())) {
                results.add(TopicResult.failed(topic.name(), Errors.INVALID_REQUEST,
                        "Topic " + topic.name() + " is named twice in one request"));
                continue;
            }
            TopicResult result = validateNewTopic(topic, next, false);
            results.add(result);
            if (result.isSuccess() && !validateOnly) {
                next = next.withTopic(result.topic());
                records.put(MetadataRecords.topicKey(topic.name()), MetadataRecords.encodeTopic(result.topic()));
            }
        }
        commit(records);
        for (TopicResult result : results) {
            if (result.isSuccess() && !validateOnly) {
                LOG.log(Level.INFO, "Created topic {0} ({1}) with {2} partition(s) and replication factor {3}",
                        result.name(), result.topicId(), result.topic().partitionCount(),
                        result.topic().partitions().get(0).replicas().size());
            }
        }
        return results;
    }

    @Override
    public synchronized TopicImage ensureInternalTopic(String name, int partitions, short replicationFactor,
                                                       Map<String, String> configs) {
        TopicImage existing = image().topic(name);
        if (existing != null) {
            return existing;
        }
        short factor = (short) Math.max(1, Math.min(replicationFactor, liveBrokers().size()));
        TopicResult result = validateNewTopic(new NewTopic(name, partitions, factor, Map.of(), configs), image(), true);
        if (!result.isSuccess()) {
            throw new IllegalStateException("cannot create internal topic " + name + ": " + result.error().message());
        }
        commit(VersionedRecords.single(MetadataRecords.topicKey(name), MetadataRecords.encodeTopic(result.topic())));
        LOG.log(Level.INFO, "Created internal topic {0} with {1} partition(s) and replication factor {2}", name,
                partitions, factor);
        return result.topic();
    }

    private TopicResult validateNewTopic(NewTopic topic, MetadataImage current, boolean internal) {
        String name = topic.name();
        try {
            Topic.validate(name);
        } catch (InvalidTopicException e) {
            return TopicResult.failed(name, Errors.INVALID_TOPIC_EXCEPTION, e.getMessage());
        }
        if (!internal && Topic.isInternal(name)) {
            return TopicResult.failed(name, Errors.INVALID_TOPIC_EXCEPTION,
                    "Topic " + name + " is internal and is created by the broker itself");
        }
        if (current.topic(name) != null) {
            return TopicResult.failed(name, Errors.TOPIC_ALREADY_EXISTS, "Topic '" + name + "' already exists.");
        }
        if (Topic.hasCollisionChars(name)) {
            for (TopicImage other : current.topics()) {
                if (Topic.hasCollision(name, other.name())) {
                    return TopicResult.failed(name, Errors.INVALID_TOPIC_EXCEPTION, "Topic '" + name
                            + "' collides with existing topic '" + other.name() + "': '.' and '_' are the same in"
                            + " metric names");
                }
            }
        }
        ApiError configError = validateConfigs(topic.configs());
        if (configError != null) {
            return new TopicResult(name, Uuid.ZERO_UUID, configError, null);
        }
        List<PartitionAssignment> partitions;
        if (!topic.assignments().isEmpty()) {
            if (topic.numPartitions() != -1 || topic.replicationFactor() != -1) {
                return TopicResult.failed(name, Errors.INVALID_REQUEST,
                        "Both the partition count and a replica assignment were given; give one of them");
            }
            List<List<Integer>> manual = new ArrayList<>();
            for (int p = 0; p < topic.assignments().size(); p++) {
                List<Integer> replicas = topic.assignments().get(p);
                if (replicas == null) {
                    return TopicResult.failed(name, Errors.INVALID_REPLICA_ASSIGNMENT,
                            "Partitions must be numbered 0 to " + (topic.assignments().size() - 1));
                }
                manual.add(replicas);
            }
            ApiError assignmentError = validateAssignments(manual, manual.get(0).size());
            if (assignmentError != null) {
                return new TopicResult(name, Uuid.ZERO_UUID, assignmentError, null);
            }
            partitions = new ArrayList<>();
            for (List<Integer> replicas : manual) {
                partitions.add(PartitionAssignment.initial(replicas));
            }
        } else {
            int count = topic.numPartitions() == -1 ? defaultPartitions : topic.numPartitions();
            if (count <= 0) {
                return TopicResult.failed(name, Errors.INVALID_PARTITIONS,
                        "Number of partitions was set to an invalid non-positive value.");
            }
            short factor = topic.replicationFactor() == -1 ? defaultReplicationFactor : topic.replicationFactor();
            if (factor <= 0) {
                return TopicResult.failed(name, Errors.INVALID_REPLICATION_FACTOR,
                        "Replication factor must be larger than 0, or -1 to use the default value.");
            }
            List<Integer> brokers = liveBrokers();
            if (factor > brokers.size()) {
                return TopicResult.failed(name, Errors.INVALID_REPLICATION_FACTOR, "Unable to replicate the "
                        + "partition " + factor + " time(s): The target replication factor of " + factor
                        + " cannot be reached because only " + brokers.size() + " broker(s) are registered.");
            }
            partitions = assign(brokers, 0, count, factor);
        }
        return TopicResult.ok(new TopicImage(name, Uuid.randomUuid(), partitions, new TreeMap<>(topic.configs()),
                internal));
    }

    private ApiError validateConfigs(Map<String, String> overrides) {
        for (Map.Entry<String, String> entry : overrides.entrySet()) {
            if (entry.getValue() == null) {
                return new ApiError(Errors.INVALID_CONFIG, "Null value not supported for topic config '"
                        + entry.getKey() + "'");
            }
        }
        try {
            logConfig(overrides);
            return null;
        } catch (ConfigException e) {
            return new ApiError(Errors.INVALID_CONFIG, e.getMessage());
        }
    }

    private ApiError validateAssignments(List<List<Integer>> assignments, int expectedFactor) {
        Set<Integer> live = new HashSet<>(liveBrokers());
        for (int p = 0; p < assignments.size(); p++) {
            List<Integer> replicas = assignments.get(p);
            if (replicas.isEmpty() || replicas.size() != expectedFactor) {
                return new ApiError(Errors.INVALID_REPLICA_ASSIGNMENT, "All partitions must have the same number of"
                        + " replicas; partition " + p + " has " + replicas.size());
            }
            if (new HashSet<>(replicas).size() != replicas.size()) {
                return new ApiError(Errors.INVALID_REPLICA_ASSIGNMENT, "Partition " + p
                        + " names a broker twice: " + replicas);
            }
            for (int broker : replicas) {
                if (!live.contains(broker)) {
                    return new ApiError(Errors.INVALID_REPLICA_ASSIGNMENT, "Partition " + p + " is assigned to"
                            + " broker " + broker + ", which is not registered; live brokers are " + liveBrokers());
                }
            }
        }
        return null;
    }

    /** Kafka's round-robin: partition p's replicas start at broker (start + p) and follow in id order. */
    private static List<PartitionAssignment> assign(List<Integer> brokers, int firstPartition, int count, short factor) {
        List<PartitionAssignment> partitions = new ArrayList<>(count);
        int offset = Math.floorMod(Uuid.randomUuid().hashCode(), brokers.size());
        for (int p = firstPartition; p < firstPartition + count; p++) {
            List<Integer> replicas = new ArrayList<>(factor);
            for (int r = 0; r < factor; r++) {
                replicas.add(brokers.get((offset + p + r) % brokers.size()));
            }
            partitions.add(PartitionAssignment.initial(replicas));
        }
        return partitions;
    }

    @Override
    public synchronized List<TopicResult> deleteTopics(List<TopicRef> topics) {
        List<TopicResult> results = new ArrayList<>();
        MetadataImage next = image();
        Map<String, byte[]> records = new LinkedHashMap<>();
        for (TopicRef ref : topics) {
            TopicImage topic = ref.name() != null ? next.topic(ref.name()) : next.topic(ref.id());
            String label = ref.name() != null ? ref.name() : String.valueOf(ref.id());
            if (!deleteTopicEnable) {
                results.add(TopicResult.failed(label, Errors.TOPIC_DELETION_DISABLED,
                        "Topic deletion is disabled (delete.topic.enable=false)"));
            } else if (topic == null) {
                results.add(ref.name() != null
                        ? TopicResult.failed(label, Errors.UNKNOWN_TOPIC_OR_PARTITION, "Topic " + label + " does not exist")
                        : new TopicResult(null, ref.id(), new ApiError(Errors.UNKNOWN_TOPIC_ID,
                                "No topic has id " + ref.id()), null));
            } else if (topic.internal()) {
                results.add(TopicResult.failed(topic.name(), Errors.INVALID_TOPIC_EXCEPTION,
                        "Topic " + topic.name() + " is internal and cannot be deleted"));
            } else {
                next = next.withoutTopic(topic.name());
                records.put(MetadataRecords.topicKey(topic.name()), null);
                results.add(new TopicResult(topic.name(), topic.id(), ApiError.NONE, null));
            }
        }
        commit(records);
        for (TopicResult result : results) {
            if (result.isSuccess()) {
                LOG.log(Level.INFO, "Deleted topic {0} ({1})", result.name(), result.topicId());
            }
        }
        return results;
    }

    @Override
    public synchronized List<TopicResult> createPartitions(List<NewPartitions> requests, boolean validateOnly) {
        List<TopicResult> results = new ArrayList<>();
        MetadataImage next = image();
        Map<String, byte[]> records = new LinkedHashMap<>();
        for (NewPartitions request : requests) {
            TopicImage topic = next.topic(request.topic());
            if (topic == null) {
                results.add(TopicResult.failed(request.topic(), Errors.UNKNOWN_TOPIC_OR_PARTITION,
                        "Topic " + request.topic() + " does not exist"));
                continue;
            }
            if (topic.internal()) {
                results.add(TopicResult.failed(topic.name(), Errors.INVALID_TOPIC_EXCEPTION,
                        "Partitions cannot be added to the internal topic " + topic.name()));
                continue;
            }
            int current = topic.partitionCount();
            if (request.totalCount() <= current) {
                results.add(TopicResult.failed(topic.name(), Errors.INVALID_PARTITIONS, "Topic currently has "
                        + current + " partitions, which is higher than or equal to the requested "
                        + request.totalCount() + "."));
                continue;
            }
            int added = request.totalCount() - current;
            int factor = topic.partitions().get(0).replicas().size();
            List<PartitionAssignment> partitions = new ArrayList<>(topic.partitions());
            if (request.assignments() != null && !request.assignments().isEmpty()) {
                if (request.assignments().size() != added) {
                    results.add(TopicResult.failed(topic.name(), Errors.INVALID_REPLICA_ASSIGNMENT, "Increasing"
                            + " the number of partitions by " + added + " but " + request.assignments().size()
                            + " assignments provided."));
                    continue;
                }
                ApiError error = validateAssignments(request.assignments(), factor);
                if (error != null) {
                    results.add(new TopicResult(topic.name(), topic.id(), error, null));
                    continue;
                }
                for (List<Integer> replicas : request.assignments()) {
                    partitions.add(PartitionAssignment.initial(replicas));
                }
            } else {
                List<Integer> brokers = liveBrokers();
                if (factor > brokers.size()) {
                    results.add(TopicResult.failed(topic.name(), Errors.INVALID_REPLICATION_FACTOR, "Unable to "
                            + "replicate the new partitions " + factor + " time(s): only " + brokers.size()
                            + " broker(s) are registered."));
                    continue;
                }
                partitions.addAll(assign(brokers, current, added, (short) factor));
            }
            TopicImage grown = topic.withPartitions(partitions);
            results.add(TopicResult.ok(grown));
            if (!validateOnly) {
                next = next.withTopic(grown);
                records.put(MetadataRecords.topicKey(topic.name()), MetadataRecords.encodeTopic(grown));
            }
        }
        commit(records);
        return results;
    }

    @Override
    public synchronized ApiError alterTopicConfigs(String topicName, Map<String, String> overrides,
                                                   boolean validateOnly) {
        TopicImage topic = image().topic(topicName);
        if (topic == null) {
            return new ApiError(Errors.UNKNOWN_TOPIC_OR_PARTITION, "Topic " + topicName + " does not exist");
        }
        ApiError error = validateConfigs(overrides);
        if (error != null || validateOnly) {
            return error == null ? ApiError.NONE : error;
        }
        TopicImage altered = topic.withConfigs(overrides);
        commit(VersionedRecords.single(MetadataRecords.topicKey(topicName), MetadataRecords.encodeTopic(altered)));
        LOG.log(Level.INFO, "Changed the settings of topic {0} to {1}", topicName, new TreeMap<>(overrides));
        return ApiError.NONE;
    }

    @Override
    public synchronized long allocateProducerIds(int size) {
        if (size <= 0) {
            throw new IllegalArgumentException("cannot allocate " + size + " producer ids");
        }
        long first = image().nextProducerId();
        long next = first + size;
        commit(VersionedRecords.single(MetadataRecords.PRODUCER_IDS_KEY, MetadataRecords.encodeNextProducerId(next)));
        return first;
    }

    // ---------------------------------------------------------------------------------------------------- leaders

    /**
     * Brings every partition in line with the live brokers: a partition whose leader is gone gets a new leader from
     * its in-sync replicas that are alive (or, with {@code unclean.leader.election.enable}, from any live replica; or
     * none, offline, until an in-sync replica returns); dead brokers leave the ISR. Every change of leader raises the
     * leader epoch; every change raises the partition epoch. Returns how many partitions changed.
     */
    public synchronized int onBrokersChanged(Set<Integer> live) {
        Map<String, byte[]> records = new LinkedHashMap<>();
        int changed = 0;
        for (TopicImage topic : image().topics()) {
            boolean unclean = logConfig(topic.configs()).uncleanLeaderElectionEnable;
            List<PartitionAssignment> partitions = new ArrayList<>(topic.partitions());
            boolean topicChanged = false;
            for (int p = 0; p < partitions.size(); p++) {
                PartitionAssignment before = partitions.get(p);
                PartitionAssignment after = electIfNeeded(before, live, unclean);
                if (!after.equals(before)) {
                    partitions.set(p, after);
                    topicChanged = true;
                    changed++;
                    if (after.leader() != before.leader()) {
                        LOG.log(Level.INFO, "{0}-{1}: leader {2} -> {3} (epoch {4}), ISR {5}", topic.name(), p,
                                before.leader(), after.leader(), after.leaderEpoch(), after.isr());
                    }
                }
            }
            if (topicChanged) {
                records.put(MetadataRecords.topicKey(topic.name()),
                        MetadataRecords.encodeTopic(topic.withPartitions(partitions)));
            }
        }
        commit(records);
        return changed;
    }

    private static PartitionAssignment electIfNeeded(PartitionAssignment current, Set<Integer> live,
                                                     boolean unclean) {
        List<Integer> liveIsr = current.isr().stream().filter(live::contains).toList();
        if (current.leader() >= 0 && live.contains(current.leader())) {
            if (liveIsr.size() == current.isr().size()) {
                return current;
            }
            return new PartitionAssignment(current.replicas(), liveIsr, current.leader(), current.leaderEpoch(),
                    current.partitionEpoch() + 1);
        }
        Integer leader = null;
        for (int replica : current.replicas()) {
            if (liveIsr.contains(replica)) {
                leader = replica;
                break;
            }
        }
        List<Integer> isr = liveIsr;
        if (leader == null && unclean) {
            for (int replica : current.replicas()) {
                if (live.contains(replica)) {
                    leader = replica;
                    isr = List.of(replica);
                    LOG.log(Level.WARNING, "Unclean leader election: broker {0} was not in sync and may lack"
                            + " acknowledged records", replica);
                    break;
                }
            }
        }
        if (leader == null) {
            if (current.leader() == -1) {
                return current;
            }
            // Offline: the ISR keeps the last leader, the one replica known to have every acknowledged record.
            List<Integer> lastInSync = current.isr().isEmpty() ? List.of() : List.of(current.leader() >= 0
                    && current.isr().contains(current.leader()) ? current.leader() : current.isr().get(0));
            return new PartitionAssignment(current.replicas(), lastInSync, -1, current.leaderEpoch() + 1,
                    current.partitionEpoch() + 1);
        }
        return new PartitionAssignment(current.replicas(), isr, leader, current.leaderEpoch() + 1,
                current.partitionEpoch() + 1);
    }

    /**
     * A leader's request to change the ISR of a partition it leads (AlterPartition). It must name the leader epoch
     * and partition epoch it knows; a request from an older state is refused, so that a deposed leader cannot change
     * the ISR. The new ISR must hold the leader and only live replicas.
     */
    public synchronized ApiError alterPartition(String topicName, int partition, int leaderId, int leaderEpoch,
                                                int partitionEpoch, List<Integer> newIsr, Set<Integer> live) {
        TopicImage topic = image().topic(topicName);
        if (topic == null || topic.partition(partition) == null) {
            return new ApiError(Errors.UNKNOWN_TOPIC_OR_PARTITION, topicName + "-" + partition + " does not exist");
        }
        PartitionAssignment current = topic.partition(partition);
        if (current.leader() != leaderId || current.leaderEpoch() != leaderEpoch) {
            return new ApiError(Errors.FENCED_LEADER_EPOCH, "Broker " + leaderId + " at leader epoch " + leaderEpoch
                    + " does not lead " + topicName + "-" + partition + " (leader " + current.leader() + ", epoch "
                    + current.leaderEpoch() + ")");
        }
        if (current.partitionEpoch() != partitionEpoch) {
            return new ApiError(Errors.INVALID_UPDATE_VERSION, "Partition epoch " + partitionEpoch + " of "
                    + topicName + "-" + partition + " is not the current " + current.partitionEpoch());
        }
        if (!newIsr.contains(leaderId) || !current.replicas().containsAll(newIsr)) {
            return new ApiError(Errors.INVALID_REQUEST, "ISR " + newIsr + " must hold the leader and only replicas "
                    + current.replicas());
        }
        for (int broker : newIsr) {
            if (!live.contains(broker)) {
                return new ApiError(Errors.INELIGIBLE_REPLICA, "Broker " + broker + " is not alive");
            }
        }
        PartitionAssignment next = new PartitionAssignment(current.replicas(), newIsr, current.leader(),
                current.leaderEpoch(), current.partitionEpoch() + 1);
        List<PartitionAssignment> partitions = new ArrayList<>(topic.partitions());
        partitions.set(partition, next);
        commit(VersionedRecords.single(MetadataRecords.topicKey(topicName),
                MetadataRecords.encodeTopic(topic.withPartitions(partitions))));
        LOG.log(Level.INFO, "{0}-{1}: ISR {2} -> {3}", topicName, partition, current.isr(), newIsr);
        return ApiError.NONE;
    }

    /** Makes the change durable and applied; called with the monitor held. */
    private void commit(Map<String, byte[]> records) {
        if (!records.isEmpty()) {
            store.commit(records);
        }
    }
}
