package io.strata.broker.server;

import io.strata.broker.api.Apis;
import io.strata.broker.cluster.BrokerInfo;
import io.strata.broker.cluster.ClusterMembership;
import io.strata.broker.cluster.SingleBrokerMembership;
import io.strata.broker.config.BrokerConfig;
import io.strata.broker.config.Endpoint;
import io.strata.broker.delayed.FetchPurgatory;
import io.strata.broker.group.GroupCoordinator;
import io.strata.broker.group.ShareGroupConfig;
import io.strata.broker.group.TemporaryTopicCleaner;
import io.strata.broker.local.LocalStrata;
import io.strata.broker.local.Strata;
import com.hazelcast.core.HazelcastInstance;
import io.strata.broker.cluster.HazelcastCluster;
import io.strata.broker.metadata.ClusterController;
import io.strata.broker.metadata.ClusterMetadataStore;
import io.strata.broker.metadata.Controller;
import io.strata.broker.metadata.LocalController;
import io.strata.broker.metadata.MetadataStore;
import io.strata.broker.replication.ReplicaFetcherManager;
import io.strata.broker.replication.ReplicationSettings;
import io.strata.broker.metadata.LocalMetadataStore;
import io.strata.broker.metadata.MetadataImage;
import io.strata.broker.metadata.MetadataLog;
import io.strata.broker.network.RequestChannel;
import io.strata.broker.network.SocketServer;
import io.strata.broker.partition.Partition;
import io.strata.broker.partition.ReplicaManager;
import io.strata.broker.producer.ProducerIdManager;
import io.strata.broker.share.ShareGroupSettings;
import io.strata.broker.share.SharePartitionManager;
import io.strata.broker.share.SharePersister;
import io.strata.broker.share.ShareServing;
import io.strata.broker.share.coordinator.ShareCoordinator;
import io.strata.broker.share.coordinator.ShareCoordinatorPersister;
import io.strata.broker.share.deadletter.DeadLetterTopicWriter;
import io.strata.broker.share.deadletter.DeadLetterTopics;
import io.strata.broker.share.deadletter.ProducerSender;
import io.strata.broker.share.deadletter.SourceRecord;
import io.strata.broker.transaction.TransactionCoordinator;
import io.strata.storage.log.LogDirectory;
import org.apache.kafka.common.metrics.Metrics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * A Strata broker, built from plain Java parts: its log directories, the metadata log and controller, the replica
 * manager, the group coordinator, the request handlers and the listeners. The same broker starts from
 * {@link StrataServer}'s {@code main}, from tests and benchmarks, and (through a thin EJB shell) inside Payara.
 *
 * <p>Start-up order is storage first, listeners last, so that a client that can connect finds the broker ready;
 * shutdown is the reverse, ending with every log flushed and marked cleanly closed.
 *
 * <p>Thread-safe: start and close from one thread.
 */
public final class BrokerServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(BrokerServer.class.getName());
    private static final long NO_CONTROLLER_WARNING_MS = 30_000;
    /** How long the share persister waits before it asks again for a share coordinator that was not there. */
    private static final long SHARE_PERSISTER_RETRY_BACKOFF_MS = 100;
    /**
     * How long the share persister retries an operation whose coordinator is missing or moving, Kafka's
     * request.timeout.ms: long enough for a failed broker to be noticed and a new leader to load the state.
     */
    private static final long SHARE_PERSISTER_TIMEOUT_MS = 30_000;
    /** How long an admin request waits for the group coordinator's view of a share group. */
    private static final long SHARE_GROUP_LOOKUP_TIMEOUT_MS = 5_000;
    /** Share-state operations this broker's persister may have in flight at once. */
    private static final int SHARE_PERSISTER_OPERATIONS_MAX = 65_536;
    /** Records held by the dead-letter writer at most; more wait Archiving in their share partitions. */
    private static final int DEAD_LETTERS_PENDING_MAX = 10_000;
    private static final long DEAD_LETTER_RETRY_BACKOFF_MS = 100;
    private static final long DEAD_LETTER_RETRY_BACKOFF_MAX_MS = 5_000;

    private final BrokerConfig config;
    private final ThreadFactory threads;
    private final Clock clock;
    private final BrokerMetrics metrics = new BrokerMetrics();
    private final List<LogDirectory> logDirectories = new ArrayList<>();
    private final HazelcastInstance hazelcast;
    private MetadataStore metadataStore;
    private LocalController controllerLogic;
    private Controller controller;
    private ClusterMembership membership;
    private HazelcastCluster cluster;
    private ClusterController clusterController;
    private ReplicaFetcherManager fetchers;
    private FetchPurgatory replicaFetchPurgatory;
    private ExecutorService isrExecutor;
    private ReplicaManager replicaManager;
    private FetchPurgatory fetchPurgatory;
    private GroupCoordinator groupCoordinator;
    private TemporaryTopicCleaner temporaryTopicCleaner;
    private TransactionCoordinator transactionCoordinator;
    private ShareCoordinator shareCoordinator;
    private ShareCoordinatorPersister sharePersister;
    /** Whether a test replaced the share-group membership the offsets APIs consult. */
    private volatile boolean shareGroupMembershipSet;
    /** Whether a share group has members: the group coordinator's answer, unless a test says otherwise. */
    private volatile java.util.function.Predicate<String> shareGroupHasMembers = groupId -> false;
    /** The topic partitions a share group has state for or is subscribed to; none until told otherwise. */
    private volatile java.util.function.Function<String, java.util.Set<org.apache.kafka.common.TopicPartition>>
            shareGroupPartitions = groupId -> java.util.Set.of();
    private RequestChannel requestChannel;
    private RequestHandlerPool handlers;
    private SocketServer socketServer;
    private ScheduledThreadPoolExecutor background;
    private Metrics networkMetrics;
    private volatile boolean ready;
    private volatile boolean closed;
    private final java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
    private volatile String stoppedBecause;
    private LocalStrata local;
    /** Builds the share-state persister at start; null: ShareFetch and ShareAcknowledge are not served. */
    private java.util.function.Function<BrokerServer, SharePersister> sharePersisters;
    private java.util.function.Function<String, ShareGroupSettings> shareGroupSettings;
    private SharePartitionManager.ArchiveListener shareArchiveListener;
    private ShareServing shareServing;
    private DeadLetterTopicWriter deadLetterWriter;

    public BrokerServer(BrokerConfig config, ThreadFactory threads, Clock clock) {
        this(config, threads, clock, null);
    }

    /**
     * @param hazelcast the Hazelcast instance to cluster through when {@code cluster.join} is {@code payara} (the
     *                  server's own); {@code null} otherwise
     */
    public BrokerServer(BrokerConfig config, ThreadFactory threads, Clock clock, HazelcastInstance hazelcast) {
        this.config = config;
        this.threads = threads;
        this.clock = clock;
        this.hazelcast = hazelcast;
    }

    /**
     * Serves share consumers (ShareFetch, ShareAcknowledge) with the persister {@code persisters} builds at start,
     * and each group's settings from {@code settings} (null: the broker's {@code group.share.*} defaults for every
     * group). Without it the broker neither advertises nor serves those APIs: share-partition state must be stored
     * somewhere durable before a share consumer is told its acknowledgement counted. Call before {@link #start}.
     */
    public void serveShareGroups(java.util.function.Function<BrokerServer, SharePersister> persisters,
                                 java.util.function.Function<String, ShareGroupSettings> settings) {
        serveShareGroups(persisters, settings, null);
    }

    /**
     * As {@link #serveShareGroups(java.util.function.Function, java.util.function.Function)}, telling
     * {@code archived} of records given up on at the delivery count limit (the hook for a dead-letter topic; null:
     * they are logged).
     */
    public void serveShareGroups(java.util.function.Function<BrokerServer, SharePersister> persisters,
                                 java.util.function.Function<String, ShareGroupSettings> settings,
                                 SharePartitionManager.ArchiveListener archived) {
        this.sharePersisters = java.util.Objects.requireNonNull(persisters, "persisters");
        this.shareGroupSettings = settings;
        this.shareArchiveListener = archived;
    }

    /** Whether this broker is the controller: always in a cluster of one. */
    public boolean isController() {
        return clusterController == null || clusterController.isController();
    }

    public boolean isClustered() {
        return !config.clusterJoin.equals("none");
    }

    /**
     * Opens storage, loads metadata and committed offsets, and starts listening.
     *
     * @throws RuntimeException naming the cause (data directory unusable, port taken, node id mismatch, ...)
     */
    public void start() {
        long startNanos = System.nanoTime();
        try {
            for (Path dir : config.logDirs) {
                MetaProperties.checkOrCreate(dir, config.nodeId);
                logDirectories.add(LogDirectory.open(config.logDirectoryConfig(dir), tp -> defaultLogConfig(),
                        threads, clock));
            }
            LocalMetadataStore localStore = new LocalMetadataStore(MetadataLog.open(config.logDirs.get(0), threads,
                    clock));
            metadataStore = localStore;
            if (isClustered()) {
                startCluster(localStore);
            } else {
                membership = new SingleBrokerMembership(this::localBroker);
                controllerLogic = newControllerLogic(localStore);
                controllerLogic.ensureClusterId();
                controller = controllerLogic;
            }
            for (Path dir : config.logDirs) {
                MetaProperties.recordClusterId(dir, controller.image().clusterId());
            }
            replicaManager = new ReplicaManager(config.nodeId, logDirectories, controllerLogic::logConfig, clock);
            replicaManager.addLogDirectoryFailureListener((directory, allOffline) -> {
                if (allOffline) {
                    stopOnFailure("every log directory is offline (" + directory.offlineFailure()
                            .map(failure -> failure.describe()).orElse(directory.path().toString()) + ")");
                } else if (clusterController != null) {
                    reportOfflineReplicas(directory.partitions());
                }
            });
            if (clusterController != null) {
                fetchers = new ReplicaFetcherManager(config.nodeId, this::replicationEndpoint,
                        ReplicationSettings.of(config), threads);
                fetchers.attach(replicaManager);
                isrExecutor = Executors.newSingleThreadExecutor(runnable -> {
                    Thread thread = threads.newThread(runnable);
                    thread.setName("strata-isr-changes");
                    thread.setDaemon(true);
                    return thread;
                });
                ClusterController forIsr = clusterController;
                replicaManager.joinCluster(fetchers, changes -> forIsr.alterPartitions(changes).stream()
                        .map(org.apache.kafka.common.requests.ApiError::error).toList(), isrExecutor, cluster::isLive);
                HazelcastCluster members = cluster;
                int self = config.nodeId;
                replicaManager.leadOnlyWhen(image ->
                        members.localIncarnation().equals(image.incarnationOf(self)));
            }
            replicaManager.onMetadataUpdate(MetadataImage.EMPTY, controller.image());
            replicaManager.reportStrayLogs(controller.image());
            controller.addListener(replicaManager);
            for (LogDirectory directory : logDirectories) {
                directory.setHighWatermarks(tp -> {
                    Partition partition = replicaManager.partition(tp);
                    return partition == null ? 0 : partition.highWatermark();
                });
            }
            fetchPurgatory = new FetchPurgatory(threads);
            replicaFetchPurgatory = new FetchPurgatory(threads);
            replicaManager.addHighWatermarkListener(fetchPurgatory::onAppend);
            replicaManager.addAppendListener(replicaFetchPurgatory::onAppend);
            groupCoordinator = new GroupCoordinator(config, controller, replicaManager, threads, clock);
            groupCoordinator.startup(!isClustered());
            requestChannel = new RequestChannel(config.queuedMaxRequests);
            ProducerIdManager producerIds = new ProducerIdManager(controller::allocateProducerIds);
            transactionCoordinator = new TransactionCoordinator(config, controller, replicaManager,
                    producerIds::nextProducerId, this::replicationEndpoint, threads, clock);
            transactionCoordinator.startup(!isClustered());
            shareCoordinator = new ShareCoordinator(config, controller, replicaManager, threads, clock);
            shareCoordinator.startup(!isClustered());
            sharePersister = new ShareCoordinatorPersister(shareCoordinator, config.nodeId,
                    this::replicationEndpoint, threads, SHARE_PERSISTER_TIMEOUT_MS,
                    SHARE_PERSISTER_RETRY_BACKOFF_MS, config.shareCoordinatorWriteTimeoutMs * 2,
                    SHARE_PERSISTER_OPERATIONS_MAX);
            wireShareGroups();
            startShareServing();
            Apis apis = new Apis(config, requestChannel, controller, membership, replicaManager, fetchPurgatory,
                    replicaFetchPurgatory, groupCoordinator, producerIds, metrics, clock, transactionCoordinator,
                    new Apis.Shares(shareCoordinator, sharePersister,
                            groupId -> shareGroupHasMembers.test(groupId),
                            groupId -> shareGroupPartitions.apply(groupId), shareServing));
            handlers = new RequestHandlerPool(config.numIoThreads, requestChannel, apis.dispatcher(), threads);
            handlers.start();
            startBackgroundTasks();
            startTemporaryTopicCleaner();
            networkMetrics = new Metrics();
            socketServer = new SocketServer(config, requestChannel, threads, networkMetrics,
                    apis::apiVersionsResponse);
            socketServer.start();
            if (cluster != null) {
                // Last: other brokers see this one, and send it clients and followers, once it can serve them.
                cluster.register(localBroker());
            }
            local = new LocalStrata(config, controller, replicaManager, groupCoordinator, metrics, threads, clock);
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "Strata broker " + config.nodeId + " failed to start: " + e.getMessage());
            close();
            throw e;
        }
        ready = true;
        LOG.log(Level.INFO, "Strata broker {0} started in {1} ms: cluster {2}, listening on {3}, data in {4}",
                config.nodeId, (System.nanoTime() - startNanos) / 1_000_000, controller.image().clusterId(),
                socketServer.boundEndpoints(), config.logDirs);
    }

    /**
     * Joins the three sides of share groups: the group coordinator's membership and group configs, the share
     * coordinator's stored state (through {@link #sharePersister}), and the partition leaders' share partitions.
     * What a test set through {@link #serveShareGroups} or {@link #useShareGroupMembership} is kept.
     */
    private void wireShareGroups() {
        if (sharePersisters == null) {
            sharePersisters = server -> server.sharePersister;
        }
        if (shareGroupSettings == null) {
            shareGroupSettings = groupId -> {
                ShareGroupConfig group = groupCoordinator.shareGroupConfig(groupId);
                return new ShareGroupSettings(group.recordLockDurationMs(), group.deliveryCountLimit(),
                        group.autoOffsetReset(), group.isolationLevel(), group.deadLetterTopic(),
                        group.deadLetterCopyRecord());
            };
        }
        if (!shareGroupMembershipSet) {
            shareGroupHasMembers = groupId -> shareGroupListing(groupId)
                    .map(GroupCoordinator.ShareGroupListing::hasMembers).orElse(false);
            shareGroupPartitions = groupId -> shareGroupListing(groupId)
                    .map(listing -> partitionsOf(listing.statePartitions())).orElse(java.util.Set.of());
        }
        // A deleted group's state goes too, so that a group created again under its id starts afresh.
        groupCoordinator.onShareGroupDeleted((groupId, partitions) -> partitions.forEach((topicId, indexes) ->
                indexes.forEach(index -> sharePersister.delete(groupId, topicId, index).whenComplete(
                        (error, failure) -> {
                            if (failure != null || error != org.apache.kafka.common.protocol.Errors.NONE) {
                                LOG.log(Level.WARNING, "The share state of deleted group {0} on {1}-{2} was not"
                                        + " deleted: {3}", groupId, topicId, index, failure != null ? failure : error);
                            }
                        }))));
    }

    /**
     * The share group as its coordinator (this broker: the offsets APIs are sent to the group's coordinator) knows it.
     * The admin APIs that ask are rare, so the request thread waits for the coordinator's thread, a bounded while.
     */
    private java.util.Optional<GroupCoordinator.ShareGroupListing> shareGroupListing(String groupId) {
        try {
            return groupCoordinator.shareGroup(groupId).get(SHARE_GROUP_LOOKUP_TIMEOUT_MS,
                    java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw org.apache.kafka.common.protocol.Errors.COORDINATOR_NOT_AVAILABLE.exception();
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof org.apache.kafka.common.errors.ApiException api ? api
                    : org.apache.kafka.common.protocol.Errors.UNKNOWN_SERVER_ERROR.exception();
        } catch (java.util.concurrent.TimeoutException e) {
            throw org.apache.kafka.common.protocol.Errors.COORDINATOR_NOT_AVAILABLE.exception();
        }
    }

    /** The partitions, by topic name, of those given by topic id; a deleted topic's are left out. */
    private java.util.Set<org.apache.kafka.common.TopicPartition> partitionsOf(
            java.util.Map<org.apache.kafka.common.Uuid, java.util.Set<Integer>> byTopicId) {
        java.util.Set<org.apache.kafka.common.TopicPartition> partitions = new java.util.HashSet<>();
        byTopicId.forEach((topicId, indexes) -> {
            io.strata.broker.metadata.TopicImage topic = controller.image().topic(topicId);
            if (topic != null) {
                indexes.forEach(index -> partitions.add(new org.apache.kafka.common.TopicPartition(topic.name(),
                        index)));
            }
        });
        return partitions;
    }

    /** Builds what serves share consumers, and drops their share partitions as leadership moves away. */
    private void startShareServing() {
        SharePartitionManager.ArchiveListener archived = shareArchiveListener != null ? shareArchiveListener
                : (groupId, topicPartition, ranges) -> LOG.log(Level.INFO, "Share group {0} gave up on records {1}"
                        + " of {2}: delivered as often as its delivery count limit allows", groupId, ranges,
                        topicPartition);
        java.util.function.Function<String, ShareGroupSettings> settings = shareGroupSettings != null
                ? shareGroupSettings : ShareServing.brokerDefaults(config);
        deadLetterWriter = newDeadLetterWriter(settings);
        ShareServing serving = new ShareServing(config, sharePersisters.apply(this), replicaManager, settings,
                archived, deadLetterWriter, threads, clock);
        shareServing = serving;
        controller.addListener((previous, current) -> serving.onLeadershipChanged());
        replicaManager.addLogDirectoryFailureListener((directory, allOffline) -> serving.onLeadershipChanged());
        requestChannel.onConnectionClosed(serving::onConnectionClosed);
    }

    /**
     * The writer of share groups' dead-letter topics (KIP-1191): topics as the metadata has them, created through the
     * controller when the broker allows it, source records read from the local log, dead-letter records sent by an
     * idempotent producer at this broker's own listener.
     */
    private DeadLetterTopicWriter newDeadLetterWriter(java.util.function.Function<String, ShareGroupSettings> settings) {
        DeadLetterTopics topics = new DeadLetterTopics(name -> {
            io.strata.broker.metadata.TopicImage topic = controller.image().topic(name);
            return topic == null ? null : new DeadLetterTopics.TopicState(topic.partitionCount(),
                    Boolean.parseBoolean(topic.configs().getOrDefault(
                            io.strata.storage.config.LogConfig.ERRORS_DEADLETTERQUEUE_GROUP_ENABLE, "false").trim()));
        }, config.errorsDeadLetterQueueTopicNamePrefix, config.errorsDeadLetterQueueAutoCreateTopicsEnable);
        DeadLetterTopicWriter.TopicCreator creator = name -> {
            io.strata.broker.metadata.TopicResult created = controller.createTopics(List.of(
                    new io.strata.broker.metadata.NewTopic(name, -1, (short) -1, java.util.Map.of(), java.util.Map.of(
                            io.strata.storage.config.LogConfig.ERRORS_DEADLETTERQUEUE_GROUP_ENABLE, "true",
                            io.strata.storage.config.LogConfig.MESSAGE_TIMESTAMP_TYPE, "CreateTime"))), false).get(0);
            if (created.error().isFailure()) {
                throw created.error().exception();
            }
        };
        return new DeadLetterTopicWriter(settings, topics, creator, this::readSourceRecord,
                new ProducerSender(this::bootstrapServers, "strata-dead-letters-" + config.nodeId),
                DEAD_LETTERS_PENDING_MAX, DEAD_LETTER_RETRY_BACKOFF_MS, DEAD_LETTER_RETRY_BACKOFF_MAX_MS, threads,
                clock);
    }

    /** The record at {@code offset} of a partition in this broker's log, or null when the log no longer holds it. */
    private SourceRecord readSourceRecord(org.apache.kafka.common.TopicIdPartition topicPartition, long offset) {
        LocalStrata reader = local;
        if (reader == null) {
            throw new IllegalStateException("the broker is still starting");
        }
        List<io.strata.broker.local.StoredRecord> records;
        try {
            records = reader.read(topicPartition.topic(), topicPartition.partition(), offset, 1);
        } catch (org.apache.kafka.common.errors.OffsetOutOfRangeException e) {
            return null;
        }
        if (records.isEmpty() || records.get(0).offset() != offset) {
            return null;
        }
        io.strata.broker.local.StoredRecord record = records.get(0);
        return new SourceRecord(offset, record.timestamp(), record.key(), record.value(), record.headers());
    }

    /** The dead-letter writer of share groups, once started. */
    public DeadLetterTopicWriter deadLetterWriter() {
        return deadLetterWriter;
    }

    /** Joins the Hazelcast cluster, catches up with its metadata and starts standing for controller. */
    private void startCluster(LocalMetadataStore localStore) {
        cluster = hazelcast != null ? HazelcastCluster.over(hazelcast) : HazelcastCluster.start(config);
        ClusterMetadataStore shared = new ClusterMetadataStore(localStore, cluster.hazelcast(), threads,
                ClusterMetadataStore.CATCH_UP_INTERVAL_MS_DEFAULT);
        shared.start();
        metadataStore = shared;
        controllerLogic = newControllerLogic(shared);
        // The instance's own configuration says whether it has a CP Subsystem (Payara's may, whatever Strata's
        // settings say).
        int cpMembers = cluster.hazelcast().getConfig().getCPSubsystemConfig().getCPMemberCount();
        boolean cpSubsystem = cpMembers >= 3;
        clusterController = new ClusterController(controllerLogic, shared, cluster, config.nodeId, cpSubsystem,
                threads);
        controller = clusterController;
        membership = new ClusterMembership() {
            @Override
            public BrokerInfo local() {
                return localBroker();
            }

            @Override
            public List<BrokerInfo> liveBrokers() {
                return cluster.liveBrokers();
            }

            @Override
            public List<BrokerInfo> brokersForClients() {
                return cluster.brokersForClients();
            }

            @Override
            public int controllerId() {
                return clusterController.controllerId();
            }
        };
        clusterController.start();
        // Like a Kafka broker waiting for its controller quorum, it waits as long as it takes, and says why.
        long started = System.nanoTime();
        long nextWarning = started + TimeUnit.MILLISECONDS.toNanos(NO_CONTROLLER_WARNING_MS);
        while (controller.image().clusterId() == null) {
            if (closed) {
                throw new IllegalStateException("Stopped while waiting for a controller");
            }
            if (System.nanoTime() > nextWarning) {
                nextWarning += TimeUnit.MILLISECONDS.toNanos(NO_CONTROLLER_WARNING_MS);
                LOG.log(Level.WARNING, "Broker {0} has waited {1} s for a controller (cluster.join={2}, live brokers"
                        + " {3}){4}", config.nodeId, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started),
                        config.clusterJoin, cluster.liveBrokers().stream().map(BrokerInfo::id).sorted().toList(),
                        cpSubsystem ? "; with a CP Subsystem of " + cpMembers + " members the first election waits"
                                + " until " + cpMembers + " brokers have joined: start the others too" : "");
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while joining the cluster", e);
            }
        }
    }

    private LocalController newControllerLogic(MetadataStore store) {
        return new LocalController(store, () -> membership.liveBrokers().stream().map(BrokerInfo::id).toList(),
                config.topicDefaults(), config.numPartitions, config.defaultReplicationFactor,
                config.deleteTopicEnable);
    }

    /**
     * Where followers fetch from a live broker, and the broker's other inter-broker connections go: its endpoint of
     * {@code inter.broker.listener.name}, or {@code null}.
     */
    private Endpoint replicationEndpoint(int brokerId) {
        for (BrokerInfo broker : membership.liveBrokers()) {
            if (broker.id() == brokerId) {
                return broker.endpoint(config.interBrokerListenerName);
            }
        }
        return null;
    }

    private io.strata.storage.config.LogConfig defaultLogConfig() {
        return io.strata.storage.config.LogConfig.of(config.topicDefaults());
    }

    private BrokerInfo localBroker() {
        List<Endpoint> advertised = new ArrayList<>();
        for (Endpoint endpoint : config.advertisedListeners) {
            boolean unbound = endpoint.port() == 0 && socketServer != null;
            advertised.add(unbound ? endpoint.withPort(socketServer.boundPort(endpoint.listenerName())) : endpoint);
        }
        return new BrokerInfo(config.nodeId, advertised, null);
    }

    private void startBackgroundTasks() {
        background = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = threads.newThread(runnable);
            thread.setName("strata-broker-background");
            thread.setDaemon(true);
            return thread;
        });
        if (clusterController != null) {
            long isrCheckMs = Math.max(100, config.replicaLagTimeMaxMs / 2);
            background.scheduleWithFixedDelay(() -> replicaManager.shrinkIsrs(config.replicaLagTimeMaxMs),
                    isrCheckMs, isrCheckMs, TimeUnit.MILLISECONDS);
        }
        long expiryCheckMs = Math.min(600_000L, config.producerIdExpirationMs);
        background.scheduleWithFixedDelay(() -> replicaManager.expireProducers(clock.millis(),
                config.producerIdExpirationMs), expiryCheckMs, expiryCheckMs, TimeUnit.MILLISECONDS);
    }

    /** Deletes the temporary topics of JMS connections that are gone, unless topics may not be deleted at all. */
    private void startTemporaryTopicCleaner() {
        if (!config.deleteTopicEnable) {
            LOG.log(Level.INFO, "Temporary topics of JMS connections that ended without closing are not deleted:"
                    + " delete.topic.enable is false");
            return;
        }
        temporaryTopicCleaner = new TemporaryTopicCleaner(groupCoordinator, controller, clock,
                config.temporaryTopicCleanupIntervalMs, config.groupConsumerSessionTimeoutMs, threads);
        temporaryTopicCleaner.start();
    }

    public boolean isReady() {
        return ready;
    }

    /**
     * Whether the controller has acknowledged this run of the broker, so that it leads what the metadata gives it; a
     * restarted broker leads nothing until then. Always true for a broker on its own.
     */
    public boolean isAcknowledgedByController() {
        ReplicaManager replicas = replicaManager;
        return replicas == null || replicas.mayLead();
    }

    /** The cluster's controller logic on this broker, or null for a broker on its own. */
    public ClusterController clusterController() {
        return clusterController;
    }

    /**
     * Whether this broker counts toward the quorum that elects the controller: with the CP Subsystem only once it is
     * in every CP group (a restarted broker is promoted again first); always without it.
     */

    public boolean inControllerQuorum() {
        return clusterController == null || clusterController.inControllerQuorum();
    }

    /** The native API over this broker, for code in the same JVM. */
    public Strata local() {
        if (local == null) {
            throw new IllegalStateException("The broker is not started");
        }
        return local;
    }

    public BrokerConfig config() {
        return config;
    }

    public Controller controller() {
        return controller;
    }

    /** The controller's checks and topic settings, which every broker has. */
    public LocalController controllerLogic() {
        return controllerLogic;
    }

    /** This broker's view of the cluster, or {@code null} for a cluster of one. */
    public HazelcastCluster cluster() {
        return cluster;
    }

    public ClusterMembership membership() {
        return membership;
    }

    public ReplicaManager replicaManager() {
        return replicaManager;
    }

    /** The share coordinator, which keeps share-partition state in {@code __share_group_state}. */
    public ShareCoordinator shareCoordinator() {
        return shareCoordinator;
    }

    /**
     * Tells the share-group offsets APIs what the share-group membership knows: whether a group has members (its
     * offsets may then not be altered or deleted) and which topic partitions it has state for or is subscribed to
     * (what DescribeShareGroupOffsets without topics describes). May be called at any time, before or after start.
     */
    public void useShareGroupMembership(java.util.function.Predicate<String> hasMembers,
                                        java.util.function.Function<String,
                                                java.util.Set<org.apache.kafka.common.TopicPartition>> partitions) {
        shareGroupHasMembers = java.util.Objects.requireNonNull(hasMembers);
        shareGroupPartitions = java.util.Objects.requireNonNull(partitions);
        shareGroupMembershipSet = true;
    }

    /** Where the leaders of topic partitions keep their share partitions' state. */
    public ShareCoordinatorPersister sharePersister() {
        return sharePersister;
    }

    public TransactionCoordinator transactionCoordinator() {
        return transactionCoordinator;
    }

    /** What serves share consumers, or null when the broker was built without a share-state persister. */
    public ShareServing shareServing() {
        return shareServing;
    }

    public GroupCoordinator groupCoordinator() {
        return groupCoordinator;
    }

    public BrokerMetrics metrics() {
        return metrics;
    }

    public RequestChannel requestChannel() {
        return requestChannel;
    }

    /** The port a listener is bound to: the configured one, or the one the OS gave for port 0. */
    public int boundPort(String listenerName) {
        return socketServer.boundPort(listenerName);
    }

    /**
     * {@code host:port} of the inter-broker listener as advertised, for the {@code bootstrap.servers} of the broker's
     * own clients (and tests'): it is PLAINTEXT, so they need no credentials.
     */
    public String bootstrapServers() {
        Endpoint endpoint = localBroker().endpoint(config.interBrokerListenerName);
        return endpoint.host() + ":" + endpoint.port();
    }

    /** Stops listening, finishes waiting requests, and closes storage cleanly. Safe to call more than once. */
    @Override
    public synchronized void close() {
        if (closed && stopped.getCount() == 0) {
            return;
        }
        closed = true;
        ready = false;
        if (cluster != null) {
            try {
                cluster.deregister(config.nodeId);
            } catch (RuntimeException e) {
                LOG.log(Level.DEBUG, "Leaving the cluster registry failed: {0}", e.toString());
            }
        }
        if (fetchers != null) {
            fetchers.close();
            fetchers = null;
        }
        if (deadLetterWriter != null) {
            // Before the listener closes: its producer sends through it. What it holds stays Archiving.
            deadLetterWriter.close();
        }
        if (socketServer != null) {
            socketServer.close();
            socketServer = null;
        }
        if (handlers != null) {
            handlers.close();
            handlers = null;
        }
        if (temporaryTopicCleaner != null) {
            temporaryTopicCleaner.close();
            temporaryTopicCleaner = null;
        }
        if (background != null) {
            stopWithoutInterrupting(background, "background");
            background = null;
        }
        if (shareServing != null) {
            shareServing.close();
            shareServing = null;
        }
        if (fetchPurgatory != null) {
            fetchPurgatory.close();
            fetchPurgatory = null;
        }
        if (replicaFetchPurgatory != null) {
            replicaFetchPurgatory.close();
            replicaFetchPurgatory = null;
        }
        if (isrExecutor != null) {
            stopWithoutInterrupting(isrExecutor, "ISR change");
            isrExecutor = null;
        }
        if (sharePersister != null) {
            sharePersister.close();
            sharePersister = null;
        }
        if (shareCoordinator != null) {
            shareCoordinator.close();
            shareCoordinator = null;
        }
        if (transactionCoordinator != null) {
            transactionCoordinator.close();
            transactionCoordinator = null;
        }
        if (groupCoordinator != null) {
            groupCoordinator.close();
            groupCoordinator = null;
        }
        if (replicaManager != null) {
            replicaManager.close();
            replicaManager = null;
        } else {
            for (LogDirectory directory : logDirectories) {
                directory.close();
            }
        }
        logDirectories.clear();
        if (clusterController != null) {
            clusterController.close();
            clusterController = null;
        }
        if (metadataStore != null) {
            metadataStore.close();
            metadataStore = null;
        }
        if (cluster != null) {
            cluster.close();
            cluster = null;
        }
        if (networkMetrics != null) {
            networkMetrics.close();
            networkMetrics = null;
        }
        LOG.log(Level.INFO, "Strata broker {0} stopped", config.nodeId);
        stopped.countDown();
    }

    /**
     * Stops the broker because it can no longer serve (as Kafka halts a broker whose every log directory failed): it
     * leaves the cluster, whose controller moves its partitions to other replicas. Runs the stop on its own thread.
     */
    private void stopOnFailure(String reason) {
        if (closed) {
            return;
        }
        stoppedBecause = reason;
        LOG.log(Level.ERROR, "Stopping Strata broker {0}: {1}", config.nodeId, reason);
        Thread stopper = threads.newThread(this::close);
        stopper.setName("strata-stop-on-failure");
        stopper.start();
    }

    /**
     * Tells the controller that this broker's replicas of {@code partitions} can no longer serve (their log directory
     * failed), so that it moves their leadership to other in-sync replicas; retried every second while there is no
     * controller to tell, until it is told or the broker stops.
     */
    private void reportOfflineReplicas(List<org.apache.kafka.common.TopicPartition> partitions) {
        ScheduledThreadPoolExecutor executor = background;
        ClusterController controllerNow = clusterController;
        if (executor == null || controllerNow == null || closed || partitions.isEmpty()) {
            return;
        }
        try {
            executor.execute(() -> {
                try {
                    int changed = controllerNow.replicasOffline(config.nodeId, partitions);
                    LOG.log(Level.WARNING, "Reported {0} replica(s) of broker {1} offline to the controller; {2}"
                            + " partition(s) changed leader or ISR", partitions.size(), config.nodeId, changed);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "Reporting offline replicas to the controller failed; trying again in"
                            + " 1 s: {0}", e.toString());
                    if (!closed) {
                        executor.schedule(() -> reportOfflineReplicas(partitions), 1, TimeUnit.SECONDS);
                    }
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // Stopping.
        }
    }

    /** Waits until the broker has stopped, by {@link #close()} or because it could no longer serve. */
    /**
     * Stops an executor after its running task: an interrupt while a task writes a log (producer snapshots, the
     * metadata log) would close the log's file channel and take its directory offline. Tasks not yet started are
     * dropped.
     */
    private static void stopWithoutInterrupting(java.util.concurrent.ExecutorService executor, String name) {
        executor.shutdown();
        if (executor instanceof ScheduledThreadPoolExecutor scheduled) {
            scheduled.getQueue().clear();
        }
        try {
            if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.log(Level.WARNING, "The broker''s {0} task did not end within 30 s of stopping", name);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    /** Why the broker stopped by itself, or {@code null} if it did not. */
    public String stoppedBecause() {
        return stoppedBecause;
    }

    static UncheckedIOException unchecked(String message, IOException e) {
        return new UncheckedIOException(message + ": " + e.getMessage(), e);
    }
}
