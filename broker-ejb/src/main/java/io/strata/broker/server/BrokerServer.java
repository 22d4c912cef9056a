package io.strata.broker.server;

import io.strata.broker.api.Apis;
import io.strata.broker.cluster.BrokerInfo;
import io.strata.broker.cluster.ClusterMembership;
import io.strata.broker.cluster.SingleBrokerMembership;
import io.strata.broker.config.BrokerConfig;
import io.strata.broker.config.Endpoint;
import io.strata.broker.delayed.FetchPurgatory;
import io.strata.broker.group.GroupCoordinator;
import io.strata.broker.local.LocalStrata;
import io.strata.broker.local.Strata;
import io.strata.broker.metadata.LocalController;
import io.strata.broker.metadata.LocalMetadataStore;
import io.strata.broker.metadata.MetadataImage;
import io.strata.broker.metadata.MetadataLog;
import io.strata.broker.network.RequestChannel;
import io.strata.broker.network.SocketServer;
import io.strata.broker.partition.Partition;
import io.strata.broker.partition.ReplicaManager;
import io.strata.broker.producer.ProducerIdManager;
import io.strata.storage.log.LogDirectory;
import org.apache.kafka.common.metrics.Metrics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
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

    private final BrokerConfig config;
    private final ThreadFactory threads;
    private final Clock clock;
    private final BrokerMetrics metrics = new BrokerMetrics();
    private final List<LogDirectory> logDirectories = new ArrayList<>();
    private LocalMetadataStore metadataStore;
    private LocalController controller;
    private ClusterMembership membership;
    private ReplicaManager replicaManager;
    private FetchPurgatory fetchPurgatory;
    private GroupCoordinator groupCoordinator;
    private RequestChannel requestChannel;
    private RequestHandlerPool handlers;
    private SocketServer socketServer;
    private ScheduledThreadPoolExecutor background;
    private Metrics networkMetrics;
    private volatile boolean ready;
    private LocalStrata local;

    public BrokerServer(BrokerConfig config, ThreadFactory threads, Clock clock) {
        this.config = config;
        this.threads = threads;
        this.clock = clock;
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
            metadataStore = new LocalMetadataStore(MetadataLog.open(config.logDirs.get(0), threads, clock));
            membership = new SingleBrokerMembership(this::localBroker);
            controller = new LocalController(metadataStore,
                    () -> membership.liveBrokers().stream().map(BrokerInfo::id).toList(), config.topicDefaults(),
                    config.numPartitions, config.defaultReplicationFactor, config.deleteTopicEnable);
            controller.ensureClusterId();
            for (Path dir : config.logDirs) {
                MetaProperties.recordClusterId(dir, controller.image().clusterId());
            }
            replicaManager = new ReplicaManager(config.nodeId, logDirectories, controller::logConfig);
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
            replicaManager.addAppendListener(fetchPurgatory::onAppend);
            groupCoordinator = new GroupCoordinator(config, controller, replicaManager, threads, clock);
            groupCoordinator.startup();
            requestChannel = new RequestChannel(config.queuedMaxRequests);
            ProducerIdManager producerIds = new ProducerIdManager(controller::allocateProducerIds);
            Apis apis = new Apis(config, requestChannel, controller, membership, replicaManager, fetchPurgatory,
                    groupCoordinator, producerIds, metrics);
            handlers = new RequestHandlerPool(config.numIoThreads, requestChannel, apis.dispatcher(), threads);
            handlers.start();
            startBackgroundTasks();
            networkMetrics = new Metrics();
            socketServer = new SocketServer(config, requestChannel, threads, networkMetrics);
            socketServer.start();
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
        long expiryCheckMs = Math.min(600_000L, config.producerIdExpirationMs);
        background.scheduleWithFixedDelay(() -> replicaManager.expireProducers(clock.millis(),
                config.producerIdExpirationMs), expiryCheckMs, expiryCheckMs, TimeUnit.MILLISECONDS);
    }

    public boolean isReady() {
        return ready;
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

    public LocalController controller() {
        return controller;
    }

    public ReplicaManager replicaManager() {
        return replicaManager;
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

    /** {@code host:port} of the first listener as advertised, for a client's {@code bootstrap.servers}. */
    public String bootstrapServers() {
        Endpoint endpoint = localBroker().endpoints().get(0);
        return endpoint.host() + ":" + endpoint.port();
    }

    /** Stops listening, finishes waiting requests, and closes storage cleanly. Safe to call more than once. */
    @Override
    public void close() {
        ready = false;
        if (socketServer != null) {
            socketServer.close();
            socketServer = null;
        }
        if (handlers != null) {
            handlers.close();
            handlers = null;
        }
        if (background != null) {
            background.shutdownNow();
            background = null;
        }
        if (fetchPurgatory != null) {
            fetchPurgatory.close();
            fetchPurgatory = null;
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
        if (metadataStore != null) {
            metadataStore.close();
            metadataStore = null;
        }
        if (networkMetrics != null) {
            networkMetrics.close();
            networkMetrics = null;
        }
        LOG.log(Level.INFO, "Strata broker {0} stopped", config.nodeId);
    }

    static UncheckedIOException unchecked(String message, IOException e) {
        return new UncheckedIOException(message + ": " + e.getMessage(), e);
    }
}
