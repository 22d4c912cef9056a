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
import io.strata.broker.share.ShareServing;
import io.strata.broker.transaction.TransactionCoordinator;
import org.apache.kafka.common.protocol.ApiKeys;

/** Builds the dispatcher with a handler for every API Strata advertises. */
public final class Apis {

    private final ApiDispatcher dispatcher;

    public Apis(BrokerConfig config, RequestChannel requestChannel, Controller controller,
                ClusterMembership membership, ReplicaManager replicas, FetchPurgatory fetchPurgatory,
                FetchPurgatory replicaFetchPurgatory, GroupCoordinator groups, ProducerIdManager producerIds,
                BrokerMetrics metrics, java.time.Clock clock, TransactionCoordinator transactions) {
        this(config, requestChannel, controller, membership, replicas, fetchPurgatory, replicaFetchPurgatory, groups,
                producerIds, metrics, clock, transactions, null);
    }

    /**
     * @param share what serves share consumers, or null on a broker built without a share-state persister: then
     *              ShareFetch and ShareAcknowledge are neither advertised nor served
     */
    public Apis(BrokerConfig config, RequestChannel requestChannel, Controller controller,
                ClusterMembership membership, ReplicaManager replicas, FetchPurgatory fetchPurgatory,
                FetchPurgatory replicaFetchPurgatory, GroupCoordinator groups, ProducerIdManager producerIds,
                BrokerMetrics metrics, java.time.Clock clock, TransactionCoordinator transactions,
                ShareServing share) {
        java.util.Set<ApiKeys> withheld = share == null
                ? java.util.Set.of(ApiKeys.SHARE_FETCH, ApiKeys.SHARE_ACKNOWLEDGE) : java.util.Set.of();
        dispatcher = new ApiDispatcher(requestChannel, metrics::recordRequest)
                .register(ApiKeys.API_VERSIONS, new ApiVersionsHandler(requestChannel, withheld))
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
                // A marker on __consumer_offsets ends the transaction's pending offsets in the group coordinator.
                .register(ApiKeys.WRITE_TXN_MARKERS, new WriteTxnMarkersHandler(requestChannel, controller, replicas,
                        clock, (tp, producerId, commit) -> tp.topic().equals(GroupCoordinator.OFFSETS_TOPIC)
                                ? groups.completeTransaction(tp.partition(), producerId, commit) : null))
                .register(ApiKeys.DESCRIBE_PRODUCERS, new DescribeProducersHandler(requestChannel, controller,
                        replicas))
                .register(ApiKeys.DESCRIBE_CLUSTER, new DescribeClusterHandler(requestChannel, controller, membership));
        new GroupHandlers(requestChannel, groups, membership, controller, transactions).register(dispatcher);
        new TransactionHandlers(requestChannel, transactions, groups, controller,
                config.transactionPartitionVerificationEnable).register(dispatcher);
        new AdminHandlers(requestChannel, controller, replicas, config).register(dispatcher);
        new PartitionAdminHandlers(requestChannel, controller).register(dispatcher);
        if (share != null) {
            new ShareFetchHandlers(requestChannel, controller, membership, replicas, share, metrics::recordBytesOut,
                    clock).register(dispatcher);
        }
        dispatcher.checkComplete(withheld);
    }

    public ApiDispatcher dispatcher() {
        return dispatcher;
    }
}
