package io.strata.broker.api;

import io.strata.broker.cluster.BrokerInfo;
import io.strata.broker.cluster.SingleBrokerMembership;
import io.strata.broker.config.BrokerConfig;
import io.strata.broker.delayed.FetchPurgatory;
import io.strata.broker.group.GroupCoordinator;
import io.strata.broker.transaction.TransactionCoordinator;
import io.strata.broker.metadata.LocalController;
import io.strata.broker.metadata.LocalMetadataStore;
import io.strata.broker.metadata.MetadataImage;
import io.strata.broker.metadata.MetadataLog;
import io.strata.broker.metadata.NewTopic;
import io.strata.broker.metadata.TopicResult;
import io.strata.broker.network.InProcessConnection;
import io.strata.broker.network.InProcessConnection.Answered;
import io.strata.broker.network.InProcessConnection.Outcome;
import io.strata.broker.network.RequestChannel;
import io.strata.broker.partition.Partition;
import io.strata.broker.partition.ReplicaManager;
import io.strata.broker.producer.ProducerIdManager;
import io.strata.broker.server.BrokerMetrics;
import io.strata.storage.config.LogConfig;
import io.strata.storage.log.LogDirectory;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A broker's core without its listeners, for driving the API handlers one request at a time: a real
 * {@link LocalController} over a {@link LocalMetadataStore} in a temporary directory, a {@link ReplicaManager} over
 * a real {@link LogDirectory}, the {@link GroupCoordinator}, and the handlers built by {@link Apis} as
 * {@code BrokerServer.start} builds them for a broker on its own. Requests are made as a network thread makes them
 * and dispatched on the calling thread, as a request thread would; answers are taken from the request channel's way
 * back through an {@link InProcessConnection}.
 *
 * <p>Not thread-safe: one test thread drives it.
 */
final class HandlerFixture implements AutoCloseable {

    /** How long any one answer may take; group answers come from the coordinator's thread. */
    static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(15);

    private final BrokerConfig config;
    private final LogDirectory logDirectory;
    private final LocalMetadataStore metadataStore;
    private final LocalController controller;
    private final ReplicaManager replicaManager;
    private final FetchPurgatory fetchPurgatory;
    private final FetchPurgatory replicaFetchPurgatory;
    private final GroupCoordinator groupCoordinator;
    private final TransactionCoordinator transactionCoordinator;
    private final io.strata.broker.share.coordinator.ShareCoordinator shareCoordinator;
    private final io.strata.broker.share.coordinator.ShareCoordinatorPersister sharePersister;
    /** Share groups with members, as the share-group membership would say; tests add to it. */
    final java.util.Set<String> shareGroupsWithMembers = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** The topic partitions of each share group, as the share-group membership would say; tests add to it. */
    final Map<String, java.util.Set<TopicPartition>> shareGroupPartitions = new java.util.concurrent.ConcurrentHashMap<>();
    private final ApiDispatcher dispatcher;
    private final InProcessConnection connection = new InProcessConnection("127.0.0.1:9092-127.0.0.1:50000-0-0");
    private int connections;

    private HandlerFixture(BrokerConfig config) {
        this.config = config;
        ThreadFactory threads = Executors.defaultThreadFactory();
        Clock clock = Clock.systemUTC();
        Path dir = config.logDirs.get(0);
        logDirectory = LogDirectory.open(config.logDirectoryConfig(dir),
                tp -> LogConfig.of(config.topicDefaults()), threads, clock);
        metadataStore = new LocalMetadataStore(MetadataLog.open(dir, threads, clock));
        BrokerInfo local = new BrokerInfo(config.nodeId, config.advertisedListeners, null);
        SingleBrokerMembership membership = new SingleBrokerMembership(() -> local);
        controller = new LocalController(metadataStore, () -> List.of(config.nodeId), config.topicDefaults(),
                config.numPartitions, config.defaultReplicationFactor, config.deleteTopicEnable);
        controller.ensureClusterId();
        replicaManager = new ReplicaManager(config.nodeId, List.of(logDirectory), controller::logConfig, clock);
        replicaManager.onMetadataUpdate(MetadataImage.EMPTY, controller.image());
        controller.addListener(replicaManager);
        logDirectory.setHighWatermarks(tp -> {
            Partition partition = replicaManager.partition(tp);
            return partition == null ? 0 : partition.highWatermark();
        });
        fetchPurgatory = new FetchPurgatory(threads);
        replicaFetchPurgatory = new FetchPurgatory(threads);
        replicaManager.addHighWatermarkListener(fetchPurgatory::onAppend);
        replicaManager.addAppendListener(replicaFetchPurgatory::onAppend);
        groupCoordinator = new GroupCoordinator(config, controller, replicaManager, threads, clock);
        groupCoordinator.startup(true);
        RequestChannel requestChannel = new RequestChannel(config.queuedMaxRequests);
        ProducerIdManager producerIds = new ProducerIdManager(controller::allocateProducerIds);
        transactionCoordinator = new TransactionCoordinator(config, controller, replicaManager,
                producerIds::nextProducerId, id -> id == config.nodeId ? config.advertisedListeners.get(0) : null,
                threads, clock);
        transactionCoordinator.startup(true);
        shareCoordinator = new io.strata.broker.share.coordinator.ShareCoordinator(config, controller, replicaManager,
                threads, clock);
        shareCoordinator.startup(true);
        sharePersister = new io.strata.broker.share.coordinator.ShareCoordinatorPersister(shareCoordinator,
                config.nodeId, id -> id == config.nodeId ? config.advertisedListeners.get(0) : null, threads,
                10_000, 50, 10_000, 1000);
        dispatcher = new Apis(config, requestChannel, controller, membership, replicaManager, fetchPurgatory,
                replicaFetchPurgatory, groupCoordinator, producerIds, new BrokerMetrics(), clock,
                transactionCoordinator, new Apis.Shares(shareCoordinator, sharePersister,
                        shareGroupsWithMembers::contains,
                        group -> shareGroupPartitions.getOrDefault(group, java.util.Set.of()), null)).dispatcher();
    }

    /** A broker with node id 1 keeping its data in {@code dir}, with {@code settings} over the test defaults. */
    static HandlerFixture start(Path dir, Map<String, Object> settings) {
        Map<String, Object> all = new HashMap<>();
        all.put(BrokerConfig.NODE_ID, 1);
        all.put(BrokerConfig.LOG_DIRS, dir.toString());
        all.put(BrokerConfig.LISTENERS, "PLAINTEXT://127.0.0.1:9092");
        all.put(BrokerConfig.GROUP_INITIAL_REBALANCE_DELAY_MS, 0);
        all.put(BrokerConfig.OFFSETS_TOPIC_NUM_PARTITIONS, 1);
        all.put(BrokerConfig.TRANSACTION_STATE_LOG_NUM_PARTITIONS, 1);
        all.putAll(settings);
        return new HandlerFixture(BrokerConfig.of(all));
    }

    static HandlerFixture start(Path dir) {
        return start(dir, Map.of());
    }

    /** Dispatches {@code request} at the newest version its builder allows, and waits for what comes back. */
    Outcome dispatch(AbstractRequest.Builder<?> builder) throws InterruptedException {
        return dispatch(builder, builder.latestAllowedVersion());
    }

    Outcome dispatch(AbstractRequest.Builder<?> builder, short version) throws InterruptedException {
        return dispatch(builder.build(version));
    }

    /**
     * Another client connection, for requests whose answers come later (a waiting fetch, a join waiting for the
     * rest of the group) while other requests go on.
     */
    InProcessConnection newConnection() {
        return new InProcessConnection("127.0.0.1:9092-127.0.0.1:" + (50_001 + connections++) + "-0-0");
    }

    /** Dispatches {@code builder}'s request at its newest version on {@code on}, without waiting for the answer. */
    void dispatchOn(InProcessConnection on, AbstractRequest.Builder<?> builder) {
        short version = builder.latestAllowedVersion();
        dispatcher.dispatch(on.request(builder.build(version), version));
    }

    /** The response that comes back on {@code on}, waiting at most {@link #ANSWER_TIMEOUT}. */
    static <R extends AbstractResponse> R awaitResponse(InProcessConnection on, Class<R> responseType)
            throws InterruptedException {
        return answer(on.awaitOutcome(ANSWER_TIMEOUT), responseType);
    }

    /** Dispatches a request with a body exactly as given, as a faulty client might send it. */
    Outcome dispatchRaw(ApiKeys key, short version, byte[] body) throws InterruptedException {
        dispatcher.dispatch(connection.rawRequest(key, version, body));
        return connection.awaitOutcome(ANSWER_TIMEOUT);
    }

    /** Dispatches a request built by hand, past the checks a client's builder makes, as a faulty client sends it. */
    Outcome dispatch(AbstractRequest request) throws InterruptedException {
        dispatcher.dispatch(connection.request(request, request.version()));
        return connection.awaitOutcome(ANSWER_TIMEOUT);
    }

    <R extends AbstractResponse> R send(AbstractRequest request, Class<R> responseType) throws InterruptedException {
        return answer(dispatch(request), responseType);
    }

    /** Dispatches {@code request} and returns its response, failing if the broker sent none. */
    <R extends AbstractResponse> R send(AbstractRequest.Builder<?> builder, Class<R> responseType)
            throws InterruptedException {
        return send(builder, builder.latestAllowedVersion(), responseType);
    }

    <R extends AbstractResponse> R send(AbstractRequest.Builder<?> builder, short version, Class<R> responseType)
            throws InterruptedException {
        return answer(dispatch(builder, version), responseType);
    }

    private static <R extends AbstractResponse> R answer(Outcome outcome, Class<R> responseType) {
        assertThat(outcome).isInstanceOf(Answered.class);
        return responseType.cast(((Answered) outcome).response());
    }

    /** Creates {@code name} through the controller and waits until this broker leads every partition. */
    void createTopic(String name, int partitions) {
        TopicResult result = controller.createTopics(List.of(NewTopic.of(name, partitions, (short) 1)), false)
                .get(0);
        assertThat(result.error().error()).as("creating " + name).isEqualTo(Errors.NONE);
        for (int p = 0; p < partitions; p++) {
            awaitLeader(new TopicPartition(name, p));
        }
    }

    void awaitLeader(TopicPartition tp) {
        await().atMost(ANSWER_TIMEOUT).until(() -> {
            Partition partition = replicaManager.partition(tp);
            return partition != null && partition.isLeader();
        });
    }

    BrokerConfig config() {
        return config;
    }

    /** Waits until this broker's transaction coordinator serves {@code transactionalId} (its partition is loaded). */
    void awaitTransactionCoordinator(String transactionalId) {
        assertThat(transactionCoordinator.coordinatorFor(transactionalId)).as("creates __transaction_state")
                .isNotNegative();
        await().atMost(ANSWER_TIMEOUT).until(() ->
                transactionCoordinator.coordinatorError(transactionalId) == Errors.NONE);
    }

    io.strata.broker.share.coordinator.ShareCoordinator shareCoordinator() {
        return shareCoordinator;
    }

    io.strata.broker.share.coordinator.ShareCoordinatorPersister sharePersister() {
        return sharePersister;
    }

    TransactionCoordinator transactionCoordinator() {
        return transactionCoordinator;
    }

    GroupCoordinator groupCoordinator() {
        return groupCoordinator;
    }

    LocalController controller() {
        return controller;
    }

    ReplicaManager replicaManager() {
        return replicaManager;
    }

    @Override
    public void close() {
        sharePersister.close();
        shareCoordinator.close();
        transactionCoordinator.close();
        groupCoordinator.close();
        fetchPurgatory.close();
        replicaFetchPurgatory.close();
        replicaManager.close();
        metadataStore.close();
    }
}
