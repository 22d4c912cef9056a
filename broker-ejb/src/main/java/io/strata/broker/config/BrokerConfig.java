package io.strata.broker.config;

import io.strata.storage.config.LogConfig;
import io.strata.storage.config.LogDirectoryConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.security.auth.SecurityProtocol;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The broker's settings, under Kafka's broker setting names and with Kafka's defaults wherever Kafka has one.
 * Defaults for topics are given under the broker names Kafka uses ({@code log.retention.ms},
 * {@code log.segment.bytes}, {@code message.max.bytes}, ...) and turned into topic settings by
 * {@link #topicDefaults()}. Settings of the log directories ({@link LogDirectoryConfig}) are accepted here too.
 *
 * <p>Immutable; thread-safe.
 */
public final class BrokerConfig {

    public static final String NODE_ID = "node.id";
    public static final String LISTENERS = "listeners";
    public static final String ADVERTISED_LISTENERS = "advertised.listeners";
    public static final String LISTENER_SECURITY_PROTOCOL_MAP = "listener.security.protocol.map";
    public static final String INTER_BROKER_LISTENER_NAME = "inter.broker.listener.name";
    public static final String SASL_ENABLED_MECHANISMS = "sasl.enabled.mechanisms";
    /** Strata's default JAAS configuration of SASL listeners, for those without a listener-prefixed one. */
    public static final String SASL_JAAS_CONFIG = "sasl.jaas.config";
    public static final String CONNECTION_FAILED_AUTHENTICATION_DELAY_MS = "connection.failed.authentication.delay.ms";
    /** The prefix of a listener's own settings, {@code listener.name.<listener, lower case>.<setting>}. */
    public static final String LISTENER_PREFIX = "listener.name.";
    public static final String LOG_DIRS = "log.dirs";
    public static final String NUM_PARTITIONS = "num.partitions";
    public static final String DEFAULT_REPLICATION_FACTOR = "default.replication.factor";
    public static final String AUTO_CREATE_TOPICS_ENABLE = "auto.create.topics.enable";
    public static final String DELETE_TOPIC_ENABLE = "delete.topic.enable";
    /** KIP-1191: the prefix every share group's dead-letter topic name must have. */
    public static final String ERRORS_DEADLETTERQUEUE_TOPIC_NAME_PREFIX = "errors.deadletterqueue.topic.name.prefix";
    /** KIP-1191: whether a share group's dead-letter topic is created when it does not exist. */
    public static final String ERRORS_DEADLETTERQUEUE_AUTO_CREATE_TOPICS_ENABLE =
            "errors.deadletterqueue.auto.create.topics.enable";
    public static final String SOCKET_REQUEST_MAX_BYTES = "socket.request.max.bytes";
    public static final String SOCKET_SEND_BUFFER_BYTES = "socket.send.buffer.bytes";
    public static final String SOCKET_RECEIVE_BUFFER_BYTES = "socket.receive.buffer.bytes";
    public static final String NUM_NETWORK_THREADS = "num.network.threads";
    public static final String NUM_IO_THREADS = "num.io.threads";
    public static final String QUEUED_MAX_REQUESTS = "queued.max.requests";
    public static final String QUEUED_MAX_REQUEST_BYTES = "queued.max.request.bytes";
    public static final String CONNECTIONS_MAX_IDLE_MS = "connections.max.idle.ms";
    public static final String MAX_CONNECTIONS = "max.connections";
    public static final String OFFSETS_TOPIC_NUM_PARTITIONS = "offsets.topic.num.partitions";
    public static final String OFFSETS_TOPIC_REPLICATION_FACTOR = "offsets.topic.replication.factor";
    public static final String OFFSETS_TOPIC_SEGMENT_BYTES = "offsets.topic.segment.bytes";
    public static final String OFFSETS_RETENTION_MINUTES = "offsets.retention.minutes";
    public static final String OFFSETS_RETENTION_CHECK_INTERVAL_MS = "offsets.retention.check.interval.ms";
    public static final String OFFSET_METADATA_MAX_BYTES = "offset.metadata.max.bytes";
    public static final String GROUP_INITIAL_REBALANCE_DELAY_MS = "group.initial.rebalance.delay.ms";
    public static final String GROUP_MIN_SESSION_TIMEOUT_MS = "group.min.session.timeout.ms";
    public static final String GROUP_MAX_SESSION_TIMEOUT_MS = "group.max.session.timeout.ms";
    public static final String GROUP_MAX_SIZE = "group.max.size";
    public static final String GROUP_CONSUMER_SESSION_TIMEOUT_MS = "group.consumer.session.timeout.ms";
    public static final String GROUP_CONSUMER_MIN_SESSION_TIMEOUT_MS = "group.consumer.min.session.timeout.ms";
    public static final String GROUP_CONSUMER_MAX_SESSION_TIMEOUT_MS = "group.consumer.max.session.timeout.ms";
    public static final String GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS = "group.consumer.heartbeat.interval.ms";
    public static final String GROUP_CONSUMER_MIN_HEARTBEAT_INTERVAL_MS = "group.consumer.min.heartbeat.interval.ms";
    public static final String GROUP_CONSUMER_MAX_HEARTBEAT_INTERVAL_MS = "group.consumer.max.heartbeat.interval.ms";
    public static final String GROUP_CONSUMER_MAX_SIZE = "group.consumer.max.size";
    public static final String GROUP_CONSUMER_ASSIGNORS = "group.consumer.assignors";
    public static final String GROUP_CONSUMER_MIGRATION_POLICY = "group.consumer.migration.policy";
    public static final String GROUP_SHARE_SESSION_TIMEOUT_MS = "group.share.session.timeout.ms";
    public static final String GROUP_SHARE_MIN_SESSION_TIMEOUT_MS = "group.share.min.session.timeout.ms";
    public static final String GROUP_SHARE_MAX_SESSION_TIMEOUT_MS = "group.share.max.session.timeout.ms";
    public static final String GROUP_SHARE_HEARTBEAT_INTERVAL_MS = "group.share.heartbeat.interval.ms";
    public static final String GROUP_SHARE_MIN_HEARTBEAT_INTERVAL_MS = "group.share.min.heartbeat.interval.ms";
    public static final String GROUP_SHARE_MAX_HEARTBEAT_INTERVAL_MS = "group.share.max.heartbeat.interval.ms";
    public static final String GROUP_SHARE_MAX_SIZE = "group.share.max.size";
    public static final String GROUP_SHARE_RECORD_LOCK_DURATION_MS = "group.share.record.lock.duration.ms";
    public static final String GROUP_SHARE_MIN_RECORD_LOCK_DURATION_MS = "group.share.min.record.lock.duration.ms";
    public static final String GROUP_SHARE_MAX_RECORD_LOCK_DURATION_MS = "group.share.max.record.lock.duration.ms";
    public static final String GROUP_SHARE_DELIVERY_COUNT_LIMIT = "group.share.delivery.count.limit";
    public static final String GROUP_SHARE_MIN_DELIVERY_COUNT_LIMIT = "group.share.min.delivery.count.limit";
    public static final String GROUP_SHARE_MAX_DELIVERY_COUNT_LIMIT = "group.share.max.delivery.count.limit";
    public static final String GROUP_SHARE_PARTITION_MAX_RECORD_LOCKS = "group.share.partition.max.record.locks";
    public static final String GROUP_SHARE_MAX_SHARE_SESSIONS = "group.share.max.share.sessions";
    public static final String PRODUCER_ID_EXPIRATION_MS = "producer.id.expiration.ms";
    public static final String LOG_RETENTION_HOURS = "log.retention.hours";
    public static final String LOG_RETENTION_MINUTES = "log.retention.minutes";
    public static final String LOG_RETENTION_MS = "log.retention.ms";
    public static final String LOG_ROLL_HOURS = "log.roll.hours";
    public static final String LOG_ROLL_MS = "log.roll.ms";
    public static final String OFFSET_COMMIT_TIMEOUT_MS = "offsets.commit.timeout.ms";
    public static final String TRANSACTION_STATE_LOG_NUM_PARTITIONS = "transaction.state.log.num.partitions";
    public static final String TRANSACTION_STATE_LOG_REPLICATION_FACTOR = "transaction.state.log.replication.factor";
    public static final String TRANSACTION_STATE_LOG_MIN_ISR = "transaction.state.log.min.isr";
    public static final String TRANSACTION_STATE_LOG_SEGMENT_BYTES = "transaction.state.log.segment.bytes";
    public static final String TRANSACTION_MAX_TIMEOUT_MS = "transaction.max.timeout.ms";
    public static final String SHARE_STATE_TOPIC_NUM_PARTITIONS = "share.coordinator.state.topic.num.partitions";
    public static final String SHARE_STATE_TOPIC_REPLICATION_FACTOR =
            "share.coordinator.state.topic.replication.factor";
    public static final String SHARE_STATE_TOPIC_MIN_ISR = "share.coordinator.state.topic.min.isr";
    public static final String SHARE_STATE_TOPIC_SEGMENT_BYTES = "share.coordinator.state.topic.segment.bytes";
    public static final String SHARE_SNAPSHOT_UPDATE_RECORDS_PER_SNAPSHOT =
            "share.coordinator.snapshot.update.records.per.snapshot";
    public static final String SHARE_COORDINATOR_WRITE_TIMEOUT_MS = "share.coordinator.write.timeout.ms";
    public static final String SHARE_STATE_TOPIC_PRUNE_INTERVAL_MS = "share.coordinator.state.topic.prune.interval.ms";
    public static final String TEMPORARY_TOPIC_CLEANUP_INTERVAL_MS = "temporary.topic.cleanup.interval.ms";
    public static final String TRANSACTIONAL_ID_EXPIRATION_MS = "transactional.id.expiration.ms";
    public static final String TRANSACTION_PARTITION_VERIFICATION_ENABLE = "transaction.partition.verification.enable";
    public static final String TRANSACTION_ABORT_TIMED_OUT_CLEANUP_INTERVAL_MS =
            "transaction.abort.timed.out.transaction.cleanup.interval.ms";
    public static final String TRANSACTION_REMOVE_EXPIRED_CLEANUP_INTERVAL_MS =
            "transaction.remove.expired.transaction.cleanup.interval.ms";
    public static final String CLUSTER_JOIN = "cluster.join";
    public static final String CLUSTER_NAME = "cluster.name";
    public static final String CLUSTER_PORT = "cluster.port";
    public static final String CLUSTER_HOST = "cluster.host";
    public static final String CLUSTER_ADVERTISED_ADDRESS = "cluster.advertised.address";
    public static final String CLUSTER_CP_MEMBER_COUNT = "cluster.cp.member.count";
    public static final String CLUSTER_JOIN_TIMEOUT_MS = "cluster.join.timeout.ms";
    public static final String CLUSTER_SHUTDOWN_TIMEOUT_MS = "cluster.shutdown.timeout.ms";
    public static final String BROKER_SESSION_TIMEOUT_MS = "broker.session.timeout.ms";
    public static final String REPLICA_LAG_TIME_MAX_MS = "replica.lag.time.max.ms";
    public static final String REPLICA_FETCH_MAX_BYTES = "replica.fetch.max.bytes";
    public static final String REPLICA_FETCH_RESPONSE_MAX_BYTES = "replica.fetch.response.max.bytes";
    public static final String REPLICA_FETCH_WAIT_MAX_MS = "replica.fetch.wait.max.ms";
    public static final String REPLICA_FETCH_BACKOFF_MS = "replica.fetch.backoff.ms";
    public static final String REPLICA_SOCKET_TIMEOUT_MS = "replica.socket.timeout.ms";

    /** Broker names of topic settings, as Kafka spells them, and the topic setting each one defaults. */
    private static final Map<String, String> TOPIC_SYNONYMS = topicSynonyms();

    private static final ConfigDef DEFINITION = definitionWithTopicSynonyms();

    private final Map<String, Object> values;
    private final Map<String, Object> originals;

    public final int nodeId;
    public final List<Endpoint> listeners;
    public final List<Endpoint> advertisedListeners;
    /** Each listener name's security protocol ({@code listener.security.protocol.map}). */
    public final Map<String, SecurityProtocol> listenerSecurityProtocolMap;
    /**
     * The listener brokers reach each other on (replication, transaction markers, share state, the broker's own
     * clients): {@code inter.broker.listener.name}, by default the first PLAINTEXT listener. Always PLAINTEXT until
     * issue 19 gives the broker's own connections credentials.
     */
    public final String interBrokerListenerName;
    public final int connectionFailedAuthenticationDelayMs;
    /** The {@code listener.name.*} settings as given, by their full names. */
    private final Map<String, Object> listenerSettings;
    public final List<Path> logDirs;
    public final int numPartitions;
    public final short defaultReplicationFactor;
    public final boolean autoCreateTopicsEnable;
    public final boolean deleteTopicEnable;
    public final String errorsDeadLetterQueueTopicNamePrefix;
    public final boolean errorsDeadLetterQueueAutoCreateTopicsEnable;
    public final int socketRequestMaxBytes;
    public final int socketSendBufferBytes;
    public final int socketReceiveBufferBytes;
    public final int numNetworkThreads;
    public final int numIoThreads;
    public final int queuedMaxRequests;
    public final long queuedMaxRequestBytes;
    public final long connectionsMaxIdleMs;
    public final int maxConnections;
    public final int offsetsTopicNumPartitions;
    public final short offsetsTopicReplicationFactor;
    public final int offsetsTopicSegmentBytes;
    public final long offsetsRetentionMs;
    public final long offsetsRetentionCheckIntervalMs;
    public final int offsetMetadataMaxBytes;
    public final int groupInitialRebalanceDelayMs;
    public final int groupMinSessionTimeoutMs;
    public final int groupMaxSessionTimeoutMs;
    public final int groupMaxSize;
    public final int groupConsumerSessionTimeoutMs;
    public final int groupConsumerHeartbeatIntervalMs;
    public final int groupConsumerMaxSize;
    /** The server assignors consumer-protocol groups may use, the first by default: {@code uniform}, {@code range}. */
    public final List<String> groupConsumerAssignors;
    /** {@code disabled}, {@code upgrade}, {@code downgrade} or {@code bidirectional}. */
    public final String groupConsumerMigrationPolicy;
    public final int groupShareSessionTimeoutMs;
    public final int groupShareMinSessionTimeoutMs;
    public final int groupShareMaxSessionTimeoutMs;
    public final int groupShareHeartbeatIntervalMs;
    public final int groupShareMinHeartbeatIntervalMs;
    public final int groupShareMaxHeartbeatIntervalMs;
    public final int groupShareMaxSize;
    public final int groupShareRecordLockDurationMs;
    public final int groupShareMinRecordLockDurationMs;
    public final int groupShareMaxRecordLockDurationMs;
    public final int groupShareDeliveryCountLimit;
    public final int groupShareMinDeliveryCountLimit;
    public final int groupShareMaxDeliveryCountLimit;
    /** The in-flight offsets one share partition tracks at most: bounds its memory. */
    public final int groupSharePartitionMaxRecordLocks;
    /** Share sessions this broker keeps at most. */
    public final int groupShareMaxShareSessions;
    public final long producerIdExpirationMs;
    public final int offsetCommitTimeoutMs;
    public final int transactionStateLogNumPartitions;
    public final short transactionStateLogReplicationFactor;
    public final int transactionStateLogMinIsr;
    public final int transactionStateLogSegmentBytes;
    public final int transactionMaxTimeoutMs;
    public final int shareStateTopicNumPartitions;
    public final short shareStateTopicReplicationFactor;
    public final int shareStateTopicMinIsr;
    public final int shareStateTopicSegmentBytes;
    public final int shareSnapshotUpdateRecordsPerSnapshot;
    public final int shareCoordinatorWriteTimeoutMs;
    public final long shareStateTopicPruneIntervalMs;
    public final long temporaryTopicCleanupIntervalMs;
    public final long transactionalIdExpirationMs;
    public final boolean transactionPartitionVerificationEnable;
    public final long transactionAbortTimedOutCleanupIntervalMs;
    public final long transactionRemoveExpiredCleanupIntervalMs;
    public final String clusterJoin;
    public final String clusterName;
    public final int clusterPort;
    /** The address cluster traffic binds to and leaves from; empty: as the system picks. */
    public final String clusterHost;
    /** {@code host:port} other members reach this one's Hazelcast member at; empty: its own address. */
    public final String clusterAdvertisedAddress;
    public final int clusterCpMemberCount;
    /** How long a starting tcpip member looks for a running cluster before forming one; whole seconds. */
    public final int clusterJoinTimeoutMs;
    /** How long a stopping member waits for its graceful leave (data handed over, CP Subsystem left); whole seconds. */
    public final int clusterShutdownTimeoutMs;
    public final int brokerSessionTimeoutMs;
    public final long replicaLagTimeMaxMs;
    public final int replicaFetchMaxBytes;
    public final int replicaFetchResponseMaxBytes;
    public final int replicaFetchWaitMaxMs;
    public final int replicaFetchBackoffMs;
    public final int replicaSocketTimeoutMs;

    private BrokerConfig(Map<?, ?> settings) {
        Map<String, Object> known = new HashMap<>();
        Map<String, Object> prefixed = new HashMap<>();
        for (Map.Entry<?, ?> entry : settings.entrySet()) {
            String name = String.valueOf(entry.getKey());
            if (DEFINITION.names().contains(name) || LogDirectoryConfig.definition().names().contains(name)) {
                known.put(name, entry.getValue());
            } else if (isListenerSetting(name)) {
                prefixed.put(name, entry.getValue());
            }
        }
        this.listenerSettings = Map.copyOf(prefixed);
        this.originals = Collections.unmodifiableMap(new LinkedHashMap<>(known));
        Map<String, Object> ownSettings = new HashMap<>(known);
        ownSettings.keySet().retainAll(DEFINITION.names());
        this.values = Collections.unmodifiableMap(DEFINITION.parse(ownSettings));
        this.nodeId = (Integer) values.get(NODE_ID);
        this.listenerSecurityProtocolMap = Endpoint.parseProtocolMap(LISTENER_SECURITY_PROTOCOL_MAP,
                (String) values.get(LISTENER_SECURITY_PROTOCOL_MAP));
        this.listeners = Endpoint.parseList(LISTENERS, (String) values.get(LISTENERS), listenerSecurityProtocolMap);
        if (listeners.isEmpty()) {
            throw new ConfigException(LISTENERS, values.get(LISTENERS), "at least one listener is needed");
        }
        String advertised = (String) values.get(ADVERTISED_LISTENERS);
        this.advertisedListeners = advertised == null || advertised.isBlank() ? Endpoint.advertisable(listeners)
                : Endpoint.parseList(ADVERTISED_LISTENERS, advertised, listenerSecurityProtocolMap);
        this.interBrokerListenerName = interBrokerListener((String) values.get(INTER_BROKER_LISTENER_NAME),
                listeners, advertisedListeners);
        this.connectionFailedAuthenticationDelayMs = (Integer) values.get(CONNECTION_FAILED_AUTHENTICATION_DELAY_MS);
        this.logDirs = parseLogDirs((String) values.get(LOG_DIRS));
        this.numPartitions = (Integer) values.get(NUM_PARTITIONS);
        this.defaultReplicationFactor = ((Integer) values.get(DEFAULT_REPLICATION_FACTOR)).shortValue();
        this.autoCreateTopicsEnable = (Boolean) values.get(AUTO_CREATE_TOPICS_ENABLE);
        this.deleteTopicEnable = (Boolean) values.get(DELETE_TOPIC_ENABLE);
        this.errorsDeadLetterQueueTopicNamePrefix = (String) values.get(ERRORS_DEADLETTERQUEUE_TOPIC_NAME_PREFIX);
        this.errorsDeadLetterQueueAutoCreateTopicsEnable =
                (Boolean) values.get(ERRORS_DEADLETTERQUEUE_AUTO_CREATE_TOPICS_ENABLE);
        this.socketRequestMaxBytes = (Integer) values.get(SOCKET_REQUEST_MAX_BYTES);
        this.socketSendBufferBytes = (Integer) values.get(SOCKET_SEND_BUFFER_BYTES);
        this.socketReceiveBufferBytes = (Integer) values.get(SOCKET_RECEIVE_BUFFER_BYTES);
        this.numNetworkThreads = (Integer) values.get(NUM_NETWORK_THREADS);
        this.numIoThreads = (Integer) values.get(NUM_IO_THREADS);
        this.queuedMaxRequests = (Integer) values.get(QUEUED_MAX_REQUESTS);
        this.queuedMaxRequestBytes = (Long) values.get(QUEUED_MAX_REQUEST_BYTES);
        this.connectionsMaxIdleMs = (Long) values.get(CONNECTIONS_MAX_IDLE_MS);
        this.maxConnections = (Integer) values.get(MAX_CONNECTIONS);
        this.offsetsTopicNumPartitions = (Integer) values.get(OFFSETS_TOPIC_NUM_PARTITIONS);
        this.offsetsTopicReplicationFactor = ((Short) values.get(OFFSETS_TOPIC_REPLICATION_FACTOR));
        this.offsetsTopicSegmentBytes = (Integer) values.get(OFFSETS_TOPIC_SEGMENT_BYTES);
        this.offsetsRetentionMs = 60_000L * (Integer) values.get(OFFSETS_RETENTION_MINUTES);
        this.offsetsRetentionCheckIntervalMs = (Long) values.get(OFFSETS_RETENTION_CHECK_INTERVAL_MS);
        this.offsetMetadataMaxBytes = (Integer) values.get(OFFSET_METADATA_MAX_BYTES);
        this.groupInitialRebalanceDelayMs = (Integer) values.get(GROUP_INITIAL_REBALANCE_DELAY_MS);
        this.groupMinSessionTimeoutMs = (Integer) values.get(GROUP_MIN_SESSION_TIMEOUT_MS);
        this.groupMaxSessionTimeoutMs = (Integer) values.get(GROUP_MAX_SESSION_TIMEOUT_MS);
        this.groupMaxSize = (Integer) values.get(GROUP_MAX_SIZE);
        this.groupConsumerSessionTimeoutMs = within(this.values, GROUP_CONSUMER_SESSION_TIMEOUT_MS,
                GROUP_CONSUMER_MIN_SESSION_TIMEOUT_MS, GROUP_CONSUMER_MAX_SESSION_TIMEOUT_MS);
        this.groupConsumerHeartbeatIntervalMs = within(this.values, GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS,
                GROUP_CONSUMER_MIN_HEARTBEAT_INTERVAL_MS, GROUP_CONSUMER_MAX_HEARTBEAT_INTERVAL_MS);
        if (groupConsumerHeartbeatIntervalMs >= groupConsumerSessionTimeoutMs) {
            throw new ConfigException(GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS, groupConsumerHeartbeatIntervalMs,
                    "must be lower than " + GROUP_CONSUMER_SESSION_TIMEOUT_MS + " (" + groupConsumerSessionTimeoutMs
                            + ")");
        }
        this.groupConsumerMaxSize = (Integer) values.get(GROUP_CONSUMER_MAX_SIZE);
        this.groupConsumerAssignors = assignorNames(values.get(GROUP_CONSUMER_ASSIGNORS));
        this.groupConsumerMigrationPolicy = ((String) values.get(GROUP_CONSUMER_MIGRATION_POLICY))
                .toLowerCase(java.util.Locale.ROOT);
        this.groupShareSessionTimeoutMs = within(this.values, GROUP_SHARE_SESSION_TIMEOUT_MS,
                GROUP_SHARE_MIN_SESSION_TIMEOUT_MS, GROUP_SHARE_MAX_SESSION_TIMEOUT_MS);
        this.groupShareMinSessionTimeoutMs = (Integer) values.get(GROUP_SHARE_MIN_SESSION_TIMEOUT_MS);
        this.groupShareMaxSessionTimeoutMs = (Integer) values.get(GROUP_SHARE_MAX_SESSION_TIMEOUT_MS);
        this.groupShareHeartbeatIntervalMs = within(this.values, GROUP_SHARE_HEARTBEAT_INTERVAL_MS,
                GROUP_SHARE_MIN_HEARTBEAT_INTERVAL_MS, GROUP_SHARE_MAX_HEARTBEAT_INTERVAL_MS);
        this.groupShareMinHeartbeatIntervalMs = (Integer) values.get(GROUP_SHARE_MIN_HEARTBEAT_INTERVAL_MS);
        this.groupShareMaxHeartbeatIntervalMs = (Integer) values.get(GROUP_SHARE_MAX_HEARTBEAT_INTERVAL_MS);
        if (groupShareHeartbeatIntervalMs >= groupShareSessionTimeoutMs) {
            throw new ConfigException(GROUP_SHARE_HEARTBEAT_INTERVAL_MS, groupShareHeartbeatIntervalMs,
                    "must be lower than " + GROUP_SHARE_SESSION_TIMEOUT_MS + " (" + groupShareSessionTimeoutMs + ")");
        }
        this.groupShareMaxSize = (Integer) values.get(GROUP_SHARE_MAX_SIZE);
        this.groupShareRecordLockDurationMs = within(this.values, GROUP_SHARE_RECORD_LOCK_DURATION_MS,
                GROUP_SHARE_MIN_RECORD_LOCK_DURATION_MS, GROUP_SHARE_MAX_RECORD_LOCK_DURATION_MS);
        this.groupShareMinRecordLockDurationMs = (Integer) values.get(GROUP_SHARE_MIN_RECORD_LOCK_DURATION_MS);
        this.groupShareMaxRecordLockDurationMs = (Integer) values.get(GROUP_SHARE_MAX_RECORD_LOCK_DURATION_MS);
        this.groupShareDeliveryCountLimit = within(this.values, GROUP_SHARE_DELIVERY_COUNT_LIMIT,
                GROUP_SHARE_MIN_DELIVERY_COUNT_LIMIT, GROUP_SHARE_MAX_DELIVERY_COUNT_LIMIT);
        this.groupShareMinDeliveryCountLimit = (Integer) values.get(GROUP_SHARE_MIN_DELIVERY_COUNT_LIMIT);
        this.groupShareMaxDeliveryCountLimit = (Integer) values.get(GROUP_SHARE_MAX_DELIVERY_COUNT_LIMIT);
        this.groupSharePartitionMaxRecordLocks = (Integer) values.get(GROUP_SHARE_PARTITION_MAX_RECORD_LOCKS);
        this.groupShareMaxShareSessions = (Integer) values.get(GROUP_SHARE_MAX_SHARE_SESSIONS);
        this.producerIdExpirationMs = (Long) values.get(PRODUCER_ID_EXPIRATION_MS);
        this.offsetCommitTimeoutMs = (Integer) values.get(OFFSET_COMMIT_TIMEOUT_MS);
        this.transactionStateLogNumPartitions = (Integer) values.get(TRANSACTION_STATE_LOG_NUM_PARTITIONS);
        this.transactionStateLogReplicationFactor = (Short) values.get(TRANSACTION_STATE_LOG_REPLICATION_FACTOR);
        this.transactionStateLogMinIsr = (Integer) values.get(TRANSACTION_STATE_LOG_MIN_ISR);
        this.transactionStateLogSegmentBytes = (Integer) values.get(TRANSACTION_STATE_LOG_SEGMENT_BYTES);
        this.transactionMaxTimeoutMs = (Integer) values.get(TRANSACTION_MAX_TIMEOUT_MS);
        this.shareStateTopicNumPartitions = (Integer) values.get(SHARE_STATE_TOPIC_NUM_PARTITIONS);
        this.shareStateTopicReplicationFactor = (Short) values.get(SHARE_STATE_TOPIC_REPLICATION_FACTOR);
        this.shareStateTopicMinIsr = (Integer) values.get(SHARE_STATE_TOPIC_MIN_ISR);
        this.shareStateTopicSegmentBytes = (Integer) values.get(SHARE_STATE_TOPIC_SEGMENT_BYTES);
        this.shareSnapshotUpdateRecordsPerSnapshot = (Integer) values.get(SHARE_SNAPSHOT_UPDATE_RECORDS_PER_SNAPSHOT);
        this.shareCoordinatorWriteTimeoutMs = (Integer) values.get(SHARE_COORDINATOR_WRITE_TIMEOUT_MS);
        this.shareStateTopicPruneIntervalMs = (Long) values.get(SHARE_STATE_TOPIC_PRUNE_INTERVAL_MS);
        this.temporaryTopicCleanupIntervalMs = (Long) values.get(TEMPORARY_TOPIC_CLEANUP_INTERVAL_MS);
        this.transactionalIdExpirationMs = (Long) values.get(TRANSACTIONAL_ID_EXPIRATION_MS);
        this.transactionPartitionVerificationEnable = (Boolean) values.get(TRANSACTION_PARTITION_VERIFICATION_ENABLE);
        this.transactionAbortTimedOutCleanupIntervalMs =
                (Long) values.get(TRANSACTION_ABORT_TIMED_OUT_CLEANUP_INTERVAL_MS);
        this.transactionRemoveExpiredCleanupIntervalMs =
                (Long) values.get(TRANSACTION_REMOVE_EXPIRED_CLEANUP_INTERVAL_MS);
        this.clusterJoin = ((String) values.get(CLUSTER_JOIN)).trim();
        this.clusterName = (String) values.get(CLUSTER_NAME);
        this.clusterPort = (Integer) values.get(CLUSTER_PORT);
        this.clusterHost = ((String) values.get(CLUSTER_HOST)).trim();
        this.clusterAdvertisedAddress = ((String) values.get(CLUSTER_ADVERTISED_ADDRESS)).trim();
        this.clusterCpMemberCount = (Integer) values.get(CLUSTER_CP_MEMBER_COUNT);
        this.clusterJoinTimeoutMs = (Integer) values.get(CLUSTER_JOIN_TIMEOUT_MS);
        this.clusterShutdownTimeoutMs = (Integer) values.get(CLUSTER_SHUTDOWN_TIMEOUT_MS);
        this.brokerSessionTimeoutMs = (Integer) values.get(BROKER_SESSION_TIMEOUT_MS);
        this.replicaLagTimeMaxMs = (Long) values.get(REPLICA_LAG_TIME_MAX_MS);
        this.replicaFetchMaxBytes = (Integer) values.get(REPLICA_FETCH_MAX_BYTES);
        this.replicaFetchResponseMaxBytes = (Integer) values.get(REPLICA_FETCH_RESPONSE_MAX_BYTES);
        this.replicaFetchWaitMaxMs = (Integer) values.get(REPLICA_FETCH_WAIT_MAX_MS);
        this.replicaFetchBackoffMs = (Integer) values.get(REPLICA_FETCH_BACKOFF_MS);
        this.replicaSocketTimeoutMs = (Integer) values.get(REPLICA_SOCKET_TIMEOUT_MS);
        if (!clusterJoin.equals("none") && !clusterJoin.equals("multicast") && !clusterJoin.equals("payara")
                && !clusterJoin.startsWith("tcpip:")) {
            throw new ConfigException(CLUSTER_JOIN, clusterJoin,
                    "must be none, multicast, payara or tcpip:host[:port],host[:port],...");
        }
        if (!clusterAdvertisedAddress.isEmpty() && !clusterAdvertisedAddress.matches(".+:\\d{1,5}")) {
            throw new ConfigException(CLUSTER_ADVERTISED_ADDRESS, clusterAdvertisedAddress, "must be host:port");
        }
        if (clusterCpMemberCount == 1 || clusterCpMemberCount == 2) {
            throw new ConfigException(CLUSTER_CP_MEMBER_COUNT, clusterCpMemberCount,
                    "must be -1 (decided by cluster.join), 0 (no CP Subsystem: the oldest member's broker is"
                    + " controller) or at least 3");
        }
        if (socketRequestMaxBytes < 1024) {
            throw new ConfigException(SOCKET_REQUEST_MAX_BYTES, socketRequestMaxBytes, "must be at least 1024");
        }
        LogConfig.of(topicDefaults());
    }

    /**
     * The settings among {@code settings} the broker knows, with defaults for the rest.
     *
     * @throws ConfigException naming the setting if a value is invalid
     */
    public static BrokerConfig of(Map<?, ?> settings) {
        return new BrokerConfig(settings);
    }

    /** Names in {@code settings} that no part of the broker knows: probably misspelt. */
    public static Set<String> unknownNames(Map<?, ?> settings) {
        Set<String> unknown = new TreeSet<>();
        for (Object key : settings.keySet()) {
            String name = String.valueOf(key);
            if (!DEFINITION.names().contains(name) && !LogDirectoryConfig.definition().names().contains(name)
                    && !isListenerSetting(name)) {
                unknown.add(name);
            }
        }
        return unknown;
    }

    public static ConfigDef definition() {
        return DEFINITION;
    }

    /**
     * A listener's own value of {@code name} ({@code listener.name.<listener, lower case>.<name>}), or the broker-wide
     * value of {@code name} when it has none; {@code null} when neither is set.
     */
    public Object listenerSetting(String listenerName, String name) {
        Object own = listenerSettings.get(LISTENER_PREFIX + listenerName.toLowerCase(java.util.Locale.ROOT) + "."
                + name);
        return own != null ? own : values.get(name);
    }

    /**
     * The listener settings Strata reads: {@code listener.name.<l>.sasl.enabled.mechanisms} and
     * {@code listener.name.<l>.<mechanism>.sasl.jaas.config}, Kafka's names for a listener's SASL mechanisms and
     * their JAAS configuration.
     */
    public static boolean isListenerSetting(String name) {
        if (!name.startsWith(LISTENER_PREFIX)) {
            return false;
        }
        String rest = name.substring(LISTENER_PREFIX.length());
        int dot = rest.indexOf('.');
        if (dot <= 0) {
            return false;
        }
        String setting = rest.substring(dot + 1);
        return setting.equals(SASL_ENABLED_MECHANISMS) || setting.endsWith("." + SASL_JAAS_CONFIG);
    }

    /**
     * The inter-broker listener: the named one, or the first PLAINTEXT listener. It must be advertised, and PLAINTEXT:
     * the broker's own connections (followers' fetches, transaction markers, share state, its producers) carry no
     * credentials until issue 19.
     */
    private static String interBrokerListener(String named, List<Endpoint> listeners, List<Endpoint> advertised) {
        Endpoint chosen = null;
        for (Endpoint listener : listeners) {
            boolean match = named == null || named.isBlank()
                    ? listener.protocol() == SecurityProtocol.PLAINTEXT
                    : listener.listenerName().equalsIgnoreCase(named.trim());
            if (match) {
                chosen = listener;
                break;
            }
        }
        if (chosen == null) {
            throw new ConfigException(INTER_BROKER_LISTENER_NAME, named, named == null || named.isBlank()
                    ? "no PLAINTEXT listener: brokers and the broker's own clients connect over a PLAINTEXT listener"
                    + " until issue 19 gives them credentials; add one to " + LISTENERS
                    + " (such as PLAINTEXT://127.0.0.1:9093, reachable by the other brokers only)"
                    : "names no listener of " + LISTENERS + " (" + listeners + ")");
        }
        if (chosen.protocol() != SecurityProtocol.PLAINTEXT) {
            throw new ConfigException(INTER_BROKER_LISTENER_NAME, named, "listener " + chosen.listenerName() + " is "
                    + chosen.protocol() + "; brokers connect to each other over a PLAINTEXT listener until issue 19"
                    + " gives their connections credentials");
        }
        String name = chosen.listenerName();
        if (advertised.stream().noneMatch(endpoint -> endpoint.listenerName().equals(name))) {
            throw new ConfigException(ADVERTISED_LISTENERS, advertised, "must include the inter-broker listener "
                    + name);
        }
        return name;
    }

    /** Every broker setting with its value, defaults included. */
    public Map<String, Object> values() {
        return values;
    }

    /** The settings that were given, not defaulted. */
    public Map<String, Object> originals() {
        return originals;
    }

    /** The topic settings a topic without overrides gets, from the broker's {@code log.*} settings. */
    public Map<String, Object> topicDefaults() {
        Map<String, Object> defaults = new HashMap<>();
        for (Map.Entry<String, String> synonym : TOPIC_SYNONYMS.entrySet()) {
            Object value = values.get(synonym.getKey());
            if (value != null) {
                defaults.put(synonym.getValue(), value);
            }
        }
        Long retentionMs = retentionMs();
        if (retentionMs != null) {
            defaults.put(LogConfig.RETENTION_MS, retentionMs);
        }
        Object rollMs = values.get(LOG_ROLL_MS);
        Object rollHours = values.get(LOG_ROLL_HOURS);
        if (rollMs != null) {
            defaults.put(LogConfig.SEGMENT_MS, rollMs);
        } else if (rollHours != null) {
            defaults.put(LogConfig.SEGMENT_MS, 3_600_000L * (Integer) rollHours);
        }
        return defaults;
    }

    /** The broker setting that sets the default of topic setting {@code topicName}, if any. */
    public static String brokerSynonymOf(String topicName) {
        if (topicName.equals(LogConfig.RETENTION_MS)) {
            return LOG_RETENTION_MS;
        }
        if (topicName.equals(LogConfig.SEGMENT_MS)) {
            return LOG_ROLL_MS;
        }
        for (Map.Entry<String, String> synonym : TOPIC_SYNONYMS.entrySet()) {
            if (synonym.getValue().equals(topicName)) {
                return synonym.getKey();
            }
        }
        return null;
    }

    private Long retentionMs() {
        Object ms = values.get(LOG_RETENTION_MS);
        if (ms != null) {
            return (Long) ms;
        }
        Object minutes = values.get(LOG_RETENTION_MINUTES);
        if (minutes != null) {
            return 60_000L * (Integer) minutes;
        }
        Object hours = values.get(LOG_RETENTION_HOURS);
        return hours == null ? null : 3_600_000L * (Integer) hours;
    }

    /** The settings of the log directory {@code dir}. */
    public LogDirectoryConfig logDirectoryConfig(Path dir) {
        Map<String, Object> settings = new HashMap<>();
        for (Map.Entry<String, Object> entry : originals.entrySet()) {
            if (LogDirectoryConfig.definition().names().contains(entry.getKey())) {
                settings.put(entry.getKey(), entry.getValue());
            }
        }
        settings.put(LogDirectoryConfig.LOG_DIR, dir.toString());
        return LogDirectoryConfig.of(settings);
    }

    /** A setting that must lie within two others, as Kafka checks its consumer-group timeouts. */
    private static int within(Map<String, Object> values, String name, String minName, String maxName) {
        int value = (Integer) values.get(name);
        int min = (Integer) values.get(minName);
        int max = (Integer) values.get(maxName);
        if (value < min || value > max) {
            throw new ConfigException(name, value, "must be between " + minName + " (" + min + ") and " + maxName
                    + " (" + max + ")");
        }
        return value;
    }

    /** The assignor names of {@code group.consumer.assignors}: Kafka's class names become uniform and range. */
    private static List<String> assignorNames(Object value) {
        List<String> names = new ArrayList<>();
        for (Object each : (List<?>) value) {
            String name = each.toString().trim();
            String shortName = switch (name) {
                case "uniform", "org.apache.kafka.coordinator.group.assignor.UniformAssignor" -> "uniform";
                case "range", "org.apache.kafka.coordinator.group.assignor.RangeAssignor" -> "range";
                default -> throw new ConfigException(GROUP_CONSUMER_ASSIGNORS, value, "Strata knows the assignors"
                        + " uniform and range (or Kafka's class names of them), not " + name);
            };
            if (!names.contains(shortName)) {
                names.add(shortName);
            }
        }
        if (names.isEmpty()) {
            throw new ConfigException(GROUP_CONSUMER_ASSIGNORS, value, "at least one assignor is needed");
        }
        return List.copyOf(names);
    }

    private static List<Path> parseLogDirs(String value) {
        List<Path> dirs = new ArrayList<>();
        for (String part : value.split(",")) {
            if (!part.isBlank()) {
                dirs.add(Path.of(part.trim()));
            }
        }
        if (dirs.isEmpty()) {
            throw new ConfigException(LOG_DIRS, value, "at least one directory is needed");
        }
        return List.copyOf(dirs);
    }

    private static Map<String, String> topicSynonyms() {
        Map<String, String> synonyms = new LinkedHashMap<>();
        synonyms.put("log.segment.bytes", LogConfig.SEGMENT_BYTES);
        synonyms.put("log.roll.jitter.ms", LogConfig.SEGMENT_JITTER_MS);
        synonyms.put("log.index.size.max.bytes", LogConfig.SEGMENT_INDEX_BYTES);
        synonyms.put("log.index.interval.bytes", LogConfig.INDEX_INTERVAL_BYTES);
        synonyms.put("log.flush.interval.messages", LogConfig.FLUSH_MESSAGES);
        synonyms.put("log.flush.interval.ms", LogConfig.FLUSH_MS);
        synonyms.put("log.retention.bytes", LogConfig.RETENTION_BYTES);
        synonyms.put("message.max.bytes", LogConfig.MAX_MESSAGE_BYTES);
        synonyms.put("log.cleaner.delete.retention.ms", LogConfig.DELETE_RETENTION_MS);
        synonyms.put("log.cleaner.min.compaction.lag.ms", LogConfig.MIN_COMPACTION_LAG_MS);
        synonyms.put("log.cleaner.max.compaction.lag.ms", LogConfig.MAX_COMPACTION_LAG_MS);
        synonyms.put("log.segment.delete.delay.ms", LogConfig.FILE_DELETE_DELAY_MS);
        synonyms.put("log.cleaner.min.cleanable.ratio", LogConfig.MIN_CLEANABLE_DIRTY_RATIO);
        synonyms.put("log.cleanup.policy", LogConfig.CLEANUP_POLICY);
        synonyms.put("log.message.timestamp.type", LogConfig.MESSAGE_TIMESTAMP_TYPE);
        synonyms.put("log.message.timestamp.before.max.ms", LogConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS);
        synonyms.put("log.message.timestamp.after.max.ms", LogConfig.MESSAGE_TIMESTAMP_AFTER_MAX_MS);
        synonyms.put(LogConfig.COMPRESSION_TYPE, LogConfig.COMPRESSION_TYPE);
        synonyms.put(LogConfig.MIN_IN_SYNC_REPLICAS, LogConfig.MIN_IN_SYNC_REPLICAS);
        synonyms.put(LogConfig.UNCLEAN_LEADER_ELECTION_ENABLE, LogConfig.UNCLEAN_LEADER_ELECTION_ENABLE);
        return Collections.unmodifiableMap(synonyms);
    }

    private static ConfigDef definitionWithTopicSynonyms() {
        ConfigDef def = new ConfigDef()
                .define(NODE_ID, Type.INT, 1, Range.atLeast(0), Importance.HIGH,
                        "This broker's id, unique in the cluster.")
                .define(LISTENERS, Type.STRING, "PLAINTEXT://0.0.0.0:9092", Importance.HIGH,
                        "Where the broker listens for clients: a comma-separated list of NAME://host:port.")
                .define(ADVERTISED_LISTENERS, Type.STRING, null, Importance.HIGH,
                        "Where clients are told to connect; by default the listeners, with localhost for 0.0.0.0.")
                .define(LISTENER_SECURITY_PROTOCOL_MAP, Type.STRING, Endpoint.DEFAULT_PROTOCOL_MAP, Importance.LOW,
                        "Each listener name's security protocol, NAME:PROTOCOL,... PLAINTEXT and SASL_PLAINTEXT"
                                + " listeners are served; SSL and SASL_SSL come with issue 19.")
                .define(INTER_BROKER_LISTENER_NAME, Type.STRING, null, Importance.MEDIUM,
                        "The listener brokers connect to each other on, and the broker's own clients use; by"
                                + " default the first PLAINTEXT listener. It must be PLAINTEXT until issue 19.")
                .define(SASL_ENABLED_MECHANISMS, Type.LIST, "PLAIN", Importance.MEDIUM,
                        "The SASL mechanisms SASL listeners offer (a listener may have its own with"
                                + " listener.name.<listener>.sasl.enabled.mechanisms). Only PLAIN until issue 19"
                                + " adds SCRAM.")
                .define(SASL_JAAS_CONFIG, Type.PASSWORD, null, Importance.MEDIUM,
                        "The JAAS configuration of SASL listeners that have no"
                                + " listener.name.<listener>.<mechanism>.sasl.jaas.config, such as"
                                + " org.apache.kafka.common.security.plain.PlainLoginModule required"
                                + " user_alice=\"alice-secret\"; (one user_NAME=\"PASSWORD\" per user).")
                .define(CONNECTION_FAILED_AUTHENTICATION_DELAY_MS, Type.INT, 100, Range.atLeast(0),
                        Importance.LOW, "How long the broker waits before it answers a failed authentication and"
                                + " closes the connection, which slows down password guessing.")
                .define(LOG_DIRS, Type.STRING, "data/strata", Importance.HIGH,
                        "Directories for the partition logs; the first also holds the broker's metadata.")
                .define(NUM_PARTITIONS, Type.INT, 1, Range.atLeast(1), Importance.MEDIUM,
                        "Partitions of an automatically created topic.")
                .define(DEFAULT_REPLICATION_FACTOR, Type.INT, 1, Range.atLeast(1), Importance.MEDIUM,
                        "Replicas of an automatically created topic, or of one created without a factor.")
                .define(AUTO_CREATE_TOPICS_ENABLE, Type.BOOLEAN, true, Importance.MEDIUM,
                        "Whether a topic named in a metadata request is created if it does not exist.")
                .define(DELETE_TOPIC_ENABLE, Type.BOOLEAN, true, Importance.MEDIUM,
                        "Whether topics may be deleted.")
                .define(ERRORS_DEADLETTERQUEUE_TOPIC_NAME_PREFIX, Type.STRING, "dlq.", Importance.MEDIUM,
                        "The prefix a share group's dead-letter topic (group config errors.deadletterqueue.topic.name)"
                                + " must have; empty allows any name not starting with __ (KIP-1191).")
                .define(ERRORS_DEADLETTERQUEUE_AUTO_CREATE_TOPICS_ENABLE, Type.BOOLEAN, false, Importance.MEDIUM,
                        "Whether a share group's dead-letter topic that does not exist is created, with the"
                                + " broker's default partitions and replicas and errors.deadletterqueue.group.enable"
                                + "=true, when the group first gives up on a record; otherwise it must be created"
                                + " first (KIP-1191).")
                .define(SOCKET_REQUEST_MAX_BYTES, Type.INT, 104_857_600, Range.atLeast(1024), Importance.MEDIUM,
                        "The largest request accepted; a larger size prefix closes the connection before any read.")
                .define(SOCKET_SEND_BUFFER_BYTES, Type.INT, 102_400, Importance.LOW,
                        "SO_SNDBUF of client connections; -1 for the OS default.")
                .define(SOCKET_RECEIVE_BUFFER_BYTES, Type.INT, 102_400, Importance.LOW,
                        "SO_RCVBUF of client connections; -1 for the OS default.")
                .define(NUM_NETWORK_THREADS, Type.INT, 3, Range.atLeast(1), Importance.MEDIUM,
                        "Threads that read requests from and write responses to sockets.")
                .define(NUM_IO_THREADS, Type.INT, 8, Range.atLeast(1), Importance.MEDIUM,
                        "Threads that process requests.")
                .define(QUEUED_MAX_REQUESTS, Type.INT, 500, Range.atLeast(1), Importance.MEDIUM,
                        "Requests waiting for a processing thread before network threads stop reading.")
                .define(QUEUED_MAX_REQUEST_BYTES, Type.LONG, 512L << 20, Range.atLeast(1024), Importance.MEDIUM,
                        "Memory for requests read but not yet processed; reading waits when it is used up.")
                .define(CONNECTIONS_MAX_IDLE_MS, Type.LONG, 600_000L, Importance.MEDIUM,
                        "Idle connections are closed after this long.")
                .define(MAX_CONNECTIONS, Type.INT, 10_000, Range.atLeast(1), Importance.MEDIUM,
                        "Client connections accepted at once; more are refused.")
                .define(OFFSETS_TOPIC_NUM_PARTITIONS, Type.INT, 50, Range.atLeast(1), Importance.MEDIUM,
                        "Partitions of the internal __consumer_offsets topic.")
                .define(OFFSETS_TOPIC_REPLICATION_FACTOR, Type.SHORT, (short) 3, Range.atLeast(1), Importance.MEDIUM,
                        "Replicas of __consumer_offsets. In a cluster it is created once this many brokers are alive (until"
                                + " then groups get COORDINATOR_NOT_AVAILABLE); a standalone broker (cluster.join=none)"
                                + " uses 1 unless this is set.")
                .define(OFFSETS_TOPIC_SEGMENT_BYTES, Type.INT, 104_857_600, Range.atLeast(1024), Importance.LOW,
                        "Segment size of __consumer_offsets.")
                .define(OFFSETS_RETENTION_MINUTES, Type.INT, 10_080, Range.atLeast(1), Importance.MEDIUM,
                        "How long committed offsets of a group without members are kept.")
                .define(OFFSETS_RETENTION_CHECK_INTERVAL_MS, Type.LONG, 600_000L, Range.atLeast(1), Importance.LOW,
                        "How often expired offsets are removed.")
                .define(OFFSET_METADATA_MAX_BYTES, Type.INT, 4096, Range.atLeast(0), Importance.LOW,
                        "The longest metadata string a committed offset may carry.")
                .define(GROUP_INITIAL_REBALANCE_DELAY_MS, Type.INT, 3000, Range.atLeast(0), Importance.MEDIUM,
                        "How long the first rebalance of an empty group waits for more members.")
                .define(GROUP_MIN_SESSION_TIMEOUT_MS, Type.INT, 6000, Range.atLeast(1), Importance.MEDIUM,
                        "The shortest session timeout a consumer may ask for.")
                .define(GROUP_MAX_SESSION_TIMEOUT_MS, Type.INT, 1_800_000, Range.atLeast(1), Importance.MEDIUM,
                        "The longest session timeout a consumer may ask for.")
                .define(GROUP_MAX_SIZE, Type.INT, Integer.MAX_VALUE, Range.atLeast(1), Importance.MEDIUM,
                        "Members a consumer group may have.")
                .define(GROUP_CONSUMER_SESSION_TIMEOUT_MS, Type.INT, 45_000, Range.atLeast(1), Importance.MEDIUM,
                        "How long a member of a consumer-protocol group (group.protocol=consumer) may go without"
                                + " a heartbeat before it is removed.")
                .define(GROUP_CONSUMER_MIN_SESSION_TIMEOUT_MS, Type.INT, 45_000, Range.atLeast(1), Importance.MEDIUM,
                        "The lowest " + GROUP_CONSUMER_SESSION_TIMEOUT_MS + " allowed.")
                .define(GROUP_CONSUMER_MAX_SESSION_TIMEOUT_MS, Type.INT, 60_000, Range.atLeast(1), Importance.MEDIUM,
                        "The highest " + GROUP_CONSUMER_SESSION_TIMEOUT_MS + " allowed.")
                .define(GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS, Type.INT, 5000, Range.atLeast(1), Importance.MEDIUM,
                        "How often members of a consumer-protocol group are told to heartbeat.")
                .define(GROUP_CONSUMER_MIN_HEARTBEAT_INTERVAL_MS, Type.INT, 5000, Range.atLeast(1),
                        Importance.MEDIUM, "The lowest " + GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS + " allowed.")
                .define(GROUP_CONSUMER_MAX_HEARTBEAT_INTERVAL_MS, Type.INT, 15_000, Range.atLeast(1),
                        Importance.MEDIUM, "The highest " + GROUP_CONSUMER_HEARTBEAT_INTERVAL_MS + " allowed.")
                .define(GROUP_CONSUMER_MAX_SIZE, Type.INT, Integer.MAX_VALUE, Range.atLeast(1), Importance.MEDIUM,
                        "Members a consumer-protocol group may have.")
                .define(GROUP_CONSUMER_ASSIGNORS, Type.LIST,
                        "org.apache.kafka.coordinator.group.assignor.UniformAssignor,"
                                + "org.apache.kafka.coordinator.group.assignor.RangeAssignor", Importance.MEDIUM,
                        "The server-side assignors of consumer-protocol groups, the first the default: uniform"
                                + " (balanced and sticky) and range (co-partitioned), by these short names or"
                                + " Kafka's class names.")
                .define(GROUP_SHARE_PARTITION_MAX_RECORD_LOCKS, Type.INT, 2000, Range.between(100, 4000),
                        Importance.MEDIUM, "The most records of one share group on one partition that are in"
                                + " flight (acquired, or not yet done with behind the oldest acquired one): bounds the"
                                + " leader's memory and how far members run ahead of a slow record.")
                .define(GROUP_SHARE_MAX_SHARE_SESSIONS, Type.INT, 2000, Range.atLeast(1), Importance.MEDIUM,
                        "The share sessions (one per share consumer fetching from this broker) kept at most; a"
                                + " new one beyond is refused with SHARE_SESSION_LIMIT_REACHED.")
                .define(GROUP_CONSUMER_MIGRATION_POLICY, Type.STRING, "bidirectional",
                        ConfigDef.CaseInsensitiveValidString.in("disabled", "upgrade", "downgrade", "bidirectional"),
                        Importance.MEDIUM, "Whether a classic group may become a consumer-protocol group when a"
                                + " consumer-protocol member joins it, online if it has members (upgrade), a"
                                + " consumer-protocol group a classic one when it is empty or its last"
                                + " consumer-protocol member leaves a group of classic members (downgrade), both, or"
                                + " neither. Classic members join a consumer-protocol group with members whatever"
                                + " the policy, as in Kafka.")
                .define(GROUP_SHARE_SESSION_TIMEOUT_MS, Type.INT, 45_000, Range.atLeast(1), Importance.MEDIUM,
                        "How long a member of a share group may go without a heartbeat before it is removed; a"
                                + " group may override it with share.session.timeout.ms.")
                .define(GROUP_SHARE_MIN_SESSION_TIMEOUT_MS, Type.INT, 45_000, Range.atLeast(1), Importance.MEDIUM,
                        "The lowest " + GROUP_SHARE_SESSION_TIMEOUT_MS + " allowed, for the broker and a group.")
                .define(GROUP_SHARE_MAX_SESSION_TIMEOUT_MS, Type.INT, 60_000, Range.atLeast(1), Importance.MEDIUM,
                        "The highest " + GROUP_SHARE_SESSION_TIMEOUT_MS + " allowed, for the broker and a group.")
                .define(GROUP_SHARE_HEARTBEAT_INTERVAL_MS, Type.INT, 5000, Range.atLeast(1), Importance.MEDIUM,
                        "How often members of a share group are told to heartbeat; a group may override it with"
                                + " share.heartbeat.interval.ms.")
                .define(GROUP_SHARE_MIN_HEARTBEAT_INTERVAL_MS, Type.INT, 5000, Range.atLeast(1), Importance.MEDIUM,
                        "The lowest " + GROUP_SHARE_HEARTBEAT_INTERVAL_MS + " allowed, for the broker and a group.")
                .define(GROUP_SHARE_MAX_HEARTBEAT_INTERVAL_MS, Type.INT, 15_000, Range.atLeast(1),
                        Importance.MEDIUM, "The highest " + GROUP_SHARE_HEARTBEAT_INTERVAL_MS + " allowed, for the"
                                + " broker and a group.")
                .define(GROUP_SHARE_MAX_SIZE, Type.INT, 200, Range.between(1, 1000), Importance.MEDIUM,
                        "Members a share group may have.")
                .define(GROUP_SHARE_RECORD_LOCK_DURATION_MS, Type.INT, 30_000, Range.atLeast(1), Importance.MEDIUM,
                        "How long a share-group member holds the records it acquired before they are released for"
                                + " another delivery; a group may override it with share.record.lock.duration.ms.")
                .define(GROUP_SHARE_MIN_RECORD_LOCK_DURATION_MS, Type.INT, 15_000, Range.atLeast(1),
                        Importance.MEDIUM, "The lowest " + GROUP_SHARE_RECORD_LOCK_DURATION_MS + " allowed, for the"
                                + " broker and a group.")
                .define(GROUP_SHARE_MAX_RECORD_LOCK_DURATION_MS, Type.INT, 60_000, Range.atLeast(1),
                        Importance.MEDIUM, "The highest " + GROUP_SHARE_RECORD_LOCK_DURATION_MS + " allowed, for the"
                                + " broker and a group.")
                .define(GROUP_SHARE_DELIVERY_COUNT_LIMIT, Type.INT, 5, Range.atLeast(1), Importance.MEDIUM,
                        "How many times a record of a share group is delivered before it is archived as"
                                + " undeliverable; a group may override it with share.delivery.count.limit.")
                .define(GROUP_SHARE_MIN_DELIVERY_COUNT_LIMIT, Type.INT, 2, Range.atLeast(1), Importance.MEDIUM,
                        "The lowest " + GROUP_SHARE_DELIVERY_COUNT_LIMIT + " allowed, for the broker and a group.")
                .define(GROUP_SHARE_MAX_DELIVERY_COUNT_LIMIT, Type.INT, 10, Range.atLeast(1), Importance.MEDIUM,
                        "The highest " + GROUP_SHARE_DELIVERY_COUNT_LIMIT + " allowed, for the broker and a group.")
                .define(PRODUCER_ID_EXPIRATION_MS, Type.LONG, 86_400_000L, Range.atLeast(1), Importance.LOW,
                        "How long an idle producer's sequence state is kept.")
                .define(LOG_RETENTION_HOURS, Type.INT, null, Importance.HIGH,
                        "Default retention.ms in hours; log.retention.minutes and log.retention.ms take precedence.")
                .define(LOG_RETENTION_MINUTES, Type.INT, null, Importance.HIGH,
                        "Default retention.ms in minutes; log.retention.ms takes precedence.")
                .define(LOG_RETENTION_MS, Type.LONG, null, Importance.HIGH, "Default retention.ms of topics.")
                .define(LOG_ROLL_HOURS, Type.INT, null, Importance.MEDIUM,
                        "Default segment.ms in hours; log.roll.ms takes precedence.")
                .define(LOG_ROLL_MS, Type.LONG, null, Importance.MEDIUM, "Default segment.ms of topics.")
                .define(OFFSET_COMMIT_TIMEOUT_MS, Type.INT, 5000, Range.atLeast(1), Importance.LOW,
                        "How long an offset commit waits for every in-sync replica of its offsets partition.")
                .define(TRANSACTION_STATE_LOG_NUM_PARTITIONS, Type.INT, 50, Range.atLeast(1), Importance.MEDIUM,
                        "Partitions of the internal __transaction_state topic.")
                .define(TRANSACTION_STATE_LOG_REPLICATION_FACTOR, Type.SHORT, (short) 3, Range.atLeast(1),
                        Importance.MEDIUM, "Replicas of __transaction_state. In a cluster it is created once this many"
                                + " brokers are alive (until then transactional producers get COORDINATOR_NOT_AVAILABLE);"
                                + " a standalone broker (cluster.join=none) uses 1 unless this is set.")
                .define(TRANSACTION_STATE_LOG_MIN_ISR, Type.INT, 2, Range.atLeast(1), Importance.MEDIUM,
                        "min.insync.replicas of __transaction_state (at most its replication factor).")
                .define(TRANSACTION_STATE_LOG_SEGMENT_BYTES, Type.INT, 104_857_600, Range.atLeast(1024),
                        Importance.LOW, "Segment size of __transaction_state.")
                .define(SHARE_STATE_TOPIC_NUM_PARTITIONS, Type.INT, 50, Range.atLeast(1), Importance.MEDIUM,
                        "Partitions of the internal __share_group_state topic, which keeps share groups' state.")
                .define(SHARE_STATE_TOPIC_REPLICATION_FACTOR, Type.SHORT, (short) 3, Range.atLeast(1),
                        Importance.MEDIUM, "Replicas of __share_group_state. In a cluster it is created once this many"
                                + " brokers are alive (until then share-state requests get COORDINATOR_NOT_AVAILABLE);"
                                + " a standalone broker (cluster.join=none) uses 1 unless this is set.")
                .define(SHARE_STATE_TOPIC_MIN_ISR, Type.INT, 2, Range.atLeast(1), Importance.MEDIUM,
                        "min.insync.replicas of __share_group_state (at most its replication factor).")
                .define(SHARE_STATE_TOPIC_SEGMENT_BYTES, Type.INT, 104_857_600, Range.atLeast(1024),
                        Importance.LOW, "Segment size of __share_group_state.")
                .define(SHARE_SNAPSHOT_UPDATE_RECORDS_PER_SNAPSHOT, Type.INT, 500, Range.atLeast(0),
                        Importance.MEDIUM, "How many update records a share partition's state gathers before the"
                                + " share coordinator writes a whole snapshot instead, which bounds replay on failover.")
                .define(SHARE_COORDINATOR_WRITE_TIMEOUT_MS, Type.INT, 5000, Range.atLeast(1), Importance.MEDIUM,
                        "How long a write to __share_group_state waits for every in-sync replica before it is"
                                + " answered COORDINATOR_NOT_AVAILABLE.")
                .define(SHARE_STATE_TOPIC_PRUNE_INTERVAL_MS, Type.LONG, 300_000L, Range.atLeast(1), Importance.LOW,
                        "How often the share coordinator deletes the records of __share_group_state that replay no"
                                + " longer needs (those before the oldest latest snapshot of a share partition).")
                .define(TEMPORARY_TOPIC_CLEANUP_INTERVAL_MS, Type.LONG, 10_000L, Range.atLeast(1), Importance.LOW,
                        "How often each broker looks for the topics it must delete because their owner group"
                                + " (topic config strata.jms.temporary.owner, set on the topics of JMS temporary"
                                + " destinations) has no member any more, among the groups it coordinates. Such a"
                                + " topic goes within group.consumer.session.timeout.ms and this interval of its"
                                + " connection's death.")
                .define(TRANSACTION_MAX_TIMEOUT_MS, Type.INT, 900_000, Range.atLeast(1), Importance.HIGH,
                        "The longest transaction.timeout.ms a producer may ask for; a longer one is refused with"
                                + " INVALID_TRANSACTION_TIMEOUT.")
                .define(TRANSACTIONAL_ID_EXPIRATION_MS, Type.LONG, 604_800_000L, Range.atLeast(1), Importance.LOW,
                        "How long a transactional id without an open transaction is kept after its last update.")
                .define(TRANSACTION_PARTITION_VERIFICATION_ENABLE, Type.BOOLEAN, true, Importance.LOW,
                        "Whether a partition leader asks the transaction coordinator, before the first transactional"
                                + " batch of a producer of transaction protocol version 1, that the producer added"
                                + " the partition to its transaction (KIP-890), refusing the batch with"
                                + " INVALID_TXN_STATE otherwise. Producers of version 2 have their partitions added"
                                + " by the leader whatever this says.")
                .define(TRANSACTION_ABORT_TIMED_OUT_CLEANUP_INTERVAL_MS, Type.LONG, 10_000L, Range.atLeast(1),
                        Importance.LOW, "How often transactions open past their timeout are aborted.")
                .define(TRANSACTION_REMOVE_EXPIRED_CLEANUP_INTERVAL_MS, Type.LONG, 3_600_000L, Range.atLeast(1),
                        Importance.LOW, "How often expired transactional ids are removed.")
                .define(CLUSTER_JOIN, Type.STRING, "none", Importance.HIGH,
                        "How brokers find each other through Hazelcast: none (a cluster of one, no Hazelcast),"
                        + " tcpip:host[:port],host[:port],... (the members to ask), multicast, or payara (the"
                        + " Hazelcast instance of the Payara server the broker runs in, clustered by its own"
                        + " --clustermode and --clustername).")
                .define(CLUSTER_NAME, Type.STRING, "strata", Importance.MEDIUM,
                        "The Hazelcast cluster name; brokers with another name never join.")
                .define(CLUSTER_PORT, Type.INT, 5701, Range.between(0, 65535), Importance.MEDIUM,
                        "The Hazelcast member port of a standalone broker; the next free one is taken if it is used.")
                .define(CLUSTER_HOST, Type.STRING, "", Importance.MEDIUM,
                        "The address a standalone broker's cluster traffic uses: its Hazelcast member listens on it"
                        + " only and connects to other members from it, and its followers fetch from leaders from it."
                        + " Set it on a host with several networks to keep the cluster's traffic on one. Empty: the"
                        + " Hazelcast member listens on every interface (and picks 127.0.0.1 as its address when"
                        + " every tcpip member is on loopback), and connections leave from the address the system"
                        + " picks.")
                .define(CLUSTER_ADVERTISED_ADDRESS, Type.STRING, "", Importance.LOW,
                        "host:port at which the other members reach this broker's Hazelcast member, when that is"
                        + " not cluster.host:cluster.port (behind NAT or a proxy). Empty: its own address.")
                .define(CLUSTER_CP_MEMBER_COUNT, Type.INT, -1, Range.atLeast(-1), Importance.MEDIUM,
                        "CP Subsystem members of a standalone broker's Hazelcast member: 0, 3 or more, or -1 for 3"
                        + " when cluster.join is tcpip with three or more members listed and 0 otherwise. With 3 or"
                        + " more the controller is elected through a Raft FencedLock, safe against split brain, and"
                        + " the first election waits until that many brokers have joined; with 0 the broker of the"
                        + " oldest Hazelcast member is controller, which a network partition can split. Inside"
                        + " Payara (cluster.join=payara) Payara's own instance decides: bin/strata-micro gives it"
                        + " -Dhazelcast.cp-subsystem.cp-member-count=3 for three or more tcpip members.")
                .define(CLUSTER_JOIN_TIMEOUT_MS, Type.INT, 5000, Range.atLeast(1000), Importance.LOW,
                        "How long a starting standalone broker with cluster.join=tcpip asks the listed members for a"
                        + " running cluster before the members it reached form a new one (Hazelcast's TCP/IP"
                        + " connection timeout, in whole seconds: rounded up). Brokers that start together all wait"
                        + " this long; one that starts while the cluster runs joins as soon as a member answers. Too"
                        + " short for a slow start, and a broker forms a cluster of its own, which merges with the"
                        + " others' later.")
                .define(CLUSTER_SHUTDOWN_TIMEOUT_MS, Type.INT, 10_000, Range.atLeast(1000), Importance.LOW,
                        "How long a stopping standalone broker waits for its Hazelcast member to leave gracefully:"
                        + " the cluster's shared data it holds handed over and its place in the CP Subsystem given up"
                        + " (Hazelcast's graceful shutdown wait, in whole seconds: rounded up). The broker's own data"
                        + " is on its disk and needs none of it. When it cannot finish, as when the CP Subsystem has"
                        + " lost its majority, the broker waits all of it, and the others treat the member as one"
                        + " that died.")
                .define(BROKER_SESSION_TIMEOUT_MS, Type.INT, 9000, Range.atLeast(2000), Importance.MEDIUM,
                        "A broker not heard from for this long is declared dead and its partitions fail over"
                        + " (Hazelcast's heartbeat timeout).")
                .define(REPLICA_LAG_TIME_MAX_MS, Type.LONG, 30_000L, Range.atLeast(1), Importance.MEDIUM,
                        "A follower that has not caught up with the leader's log end for this long leaves the ISR.")
                .define(REPLICA_FETCH_MAX_BYTES, Type.INT, 1_048_576, Range.atLeast(0), Importance.MEDIUM,
                        "Bytes a follower asks for per partition in one fetch (one batch more if it is larger).")
                .define(REPLICA_FETCH_RESPONSE_MAX_BYTES, Type.INT, 10_485_760, Range.atLeast(0), Importance.MEDIUM,
                        "Bytes a follower asks for in one fetch over all partitions.")
                .define(REPLICA_FETCH_WAIT_MAX_MS, Type.INT, 500, Range.atLeast(0), Importance.MEDIUM,
                        "How long a follower's fetch waits at the leader for new data.")
                .define(REPLICA_FETCH_BACKOFF_MS, Type.INT, 1000, Range.atLeast(0), Importance.LOW,
                        "How long a follower waits after a failed fetch before trying again.")
                .define(REPLICA_SOCKET_TIMEOUT_MS, Type.INT, 30_000, Range.atLeast(1), Importance.LOW,
                        "How long a follower waits for a fetch response before reconnecting.");
        for (Map.Entry<String, String> synonym : TOPIC_SYNONYMS.entrySet()) {
            if (!def.names().contains(synonym.getKey())) {
                ConfigDef.ConfigKey topicKey = LogConfig.definition().configKeys().get(synonym.getValue());
                def.define(synonym.getKey(), topicKey.type, null, topicKey.importance,
                        "Default " + synonym.getValue() + " of topics. " + topicKey.documentation);
            }
        }
        return def;
    }
}
