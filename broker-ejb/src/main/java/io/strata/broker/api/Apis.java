package io.strata.broker.api;

import io.strata.broker.cluster.ClusterMembership;
import io.strata.broker.config.BrokerConfig;
import io.strata.broker.delayed.FetchPurgatory;
import io.strata.broker.group.GroupCoordinator;
import io.strata.broker.metadata.Controller;
import io.strata.broker.network.RequestChannel;
import io.strata.broker.partition.ReplicaManager;
import io.strata.broker.producer.ProducerIdManager;
import io.strata.broker.server.BrokerMetrics;
import io.strata.broker.share.SharePersister;
import io.strata.broker.share.ShareServing;
import io.strata.broker.share.coordinator.ShareCoordinator;
import io.strata.broker.transaction.TransactionCoordinator;
import org.apache.kafka.common.protocol.ApiKeys;

/** Builds the dispatcher with a handler for every API Strata advertises. */
public final class Apis {

    /**
     * What the share-state APIs stand on: the share coordinator, the persister through which the group coordinator's
     * broker reaches it, whether a share group has members (AlterShareGroupOffsets and DeleteShareGroupOffsets are
     * refused NON_EMPTY_GROUP while it has), and the topic partitions a share group has state for or is subscribed to
     * (what DescribeShareGroupOffsets without topics describes); and what serves share consumers at partition
     * leaders (ShareFetch, ShareAcknowledge), or null on a broker built without it: then those two APIs are neither
     * advertised nor served.
     */
    public record Shares(ShareCoordinator coordinator, SharePersister persister,
                         java.util.function.Predicate<String> shareGroupHasMembers,
                         java.util.function.Function<String, java.util.Set<org.apache.kafka.common.TopicPartition>>
                                 shareGroupPartitions, ShareServing serving) {
    }

    private final ApiDispatcher dispatcher;
    private final ApiVersionsHandler apiVersions;

    public Apis(BrokerConfig config, RequestChannel requestChannel, Controller controller,
                ClusterMembership membership, ReplicaManager replicas, FetchPurgatory fetchPurgatory,
                FetchPurgatory replicaFetchPurgatory, GroupCoordinator groups, ProducerIdManager producerIds,
                BrokerMetrics metrics, java.time.Clock clock, TransactionCoordinator transactions, Shares shares) {
        java.util.Set<ApiKeys> withheld = shares.serving() == null
                ? java.util.Set.of(ApiKeys.SHARE_FETCH, ApiKeys.SHARE_ACKNOWLEDGE) : java.util.Set.of();
        apiVersions = new ApiVersionsHandler(requestChannel, withheld);
        dispatcher = new ApiDispatcher(requestChannel, metrics::recordRequest)
                .register(ApiKeys.API_VERSIONS, apiVersions)
                .register(ApiKeys.METADATA, new MetadataHandler(requestChannel, controller, membership,
                        config.autoCreateTopicsEnable))
                .register(ApiKeys.PRODUCE, new ProduceHandler(requestChannel, controller, replicas,
                        transactions.verifier(), config.transactionPartitionVerificationEnable,
                        metrics::recordBytesIn, metrics::recordRecordsIn))
                .register(ApiKeys.FETCH, new FetchHandler(requestChannel, controller, replicas, fetchPurgatory,
                        replicaFetchPurgatory, metrics::recordBytesOut, clock))
                .register(ApiKeys.LIST_OFFSETS, new ListOffsetsHandler(requestChannel, controller, replicas))
                .register(ApiKeys.OFFSET_FOR_LEADER_EPOCH, new OffsetForLeaderEpochHandler(requestChannel, controller,
                        replicas))
                .register(ApiKeys.INIT_PRODUCER_ID, new InitProducerIdHandler(requestChannel, producerIds,
                        transactions))
                // A marker on __consumer_offsets ends the transaction's pending offsets in the group coordinator; on
                // another partition, the share acknowledgements pending in the transaction there.
                .register(ApiKeys.WRITE_TXN_MARKERS, new WriteTxnMarkersHandler(requestChannel, controller, replicas,
                        clock, (tp, producerId, commit) -> tp.topic().equals(GroupCoordinator.OFFSETS_TOPIC)
                                ? groups.completeTransaction(tp.partition(), producerId, commit)
                                : shareAcknowledgements(shares, tp, producerId, commit)))
                .register(ApiKeys.DESCRIBE_PRODUCERS, new DescribeProducersHandler(requestChannel, controller,
                        replicas))
                .register(ApiKeys.DESCRIBE_CLUSTER, new DescribeClusterHandler(requestChannel, controller, membership));
        new GroupHandlers(requestChannel, groups, membership, controller, transactions, shares.coordinator())
                .register(dispatcher);
        new ShareStateHandlers(requestChannel, shares.coordinator(), controller).register(dispatcher);
        new ShareOffsetsHandlers(requestChannel, groups, controller, shares.persister(), shares.shareGroupHasMembers(),
                shares.shareGroupPartitions(), tp -> {
                    io.strata.broker.partition.Partition partition = replicas.partition(tp);
                    return partition == null ? -1 : partition.highWatermark();
                }).register(dispatcher);
        new TransactionHandlers(requestChannel, transactions, groups, controller,
                config.transactionPartitionVerificationEnable).register(dispatcher);
        new AdminHandlers(requestChannel, controller, replicas, config).register(dispatcher);
        new PartitionAdminHandlers(requestChannel, controller).register(dispatcher);
        new SaslHandlers(requestChannel).register(dispatcher);
        if (shares.serving() != null) {
            new ShareFetchHandlers(requestChannel, controller, membership, replicas, shares.serving(),
                    metrics::recordBytesOut, clock, transactions.verifier()).register(dispatcher);
        }
        dispatcher.checkComplete(withheld);
    }

    /** The end of the share acknowledgements pending in a producer's transaction on a partition, or null. */
    private static java.util.concurrent.CompletableFuture<org.apache.kafka.common.protocol.Errors>
    shareAcknowledgements(Shares shares, org.apache.kafka.common.TopicPartition partition, long producerId,
                          boolean commit) {
        return shares.serving() == null ? null
                : shares.serving().partitions().completeTransaction(partition, producerId, commit);
    }

    public ApiDispatcher dispatcher() {
        return dispatcher;
    }

    /**
     * The ApiVersions answer at a request version, for the network layer to give a SASL listener's clients before
     * they authenticate: the same APIs as once they have.
     */
    public org.apache.kafka.common.requests.ApiVersionsResponse apiVersionsResponse(short version) {
        return apiVersions.response();
    }
}
