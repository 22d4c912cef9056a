package io.strata.broker.metadata;

import io.strata.broker.cluster.BrokerInfo;
import io.strata.broker.cluster.ControllerChannel;
import io.strata.broker.cluster.ControllerElection;
import io.strata.broker.cluster.HazelcastCluster;
import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.NotControllerException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiError;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The controller interface of a broker in a cluster. On the broker elected controller, changes run here, through
 * {@link LocalController}'s checks, into the shared {@link ClusterMetadataStore}; on every other broker they are sent
 * to the controller over the {@link ControllerChannel} and answered from there, so a client may ask any broker.
 *
 * <p>The controller also watches the live brokers: when one goes, its partitions get new leaders from their in-sync
 * replicas and it leaves every ISR; when one returns as the last in-sync replica of an offline partition, it leads
 * again. It checks this at every membership change and every few seconds.
 *
 * <p>Thread-safe.
 */
public final class ClusterController implements Controller, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ClusterController.class.getName());
    private static final long FORWARD_TIMEOUT_MS = 15_000;

    private final LocalController logic;
    private final ClusterMetadataStore store;
    private final HazelcastCluster cluster;
    private final ControllerChannel channel;
    private final ControllerElection election;
    private final ScheduledExecutorService executor;
    private final int localBrokerId;
    private final ThreadFactory threads;

    public ClusterController(LocalController logic, ClusterMetadataStore store, HazelcastCluster cluster,
                             int localBrokerId, boolean useCpSubsystem, ThreadFactory threads) {
        this.logic = logic;
        this.store = store;
        this.cluster = cluster;
        this.channel = new ControllerChannel(cluster.hazelcast());
        this.localBrokerId = localBrokerId;
        this.threads = threads;
        ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = threads.newThread(runnable);
            thread.setName("strata-controller");
            thread.setDaemon(true);
            return thread;
        });
        this.executor = pool;
        this.election = new ControllerElection(cluster, localBrokerId, useCpSubsystem, store::storedEpoch,
                new ControllerElection.Callbacks() {
                    @Override
                    public void onElected(int epoch) {
                        takeOver(epoch);
                    }

                    @Override
                    public void onResigned() {
                        store.stopWriting();
                        channel.stopServing();
                    }
                }, threads);
    }

    public void start() {
        cluster.addListener(() -> executor.execute(this::checkBrokers));
        election.start();
        executor.scheduleWithFixedDelay(this::checkBrokers, 3, 3, TimeUnit.SECONDS);
    }

    private void takeOver(int epoch) {
        store.becomeWriter(epoch, election::isCurrent);
        logic.ensureClusterId();
        channel.serve(this::serve, executor);
        executor.execute(this::checkBrokers);
    }

    private void checkBrokers() {
        if (!election.isController()) {
            return;
        }
        Set<Integer> live = liveIds();
        if (!live.contains(localBrokerId)) {
            // Still starting: brokers not registered yet would look dead.
            return;
        }
        Map<Integer, String> incarnations = new HashMap<>();
        for (int id : live) {
            String incarnation = cluster.incarnationOf(id);
            if (incarnation != null) {
                incarnations.put(id, incarnation);
            }
        }
        try {
            logic.onBrokersChanged(live, incarnations);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Reassigning leaders after a membership change failed: {0}", e.toString());
        }
    }

    private Set<Integer> liveIds() {
        Set<Integer> ids = new HashSet<>();
        for (BrokerInfo broker : cluster.liveBrokers()) {
            ids.add(broker.id());
        }
        return ids;
    }

    public int controllerId() {
        return election.controllerId();
    }

    public boolean isController() {
        return election.isController();
    }

    /** The epoch of the current controller's term, as this broker knows it. */
    public int controllerEpoch() {
        return election.controllerEpoch();
    }

    /** With the CP Subsystem, the fencing token of the controller lock while this broker holds it, else -1. */
    public long fencingToken() {
        return election.fencingToken();
    }

    /**
     * Resets the CP Subsystem, through the broker of the oldest Hazelcast member, for an operator who knows that the
     * controller quorum has lost its majority for good ({@code strata cluster cp-reset}); with {@code validateOnly}
     * only checks that there is a CP Subsystem to reset. Completes with what was done, or exceptionally with why not.
     * The reset waits up to a minute for its answer, so it runs on a thread of its own, not the caller's.
     */
    public CompletableFuture<String> resetCpSubsystem(boolean validateOnly) {
        CompletableFuture<String> result = new CompletableFuture<>();
        if (validateOnly) {
            try {
                result.complete(election.describeCpReset());
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
            return result;
        }
        Thread thread = threads.newThread(() -> {
            try {
                result.complete(election.resetCpSubsystem());
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        thread.setName("strata-cp-reset");
        thread.setDaemon(true);
        thread.start();
        return result;
    }

    /** Whether this broker counts toward the quorum that elects the controller: see ControllerElection. */
    public boolean inControllerQuorum() {
        return election.inControllerQuorum();
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
        return logic.liveBrokers();
    }

    // ------------------------------------------------------------------------------------------ the operations

    @Override
    public List<TopicResult> createTopics(List<NewTopic> topics, boolean validateOnly) {
        if (election.isController()) {
            return logic.createTopics(topics, validateOnly);
        }
        Properties request = new Properties();
        request.setProperty("validateOnly", String.valueOf(validateOnly));
        request.setProperty("count", String.valueOf(topics.size()));
        for (int i = 0; i < topics.size(); i++) {
            NewTopic topic = topics.get(i);
            String prefix = "topic." + i + ".";
            request.setProperty(prefix + "name", topic.name());
            request.setProperty(prefix + "partitions", String.valueOf(topic.numPartitions()));
            request.setProperty(prefix + "rf", String.valueOf(topic.replicationFactor()));
            topic.assignments().forEach((p, replicas) -> request.setProperty(prefix + "assign." + p, join(replicas)));
            topic.configs().forEach((k, v) -> request.setProperty(prefix + "config." + k, v));
        }
        return decodeResults(forward("createTopics", request));
    }

    @Override
    public TopicImage ensureInternalTopic(String name, int partitions, short replicationFactor,
                                          Map<String, String> configs) {
        TopicImage existing = image().topic(name);
        if (existing != null) {
            return existing;
        }
        if (election.isController()) {
            return logic.ensureInternalTopic(name, partitions, replicationFactor, configs);
        }
        Properties request = new Properties();
        request.setProperty("name", name);
        request.setProperty("partitions", String.valueOf(partitions));
        request.setProperty("rf", String.valueOf(replicationFactor));
        configs.forEach((k, v) -> request.setProperty("config." + k, v));
        Properties reply = forward("ensureInternalTopic", request);
        return MetadataRecords.decodeTopic(name, reply.getProperty("topic").getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public List<TopicResult> deleteTopics(List<TopicRef> topics) {
        if (election.isController()) {
            return logic.deleteTopics(topics);
        }
        Properties request = new Properties();
        request.setProperty("count", String.valueOf(topics.size()));
        for (int i = 0; i < topics.size(); i++) {
            if (topics.get(i).name() != null) {
                request.setProperty("topic." + i + ".name", topics.get(i).name());
            }
            if (topics.get(i).id() != null) {
                request.setProperty("topic." + i + ".id", topics.get(i).id().toString());
            }
        }
        return decodeResults(forward("deleteTopics", request));
    }

    @Override
    public List<TopicResult> createPartitions(List<NewPartitions> requests, boolean validateOnly) {
        if (election.isController()) {
            return logic.createPartitions(requests, validateOnly);
        }
        Properties request = new Properties();
        request.setProperty("validateOnly", String.valueOf(validateOnly));
        request.setProperty("count", String.valueOf(requests.size()));
        for (int i = 0; i < requests.size(); i++) {
            NewPartitions one = requests.get(i);
            String prefix = "topic." + i + ".";
            request.setProperty(prefix + "name", one.topic());
            request.setProperty(prefix + "total", String.valueOf(one.totalCount()));
            List<List<Integer>> assignments = one.assignments() == null ? List.of() : one.assignments();
            request.setProperty(prefix + "assignments", String.valueOf(assignments.size()));
            for (int a = 0; a < assignments.size(); a++) {
                request.setProperty(prefix + "assign." + a, join(assignments.get(a)));
            }
        }
        return decodeResults(forward("createPartitions", request));
    }

    @Override
    public ApiError alterTopicConfigs(String topic, Map<String, String> overrides, boolean validateOnly) {
        if (election.isController()) {
            return logic.alterTopicConfigs(topic, overrides, validateOnly);
        }
        Properties request = new Properties();
        request.setProperty("name", topic);
        request.setProperty("validateOnly", String.valueOf(validateOnly));
        overrides.forEach((k, v) -> request.setProperty("config." + k, v));
        return decodeError(forward("alterTopicConfigs", request), "");
    }

    @Override
    public ApiError alterGroupConfigs(String groupId, Map<String, String> configs, boolean validateOnly) {
        if (election.isController()) {
            return logic.alterGroupConfigs(groupId, configs, validateOnly);
        }
        Properties request = new Properties();
        request.setProperty("group", groupId);
        request.setProperty("validateOnly", String.valueOf(validateOnly));
        configs.forEach((k, v) -> request.setProperty("config." + k, v));
        return decodeError(forward("alterGroupConfigs", request), "");
    }

    @Override
    public long allocateProducerIds(int size) {
        if (election.isController()) {
            return logic.allocateProducerIds(size);
        }
        Properties request = new Properties();
        request.setProperty("size", String.valueOf(size));
        return Long.parseLong(forward("allocateProducerIds", request).getProperty("first"));
    }

    @Override
    public List<PartitionResult> electLeaders(ElectionType type, List<PartitionRef> partitions) {
        if (election.isController()) {
            return logic.electLeaders(type, partitions);
        }
        Properties request = new Properties();
        request.setProperty("type", String.valueOf(type.value));
        if (partitions != null) {
            request.setProperty("count", String.valueOf(partitions.size()));
            for (int i = 0; i < partitions.size(); i++) {
                request.setProperty("partition." + i + ".topic", partitions.get(i).topic());
                request.setProperty("partition." + i + ".index", String.valueOf(partitions.get(i).partition()));
            }
        }
        return decodePartitionResults(forward("electLeaders", request));
    }

    @Override
    public List<PartitionResult> alterPartitionReassignments(List<Reassignment> reassignments,
                                                             boolean allowReplicationFactorChange) {
        if (election.isController()) {
            return logic.alterPartitionReassignments(reassignments, allowReplicationFactorChange);
        }
        Properties request = new Properties();
        request.setProperty("allowReplicationFactorChange", String.valueOf(allowReplicationFactorChange));
        request.setProperty("count", String.valueOf(reassignments.size()));
        for (int i = 0; i < reassignments.size(); i++) {
            Reassignment one = reassignments.get(i);
            String prefix = "partition." + i + ".";
            request.setProperty(prefix + "topic", one.topic());
            request.setProperty(prefix + "index", String.valueOf(one.partition()));
            if (one.targetReplicas() != null) {
                request.setProperty(prefix + "target", join(one.targetReplicas()));
            }
        }
        return decodePartitionResults(forward("alterPartitionReassignments", request));
    }

    /**
     * This broker's replicas whose log directory failed: the controller takes them out of their ISRs and moves
     * leadership away from them; see {@link LocalController#replicasOffline}. Returns how many partitions changed.
     */
    public int replicasOffline(int brokerId, List<org.apache.kafka.common.TopicPartition> offline) {
        if (election.isController()) {
            return logic.replicasOffline(brokerId, offline, liveIds());
        }
        Properties request = new Properties();
        request.setProperty("broker", String.valueOf(brokerId));
        request.setProperty("count", String.valueOf(offline.size()));
        for (int i = 0; i < offline.size(); i++) {
            request.setProperty("tp." + i + ".topic", offline.get(i).topic());
            request.setProperty("tp." + i + ".partition", String.valueOf(offline.get(i).partition()));
        }
        return Integer.parseInt(forward("replicasOffline", request).getProperty("changed", "0"));
    }

    /**
     * A leader's AlterPartition request, the ISR changes of many partitions in one message to the controller and one
     * metadata commit there; see {@link LocalController#alterPartitions}.
     *
     * @param changes at most {@link IsrChange#MAX_PER_REQUEST}
     * @return one error per change, in order
     */
    public List<ApiError> alterPartitions(List<IsrChange> changes) {
        IsrChange.checkRequestSize(changes);
        if (election.isController()) {
            return alterPartitionsHere(changes);
        }
        Properties request = new Properties();
        request.setProperty("count", String.valueOf(changes.size()));
        for (int i = 0; i < changes.size(); i++) {
            IsrChange change = changes.get(i);
            String prefix = "change." + i + ".";
            request.setProperty(prefix + "topic", change.topic());
            request.setProperty(prefix + "partition", String.valueOf(change.partition()));
            request.setProperty(prefix + "leader", String.valueOf(change.leaderId()));
            request.setProperty(prefix + "leaderEpoch", String.valueOf(change.leaderEpoch()));
            request.setProperty(prefix + "partitionEpoch", String.valueOf(change.partitionEpoch()));
            request.setProperty(prefix + "isr", join(change.isr()));
        }
        List<ApiError> results = decodeErrors(forward("alterPartitions", request));
        if (results.size() != changes.size()) {
            throw new IllegalStateException("The controller answered " + results.size() + " of " + changes.size()
                    + " ISR changes");
        }
        return results;
    }

    /**
     * On the controller: a leader's ISR changes, each refused while it would add a broker that does not count toward
     * the controller quorum yet. A restarted broker comes back as a new CP identity; until it is a CP member again, a
     * failure of another broker leaves no Raft majority, so it is not "back" and must not make acks=all writes count
     * on it. The leader asks again at the follower's next fetch, which is within seconds once it is promoted. The
     * others go to the controller logic together.
     */
    private List<ApiError> alterPartitionsHere(List<IsrChange> changes) {
        ApiError[] results = new ApiError[changes.size()];
        List<IsrChange> eligible = new ArrayList<>();
        List<Integer> eligibleIndexes = new ArrayList<>();
        for (int i = 0; i < changes.size(); i++) {
            results[i] = quorumRefusal(changes.get(i));
            if (results[i] == null) {
                eligible.add(changes.get(i));
                eligibleIndexes.add(i);
            }
        }
        if (!eligible.isEmpty()) {
            List<ApiError> answered = logic.alterPartitions(eligible, liveIds());
            for (int j = 0; j < answered.size(); j++) {
                results[eligibleIndexes.get(j)] = answered.get(j);
            }
        }
        return List.of(results);
    }

    /** The refusal of a change that would add a broker not counting toward the quorum yet, else {@code null}. */
    private ApiError quorumRefusal(IsrChange change) {
        TopicImage current = logic.image().topic(change.topic());
        if (current == null || current.partition(change.partition()) == null) {
            return null;
        }
        List<Integer> currentIsr = current.partition(change.partition()).isr();
        for (int broker : change.isr()) {
            if (!currentIsr.contains(broker) && !election.countsTowardQuorum(broker)) {
                return new ApiError(Errors.INELIGIBLE_REPLICA, "Broker " + broker + " does not count toward the"
                        + " controller quorum yet (a restarted broker is a CP member again first)");
            }
        }
        return null;
    }

    /** Runs a forwarded request on the controller. */
    private String serve(String op, String body) {
        Properties request = load(body);
        Properties reply = new Properties();
        try {
            switch (op) {
                case "createTopics" -> encodeResults(reply, logic.createTopics(decodeNewTopics(request),
                        Boolean.parseBoolean(request.getProperty("validateOnly"))));
                case "ensureInternalTopic" -> {
                    TopicImage topic = logic.ensureInternalTopic(request.getProperty("name"),
                            Integer.parseInt(request.getProperty("partitions")),
                            Short.parseShort(request.getProperty("rf")), prefixed(request, "config."));
                    reply.setProperty("topic", new String(MetadataRecords.encodeTopic(topic), StandardCharsets.UTF_8));
                }
                case "deleteTopics" -> {
                    List<TopicRef> refs = new ArrayList<>();
                    int count = Integer.parseInt(request.getProperty("count"));
                    for (int i = 0; i < count; i++) {
                        String id = request.getProperty("topic." + i + ".id");
                        refs.add(new TopicRef(request.getProperty("topic." + i + ".name"),
                                id == null ? null : Uuid.fromString(id)));
                    }
                    encodeResults(reply, logic.deleteTopics(refs));
                }
                case "createPartitions" -> {
                    List<NewPartitions> requests = new ArrayList<>();
                    int count = Integer.parseInt(request.getProperty("count"));
                    for (int i = 0; i < count; i++) {
                        String prefix = "topic." + i + ".";
                        int assignments = Integer.parseInt(request.getProperty(prefix + "assignments"));
                        List<List<Integer>> replicas = new ArrayList<>();
                        for (int a = 0; a < assignments; a++) {
                            replicas.add(split(request.getProperty(prefix + "assign." + a)));
                        }
                        requests.add(new NewPartitions(request.getProperty(prefix + "name"),
                                Integer.parseInt(request.getProperty(prefix + "total")), replicas));
                    }
                    encodeResults(reply, logic.createPartitions(requests,
                            Boolean.parseBoolean(request.getProperty("validateOnly"))));
                }
                case "alterTopicConfigs" -> encodeError(reply, "", logic.alterTopicConfigs(
                        request.getProperty("name"), prefixed(request, "config."),
                        Boolean.parseBoolean(request.getProperty("validateOnly"))));
                case "alterGroupConfigs" -> encodeError(reply, "", logic.alterGroupConfigs(
                        request.getProperty("group"), prefixed(request, "config."),
                        Boolean.parseBoolean(request.getProperty("validateOnly"))));
                case "allocateProducerIds" -> reply.setProperty("first", String.valueOf(
                        logic.allocateProducerIds(Integer.parseInt(request.getProperty("size")))));
                case "alterPartitions" -> encodeErrors(reply, alterPartitionsHere(decodeIsrChanges(request)));
                // The one-partition form that brokers of the previous version send, for a rolling upgrade.
                case "alterPartition" -> encodeError(reply, "", alterPartitionsHere(List.of(new IsrChange(
                        request.getProperty("topic"), Integer.parseInt(request.getProperty("partition")),
                        Integer.parseInt(request.getProperty("leader")),
                        Integer.parseInt(request.getProperty("leaderEpoch")),
                        Integer.parseInt(request.getProperty("partitionEpoch")),
                        split(request.getProperty("isr"))))).get(0));
                case "replicasOffline" -> {
                    List<org.apache.kafka.common.TopicPartition> offline = new ArrayList<>();
                    int count = Integer.parseInt(request.getProperty("count"));
                    for (int i = 0; i < count; i++) {
                        offline.add(new org.apache.kafka.common.TopicPartition(request.getProperty("tp." + i + ".topic"),
                                Integer.parseInt(request.getProperty("tp." + i + ".partition"))));
                    }
                    reply.setProperty("changed", String.valueOf(logic.replicasOffline(
                            Integer.parseInt(request.getProperty("broker")), offline, liveIds())));
                }
                case "electLeaders" -> encodePartitionResults(reply, logic.electLeaders(
                        ElectionType.valueOf(Byte.parseByte(request.getProperty("type"))),
                        request.getProperty("count") == null ? null : decodePartitionRefs(request)));
                case "alterPartitionReassignments" -> encodePartitionResults(reply,
                        logic.alterPartitionReassignments(decodeReassignments(request),
                                Boolean.parseBoolean(request.getProperty("allowReplicationFactorChange"))));
                default -> reply.setProperty("failure", "unknown controller request " + op);
            }
        } catch (NotControllerException e) {
            reply.setProperty("notController", e.getMessage());
        } catch (RuntimeException e) {
            reply.setProperty("failure", String.valueOf(e.getMessage()));
        }
        return store(reply);
    }

    private Properties forward(String op, Properties request) {
        if (election.controllerId() < 0) {
            throw new NotControllerException("No controller is elected yet; try again");
        }
        String answer;
        try {
            answer = channel.call(op, store(request), FORWARD_TIMEOUT_MS).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NotControllerException("Interrupted while waiting for the controller");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TimeoutException) {
                throw new NotControllerException("The controller (broker " + election.controllerId()
                        + ") did not answer within " + FORWARD_TIMEOUT_MS + " ms");
            }
            throw new IllegalStateException("Asking the controller failed: " + e.getCause(), e.getCause());
        }
        Properties reply = load(answer);
        if (reply.getProperty("notController") != null) {
            throw new NotControllerException(reply.getProperty("notController"));
        }
        if (reply.getProperty("failure") != null) {
            throw new IllegalStateException("The controller failed: " + reply.getProperty("failure"));
        }
        return reply;
    }

    // ------------------------------------------------------------------------------------------ encoding

    private static List<NewTopic> decodeNewTopics(Properties request) {
        List<NewTopic> topics = new ArrayList<>();
        int count = Integer.parseInt(request.getProperty("count"));
        for (int i = 0; i < count; i++) {
            String prefix = "topic." + i + ".";
            Map<Integer, List<Integer>> assignments = new TreeMap<>();
            prefixed(request, prefix + "assign.").forEach((p, replicas) ->
                    assignments.put(Integer.parseInt(p), split(replicas)));
            topics.add(new NewTopic(request.getProperty(prefix + "name"),
                    Integer.parseInt(request.getProperty(prefix + "partitions")),
                    Short.parseShort(request.getProperty(prefix + "rf")), assignments,
                    prefixed(request, prefix + "config.")));
        }
        return topics;
    }

    private static void encodeResults(Properties reply, List<TopicResult> results) {
        reply.setProperty("count", String.valueOf(results.size()));
        for (int i = 0; i < results.size(); i++) {
            TopicResult result = results.get(i);
            String prefix = "result." + i + ".";
            if (result.name() != null) {
                reply.setProperty(prefix + "name", result.name());
            }
            if (result.topicId() != null) {
                reply.setProperty(prefix + "id", result.topicId().toString());
            }
            encodeError(reply, prefix, result.error());
            if (result.topic() != null) {
                reply.setProperty(prefix + "topic", new String(MetadataRecords.encodeTopic(result.topic()),
                        StandardCharsets.UTF_8));
            }
        }
    }

    private static List<TopicResult> decodeResults(Properties reply) {
        List<TopicResult> results = new ArrayList<>();
        int count = Integer.parseInt(reply.getProperty("count"));
        for (int i = 0; i < count; i++) {
            String prefix = "result." + i + ".";
            String name = reply.getProperty(prefix + "name");
            String id = reply.getProperty(prefix + "id");
            String topic = reply.getProperty(prefix + "topic");
            results.add(new TopicResult(name, id == null ? null : Uuid.fromString(id), decodeError(reply, prefix),
                    topic == null ? null : MetadataRecords.decodeTopic(name, topic.getBytes(StandardCharsets.UTF_8))));
        }
        return results;
    }

    private static List<PartitionRef> decodePartitionRefs(Properties request) {
        List<PartitionRef> refs = new ArrayList<>();
        int count = Integer.parseInt(request.getProperty("count"));
        for (int i = 0; i < count; i++) {
            refs.add(new PartitionRef(request.getProperty("partition." + i + ".topic"),
                    Integer.parseInt(request.getProperty("partition." + i + ".index"))));
        }
        return refs;
    }

    /** An absent target is a cancellation, as a null one is in the request; an empty one stays empty. */
    private static List<Reassignment> decodeReassignments(Properties request) {
        List<Reassignment> reassignments = new ArrayList<>();
        int count = Integer.parseInt(request.getProperty("count"));
        for (int i = 0; i < count; i++) {
            String prefix = "partition." + i + ".";
            String target = request.getProperty(prefix + "target");
            reassignments.add(new Reassignment(request.getProperty(prefix + "topic"),
                    Integer.parseInt(request.getProperty(prefix + "index")), target == null ? null : split(target)));
        }
        return reassignments;
    }

    private static void encodePartitionResults(Properties reply, List<PartitionResult> results) {
        reply.setProperty("count", String.valueOf(results.size()));
        for (int i = 0; i < results.size(); i++) {
            String prefix = "result." + i + ".";
            reply.setProperty(prefix + "topic", results.get(i).topic());
            reply.setProperty(prefix + "index", String.valueOf(results.get(i).partition()));
            encodeError(reply, prefix, results.get(i).error());
        }
    }

    private static List<PartitionResult> decodePartitionResults(Properties reply) {
        List<PartitionResult> results = new ArrayList<>();
        int count = Integer.parseInt(reply.getProperty("count"));
        for (int i = 0; i < count; i++) {
            String prefix = "result." + i + ".";
            results.add(new PartitionResult(reply.getProperty(prefix + "topic"),
                    Integer.parseInt(reply.getProperty(prefix + "index")), decodeError(reply, prefix)));
        }
        return results;
    }

    private static List<IsrChange> decodeIsrChanges(Properties request) {
        int count = Integer.parseInt(request.getProperty("count"));
        if (count > IsrChange.MAX_PER_REQUEST) {
            throw new IllegalArgumentException("An AlterPartition request of " + count
                    + " partitions is over the limit of " + IsrChange.MAX_PER_REQUEST);
        }
        List<IsrChange> changes = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String prefix = "change." + i + ".";
            changes.add(new IsrChange(request.getProperty(prefix + "topic"),
                    Integer.parseInt(request.getProperty(prefix + "partition")),
                    Integer.parseInt(request.getProperty(prefix + "leader")),
                    Integer.parseInt(request.getProperty(prefix + "leaderEpoch")),
                    Integer.parseInt(request.getProperty(prefix + "partitionEpoch")),
                    split(request.getProperty(prefix + "isr"))));
        }
        return changes;
    }

    private static void encodeErrors(Properties reply, List<ApiError> errors) {
        reply.setProperty("count", String.valueOf(errors.size()));
        for (int i = 0; i < errors.size(); i++) {
            encodeError(reply, "result." + i + ".", errors.get(i));
        }
    }

    private static List<ApiError> decodeErrors(Properties reply) {
        int count = Integer.parseInt(reply.getProperty("count"));
        List<ApiError> errors = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            errors.add(decodeError(reply, "result." + i + "."));
        }
        return errors;
    }

    private static void encodeError(Properties reply, String prefix, ApiError error) {
        ApiError e = error == null ? ApiError.NONE : error;
        reply.setProperty(prefix + "error", String.valueOf(e.error().code()));
        if (e.message() != null) {
            reply.setProperty(prefix + "message", e.message());
        }
    }

    private static ApiError decodeError(Properties reply, String prefix) {
        Errors error = Errors.forCode(Short.parseShort(reply.getProperty(prefix + "error", "0")));
        return error == Errors.NONE ? ApiError.NONE : new ApiError(error, reply.getProperty(prefix + "message"));
    }

    private static Map<String, String> prefixed(Properties properties, String prefix) {
        Map<String, String> out = new TreeMap<>();
        for (String key : properties.stringPropertyNames()) {
            if (key.startsWith(prefix)) {
                out.put(key.substring(prefix.length()), properties.getProperty(key));
            }
        }
        return out;
    }

    private static String join(List<Integer> ids) {
        StringBuilder text = new StringBuilder();
        for (int id : ids) {
            text.append(text.length() > 0 ? "," : "").append(id);
        }
        return text.toString();
    }

    private static List<Integer> split(String text) {
        List<Integer> ids = new ArrayList<>();
        if (text != null) {
            for (String part : text.split(",")) {
                if (!part.isBlank()) {
                    ids.add(Integer.parseInt(part.trim()));
                }
            }
        }
        return ids;
    }

    private static String store(Properties properties) {
        StringWriter writer = new StringWriter();
        try {
            properties.store(writer, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return writer.toString();
    }

    private static Properties load(String text) {
        Properties properties = new Properties();
        try {
            properties.load(new StringReader(text));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return properties;
    }

    @Override
    public void close() {
        election.close();
        channel.close();
        // Not interrupted: an interrupt while a check commits would close the metadata log's file channel.
        executor.shutdown();
        try {
            if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
