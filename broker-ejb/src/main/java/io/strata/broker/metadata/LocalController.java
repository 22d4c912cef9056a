package io.strata.broker.metadata;

import io.strata.storage.config.LogConfig;
import org.apache.kafka.common.ElectionType;
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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * The controller of a cluster of one, or of the broker that holds the controller role: validates each change, writes
 * it through its {@link MetadataStore}, which publishes the new {@link MetadataImage}. Replicas are spread round-robin over the
 * live brokers, the leader of each partition rotating, as Kafka assigns them. Leaders are elected when brokers come
 * and go and on request (preferred or unclean), and partitions move between brokers by reassignment.
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
    public synchronized ApiError alterGroupConfigs(String groupId, Map<String, String> configs,
                                                   boolean validateOnly) {
        if (groupId == null || groupId.isEmpty()) {
            return new ApiError(Errors.INVALID_GROUP_ID, "A group config needs a group id");
        }
        if (validateOnly) {
            return ApiError.NONE;
        }
        commit(VersionedRecords.single(MetadataRecords.groupKey(groupId),
                MetadataRecords.encodeGroupConfigs(configs)));
        LOG.log(Level.INFO, "Changed the group configs of group {0} to {1}", groupId, new TreeMap<>(configs));
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
        return onBrokersChanged(live, Map.of());
    }

    /**
     * {@link #onBrokersChanged(Set)}, knowing also the incarnation each live broker runs as now (drawn at its
     * member). A broker whose incarnation is not the one acknowledged in the metadata has restarted since, perhaps
     * with less on its disk than it had (an unclean stop, a replaced disk): it is handled as if it had left (out of
     * every ISR, its partitions led by another in-sync replica or, with none, by itself under a new leader epoch) and
     * come back, in one commit with its new incarnation; it rejoins ISRs as any follower does, once caught up. It
     * leads nothing until then (see {@code ReplicaManager}), so it never leads from a log it lost.
     */
    public synchronized int onBrokersChanged(Set<Integer> live, Map<Integer, String> incarnations) {
        MetadataImage image = image();
        Set<Integer> restarted = new java.util.HashSet<>();
        Map<String, byte[]> records = new LinkedHashMap<>();
        incarnations.forEach((brokerId, incarnation) -> {
            if (!live.contains(brokerId) || incarnation.equals(image.incarnationOf(brokerId))) {
                return;
            }
            if (image.incarnationOf(brokerId) != null) {
                restarted.add(brokerId);
                LOG.log(Level.INFO, "Broker {0} restarted (incarnation {1}, was {2}): it leaves every ISR until it"
                        + " catches up again", brokerId, incarnation, image.incarnationOf(brokerId));
            }
            records.put(MetadataRecords.brokerKey(brokerId), MetadataRecords.encodeIncarnation(incarnation));
        });
        Set<Integer> liveBefore = new java.util.HashSet<>(live);
        liveBefore.removeAll(restarted);
        int changed = 0;
        for (TopicImage topic : image.topics()) {
            boolean unclean = logConfig(topic.configs()).uncleanLeaderElectionEnable;
            List<PartitionAssignment> partitions = new ArrayList<>(topic.partitions());
            boolean topicChanged = false;
            for (int p = 0; p < partitions.size(); p++) {
                PartitionAssignment before = partitions.get(p);
                PartitionAssignment after = restarted.isEmpty() ? electIfNeeded(before, live, unclean)
                        : electIfNeeded(electIfNeeded(before, liveBefore, unclean), live, unclean);
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
        if (!records.isEmpty()) {
            commit(records);
        }
        return changed;
    }

    private static PartitionAssignment electIfNeeded(PartitionAssignment current, Set<Integer> live,
                                                     boolean unclean) {
        List<Integer> liveIsr = current.isr().stream().filter(live::contains).toList();
        if (current.leader() >= 0 && live.contains(current.leader())) {
            if (liveIsr.size() == current.isr().size()) {
                return current;
            }
            return current.withIsr(liveIsr);
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
            return current.withLeader(-1, lastInSync);
        }
        return current.withLeader(leader, isr);
    }

    /**
     * A broker's replicas that can no longer serve (their log directory failed): the broker leaves their ISRs, and
     * partitions it led get a new leader from the rest of their ISR, as if the broker were gone for them alone (Kafka's
     * offline log directory handling). A partition with no other in-sync replica is offline until one returns.
     * Returns how many partitions changed.
     */
    public synchronized int replicasOffline(int brokerId, List<org.apache.kafka.common.TopicPartition> offline,
                                            Set<Integer> live) {
        Set<Integer> liveForThem = new java.util.HashSet<>(live);
        liveForThem.remove(brokerId);
        Map<String, List<PartitionAssignment>> changedTopics = new LinkedHashMap<>();
        int changed = 0;
        for (org.apache.kafka.common.TopicPartition tp : offline) {
            TopicImage topic = image().topic(tp.topic());
            PartitionAssignment before = topic == null ? null : topic.partition(tp.partition());
            if (before == null || !before.isReplica(brokerId)) {
                continue;
            }
            List<PartitionAssignment> partitions = changedTopics.computeIfAbsent(tp.topic(),
                    name -> new ArrayList<>(topic.partitions()));
            PartitionAssignment after = electIfNeeded(before, liveForThem,
                    logConfig(topic.configs()).uncleanLeaderElectionEnable);
            if (!after.equals(before)) {
                partitions.set(tp.partition(), after);
                changed++;
                LOG.log(Level.INFO, "{0}: the replica on broker {1} is offline; leader {2} -> {3} (epoch {4}), ISR {5}",
                        tp, brokerId, before.leader(), after.leader(), after.leaderEpoch(), after.isr());
            }
        }
        Map<String, byte[]> records = new LinkedHashMap<>();
        for (Map.Entry<String, List<PartitionAssignment>> topic : changedTopics.entrySet()) {
            TopicImage image = image().topic(topic.getKey());
            if (!image.partitions().equals(topic.getValue())) {
                records.put(MetadataRecords.topicKey(topic.getKey()),
                        MetadataRecords.encodeTopic(image.withPartitions(topic.getValue())));
            }
        }
        commit(records);
        return changed;
    }

    /**
     * A leader's AlterPartition request: ISR changes of partitions it leads. Each names the leader epoch and partition
     * epoch it knows; one from an older state is refused, so that a deposed leader cannot change the ISR, and the new
     * ISR must hold the leader and only live replicas. Each change is validated on its own, against the image with the
     * request's earlier changes applied (as if they had come one at a time); the accepted ones are committed as one
     * metadata change, so that a restarted broker's return to many ISRs costs one commit, not one per partition.
     *
     * @param changes at most {@link IsrChange#MAX_PER_REQUEST}
     * @return one error per change, in order: its refusal, or, if the commit failed, the commit's error
     */
    public synchronized List<ApiError> alterPartitions(List<IsrChange> changes, Set<Integer> live) {
        IsrChange.checkRequestSize(changes);
        PartitionChanges working = new PartitionChanges(image());
        List<ApiError> results = new ArrayList<>(changes.size());
        for (IsrChange change : changes) {
            results.add(alterPartition(working, change, live));
        }
        try {
            working.commit();
        } catch (RuntimeException e) {
            ApiError failed = ApiError.fromThrowable(e);
            LOG.log(Level.WARNING, "Committing {0} ISR change(s) failed: {1}", working.size(), e.toString());
            results.replaceAll(result -> result.isSuccess() ? failed : result);
        }
        return results;
    }

    /** Validates one ISR change and, if it is accepted, makes it in {@code changes}. */
    private static ApiError alterPartition(PartitionChanges changes, IsrChange change, Set<Integer> live) {
        String name = change.topic() + "-" + change.partition();
        PartitionAssignment current = changes.get(change.topic(), change.partition());
        if (current == null) {
            return new ApiError(Errors.UNKNOWN_TOPIC_OR_PARTITION, name + " does not exist");
        }
        int leaderId = change.leaderId();
        List<Integer> newIsr = change.isr();
        if (current.leader() != leaderId || current.leaderEpoch() != change.leaderEpoch()) {
            return new ApiError(Errors.FENCED_LEADER_EPOCH, "Broker " + leaderId + " at leader epoch "
                    + change.leaderEpoch() + " does not lead " + name + " (leader " + current.leader() + ", epoch "
                    + current.leaderEpoch() + ")");
        }
        if (current.partitionEpoch() != change.partitionEpoch()) {
            return new ApiError(Errors.INVALID_UPDATE_VERSION, "Partition epoch " + change.partitionEpoch() + " of "
                    + name + " is not the current " + current.partitionEpoch());
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
        PartitionAssignment next = current.withIsr(newIsr);
        // The ISR change that brings the last target replica in sync completes the reassignment, in the same change.
        PartitionAssignment completed = next.isReassigning() && newIsr.containsAll(next.targetReplicas())
                ? completedReassignment(next, live) : null;
        // One line per partition, as for every other partition change: operators follow a broker back into each ISR.
        changes.put(change.topic(), change.partition(), completed != null ? completed : next,
                name + ": ISR " + current.isr() + " -> " + newIsr);
        if (completed != null) {
            changes.describe(describeCompleted(change.topic(), change.partition(), completed));
        }
        return ApiError.NONE;
    }

    // ---------------------------------------------------------------------------------------------------- elections

    @Override
    public synchronized List<PartitionResult> electLeaders(ElectionType type, List<PartitionRef> partitions) {
        Set<Integer> live = new HashSet<>(liveBrokers());
        PartitionChanges changes = new PartitionChanges(image());
        List<PartitionResult> results = new ArrayList<>();
        if (partitions == null) {
            for (TopicImage topic : image().topicsByName().values()) {
                for (int p = 0; p < topic.partitionCount(); p++) {
                    ApiError error = electLeader(changes, topic.name(), p, type, live);
                    if (error.error() != Errors.ELECTION_NOT_NEEDED) {
                        results.add(new PartitionResult(topic.name(), p, error));
                    }
                }
            }
        } else {
            for (PartitionRef ref : partitions) {
                results.add(new PartitionResult(ref.topic(), ref.partition(),
                        electLeader(changes, ref.topic(), ref.partition(), type, live)));
            }
        }
        changes.commit();
        return results;
    }

    private static ApiError electLeader(PartitionChanges changes, String topic, int partition, ElectionType type,
                                        Set<Integer> live) {
        PartitionAssignment current = changes.get(topic, partition);
        if (current == null) {
            return unknownPartition(changes, topic, partition);
        }
        String name = topic + "-" + partition;
        if (type == ElectionType.PREFERRED) {
            int preferred = current.replicas().get(0);
            if (current.leader() == preferred) {
                return new ApiError(Errors.ELECTION_NOT_NEEDED, "Broker " + preferred + ", the preferred leader of "
                        + name + ", leads it already");
            }
            if (!live.contains(preferred)) {
                return new ApiError(Errors.PREFERRED_LEADER_NOT_AVAILABLE, "Broker " + preferred + ", the preferred"
                        + " leader of " + name + ", is not alive; elect again once it is back and in sync");
            }
            if (!current.isr().contains(preferred)) {
                return new ApiError(Errors.PREFERRED_LEADER_NOT_AVAILABLE, "Broker " + preferred + ", the preferred"
                        + " leader of " + name + ", is not in sync (ISR " + current.isr() + "); elect again once it"
                        + " has caught up");
            }
            PartitionAssignment elected = current.withLeader(preferred, current.isr());
            changes.put(topic, partition, elected, name + ": preferred leader election, leader " + current.leader()
                    + " -> " + preferred + " (epoch " + elected.leaderEpoch() + ")");
            return ApiError.NONE;
        }
        if (type != ElectionType.UNCLEAN) {
            return new ApiError(Errors.INVALID_REQUEST, "Unknown election type " + type);
        }
        if (current.leader() >= 0) {
            return new ApiError(Errors.ELECTION_NOT_NEEDED, name + " has a leader, broker " + current.leader()
                    + "; an unclean election only gives offline partitions a leader");
        }
        for (int replica : current.replicas()) {
            if (live.contains(replica) && current.isr().contains(replica)) {
                PartitionAssignment elected = current.withLeader(replica, current.isr().stream()
                        .filter(live::contains).toList());
                changes.put(topic, partition, elected, name + ": leader -1 -> " + replica + " (epoch "
                        + elected.leaderEpoch() + "), an in-sync replica");
                return ApiError.NONE;
            }
        }
        for (int replica : current.replicas()) {
            if (live.contains(replica)) {
                PartitionAssignment elected = current.withLeader(replica, List.of(replica));
                changes.put(topic, partition, elected, name + ": unclean leader election, leader -1 -> " + replica
                        + " (epoch " + elected.leaderEpoch() + "); it was not in sync and may lack acknowledged"
                        + " records");
                return ApiError.NONE;
            }
        }
        return new ApiError(Errors.ELIGIBLE_LEADERS_NOT_AVAILABLE, "No replica of " + name + " "
                + current.replicas() + " is alive; start one of them");
    }

    // ---------------------------------------------------------------------------------------------------- reassignments

    /**
     * Starts, replaces or cancels reassignments as Kafka's controller does: the replicas become the target followed
     * by the original replicas it leaves out, the brokers it adds start copying the log, and the reassignment
     * completes (here, or later in {@link #alterPartitions}) once every target replica is in sync. A new target for a
     * partition already moving starts again from its original replicas.
     *
     * <p>A change of the replica set raises the leader epoch, so that the leader starts tracking the new followers
     * and every replica learns of the change as a new term.
     */
    @Override
    public synchronized List<PartitionResult> alterPartitionReassignments(List<Reassignment> reassignments,
                                                                         boolean allowReplicationFactorChange) {
        Set<Integer> live = new HashSet<>(liveBrokers());
        PartitionChanges changes = new PartitionChanges(image());
        List<PartitionResult> results = new ArrayList<>();
        for (Reassignment reassignment : reassignments) {
            ApiError error = reassignment.targetReplicas() == null
                    ? cancelReassignment(changes, reassignment.topic(), reassignment.partition(), live)
                    : reassign(changes, reassignment, allowReplicationFactorChange, live);
            results.add(new PartitionResult(reassignment.topic(), reassignment.partition(), error));
        }
        changes.commit();
        return results;
    }

    private static ApiError reassign(PartitionChanges changes, Reassignment reassignment,
                                     boolean allowReplicationFactorChange, Set<Integer> live) {
        String topic = reassignment.topic();
        int partition = reassignment.partition();
        PartitionAssignment current = changes.get(topic, partition);
        if (current == null) {
            return unknownPartition(changes, topic, partition);
        }
        String name = topic + "-" + partition;
        List<Integer> target = reassignment.targetReplicas();
        ApiError invalid = validateTarget(name, target, live);
        if (invalid != null) {
            return invalid;
        }
        List<Integer> original = current.originalReplicas();
        if (!allowReplicationFactorChange && target.size() != original.size()) {
            return new ApiError(Errors.INVALID_REPLICATION_FACTOR, "The replication factor is changed from "
                    + original.size() + " to " + target.size());
        }
        List<Integer> replicas = new ArrayList<>(target);
        replicas.addAll(PartitionAssignment.without(original, target));
        PartitionAssignment next = placed(current, replicas, PartitionAssignment.without(target, original),
                PartitionAssignment.without(original, target), live);
        if (next == null) {
            return new ApiError(Errors.INVALID_REPLICA_ASSIGNMENT, "Moving " + name + " to " + target + " would"
                    + " leave no in-sync replica (ISR " + current.isr() + "); cancel the reassignment under way first");
        }
        if (next.isReassigning() && next.isr().containsAll(next.targetReplicas())) {
            PartitionAssignment completed = completedReassignment(next, live);
            if (completed != null) {
                next = completed;
            }
        }
        if (next.replicas().equals(current.replicas()) && next.isr().equals(current.isr())
                && next.leader() == current.leader() && next.addingReplicas().equals(current.addingReplicas())
                && next.removingReplicas().equals(current.removingReplicas())) {
            return ApiError.NONE;
        }
        changes.put(topic, partition, next, next.isReassigning()
                ? name + ": reassigning from " + original + " to " + target + ": replicas " + next.replicas()
                        + ", adding " + next.addingReplicas() + ", removing " + next.removingReplicas()
                        + ", leader " + next.leader() + " (epoch " + next.leaderEpoch() + ")"
                : describeCompleted(topic, partition, next));
        return ApiError.NONE;
    }

    private static ApiError cancelReassignment(PartitionChanges changes, String topic, int partition,
                                               Set<Integer> live) {
        PartitionAssignment current = changes.get(topic, partition);
        if (current == null) {
            return unknownPartition(changes, topic, partition);
        }
        String name = topic + "-" + partition;
        if (!current.isReassigning()) {
            return new ApiError(Errors.NO_REASSIGNMENT_IN_PROGRESS, "No reassignment of " + name
                    + " is in progress");
        }
        PartitionAssignment reverted = placed(current, current.originalReplicas(), List.of(), List.of(), live);
        if (reverted == null) {
            return new ApiError(Errors.INVALID_REPLICA_ASSIGNMENT, "Unable to revert the reassignment of " + name
                    + ": none of its original replicas " + current.originalReplicas() + " is in sync (ISR "
                    + current.isr() + "), so it would need an unclean leader election");
        }
        changes.put(topic, partition, reverted, name + ": reassignment cancelled, replicas " + current.replicas()
                + " -> " + reverted.replicas() + ", ISR " + reverted.isr() + ", leader " + reverted.leader()
                + " (epoch " + reverted.leaderEpoch() + ")");
        return ApiError.NONE;
    }

    private static ApiError validateTarget(String name, List<Integer> target, Set<Integer> live) {
        if (target.isEmpty()) {
            return new ApiError(Errors.INVALID_REPLICA_ASSIGNMENT, "The reassignment of " + name + " names no"
                    + " replicas; give at least one broker");
        }
        Set<Integer> seen = new HashSet<>();
        for (int broker : target) {
            if (!seen.add(broker)) {
                return new ApiError(Errors.INVALID_REPLICA_ASSIGNMENT, "The reassignment of " + name + " names"
                        + " broker " + broker + " more than once");
            }
            if (!live.contains(broker)) {
                return new ApiError(Errors.INVALID_REPLICA_ASSIGNMENT, "The reassignment of " + name + " names"
                        + " broker " + broker + ", which is not registered; live brokers are "
                        + live.stream().sorted().toList());
            }
        }
        return null;
    }

    /** The reassignment of {@code moving}, whose target replicas are all in sync, completed. */
    private static PartitionAssignment completedReassignment(PartitionAssignment moving, Set<Integer> live) {
        return placed(moving, moving.targetReplicas(), List.of(), List.of(), live);
    }

    /**
     * {@code current} on {@code replicas}: the ISR keeps its members that remain replicas, and the leader stays if it
     * is one of them, else the first replica in sync and alive leads (none: the partition is offline). A new leader
     * or a new replica set raises the leader epoch. Returns {@code null} if no in-sync replica would remain.
     */
    private static PartitionAssignment placed(PartitionAssignment current, List<Integer> replicas,
                                              List<Integer> adding, List<Integer> removing, Set<Integer> live) {
        List<Integer> isr = current.isr().stream().filter(replicas::contains).toList();
        if (isr.isEmpty()) {
            return null;
        }
        int leader = current.leader();
        if (!isr.contains(leader)) {
            leader = replicas.stream().filter(r -> isr.contains(r) && live.contains(r)).findFirst().orElse(-1);
        }
        boolean newTerm = leader != current.leader() || !Set.copyOf(replicas).equals(Set.copyOf(current.replicas()));
        return new PartitionAssignment(replicas, isr, leader, current.leaderEpoch() + (newTerm ? 1 : 0),
                current.partitionEpoch() + 1, adding, removing);
    }

    private static String describeCompleted(String topic, int partition, PartitionAssignment completed) {
        return topic + "-" + partition + ": reassignment completed, replicas " + completed.replicas() + ", ISR "
                + completed.isr() + ", leader " + completed.leader() + " (epoch " + completed.leaderEpoch() + ")";
    }

    private static ApiError unknownPartition(PartitionChanges changes, String topic, int partition) {
        TopicImage known = changes.next.topic(topic);
        return new ApiError(Errors.UNKNOWN_TOPIC_OR_PARTITION, known == null ? "Topic " + topic + " does not exist"
                : "Topic " + topic + " has no partition " + partition + "; it has " + known.partitionCount());
    }

    /**
     * The partition changes of one request, made on a working image so that later ones see earlier ones, and
     * committed as one change, with a log line for each. Used with the controller's monitor held.
     */
    private final class PartitionChanges {
        private MetadataImage next;
        /** The topics changed, whose records are encoded once, at the commit. */
        private final Set<String> changedTopics = new LinkedHashSet<>();
        private final List<String> described = new ArrayList<>();
        private int changed;

        PartitionChanges(MetadataImage start) {
            this.next = start;
        }

        /** The partition's assignment, or {@code null} if it does not exist. */
        PartitionAssignment get(String topic, int partition) {
            TopicImage image = topic == null ? null : next.topic(topic);
            return image == null ? null : image.partition(partition);
        }

        void put(String topic, int partition, PartitionAssignment assignment, String description) {
            TopicImage image = next.topic(topic);
            List<PartitionAssignment> partitions = new ArrayList<>(image.partitions());
            partitions.set(partition, assignment);
            next = next.withTopic(image.withPartitions(partitions));
            changedTopics.add(topic);
            described.add(description);
            changed++;
        }

        /** Another line to log once the changes are committed. */
        void describe(String line) {
            described.add(line);
        }

        /** How many partition changes were made. */
        int size() {
            return changed;
        }

        void commit() {
            Map<String, byte[]> records = new LinkedHashMap<>();
            for (String topic : changedTopics) {
                records.put(MetadataRecords.topicKey(topic), MetadataRecords.encodeTopic(next.topic(topic)));
            }
            LocalController.this.commit(records);
            for (String line : described) {
                LOG.log(Level.INFO, line);
            }
        }
    }

    /** Makes the change durable and applied; called with the monitor held. */
    private void commit(Map<String, byte[]> records) {
        if (!records.isEmpty()) {
            store.commit(records);
        }
    }
}
