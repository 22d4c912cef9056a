package io.strata.broker.it;

import io.strata.broker.api.SupportedApis;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.AlterConfigsRequestData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.ApiVersionsRequestData;
import org.apache.kafka.common.message.CreatePartitionsRequestData;
import org.apache.kafka.common.message.CreateTopicsRequestData;
import org.apache.kafka.common.message.DeleteGroupsRequestData;
import org.apache.kafka.common.message.DeleteRecordsRequestData;
import org.apache.kafka.common.message.DeleteTopicsRequestData;
import org.apache.kafka.common.message.DescribeClusterRequestData;
import org.apache.kafka.common.message.DescribeConfigsRequestData;
import org.apache.kafka.common.message.DescribeGroupsRequestData;
import org.apache.kafka.common.message.ElectLeadersRequestData;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.HeartbeatRequestData;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.LeaveGroupRequestData;
import org.apache.kafka.common.message.ListGroupsRequestData;
import org.apache.kafka.common.message.ListOffsetsRequestData;
import org.apache.kafka.common.message.ListPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.MetadataRequestData;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.OffsetFetchRequestData;
import org.apache.kafka.common.message.ProduceRequestData;
import org.apache.kafka.common.message.RequestHeaderData;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.WriteTxnMarkersRequestData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestUtils;
import org.apache.kafka.common.requests.ResponseHeader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.IntFunction;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every advertised API at every version it is advertised with: a request is answered (not with a closed connection,
 * not with UNSUPPORTED_VERSION), and the answer decodes at that version. A response field a version lacks must be
 * left at its default, or kafka-clients refuses to write it; old clients such as librdkafka use such versions.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ApiVersionSweepTest {

    @TempDir
    static Path dir;
    static TestBroker broker;
    static Uuid topicId;

    @BeforeAll
    static void startBroker() {
        broker = new TestBroker(dir, Map.of());
        broker.serveShareGroups(new io.strata.broker.share.InMemorySharePersister(), group ->
                io.strata.broker.share.ShareGroupSettings.DEFAULTS);
        broker.start();
        broker.createTopic("sweep", 1, Map.of());
        topicId = broker.server().controller().image().topic("sweep").id();
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    private static Map<ApiKeys, IntFunction<ApiMessage>> requests() {
        Map<ApiKeys, IntFunction<ApiMessage>> requests = new EnumMap<>(ApiKeys.class);
        requests.put(ApiKeys.API_VERSIONS, v -> v >= 3
                ? new ApiVersionsRequestData().setClientSoftwareName("sweep").setClientSoftwareVersion("1.0")
                : new ApiVersionsRequestData());
        requests.put(ApiKeys.METADATA, v -> {
            MetadataRequestData data = new MetadataRequestData().setTopics(List.of(
                    new MetadataRequestData.MetadataRequestTopic().setName("sweep")));
            return v >= 4 ? data.setAllowAutoTopicCreation(false) : data;
        });
        requests.put(ApiKeys.LIST_OFFSETS, v -> new ListOffsetsRequestData().setReplicaId(-1).setTopics(List.of(
                new ListOffsetsRequestData.ListOffsetsTopic().setName("sweep").setPartitions(List.of(
                        new ListOffsetsRequestData.ListOffsetsPartition().setPartitionIndex(0).setTimestamp(-1))))));
        requests.put(ApiKeys.FIND_COORDINATOR, v -> v >= 4
                ? new FindCoordinatorRequestData().setCoordinatorKeys(List.of("sweep-group"))
                : new FindCoordinatorRequestData().setKey("sweep-group"));
        requests.put(ApiKeys.PRODUCE, v -> {
            ProduceRequestData.TopicProduceData topic = new ProduceRequestData.TopicProduceData();
            if (v >= 13) {
                topic.setTopicId(topicId);
            } else {
                topic.setName("sweep");
            }
            topic.setPartitionData(List.of(new ProduceRequestData.PartitionProduceData().setIndex(0).setRecords(
                    MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(("v" + v).getBytes())))));
            ProduceRequestData data = new ProduceRequestData().setAcks((short) 1).setTimeoutMs(5000);
            data.topicData().add(topic);
            return data;
        });
        requests.put(ApiKeys.FETCH, v -> {
            FetchRequestData.FetchTopic topic = new FetchRequestData.FetchTopic().setPartitions(List.of(
                    new FetchRequestData.FetchPartition().setPartition(0).setFetchOffset(0)
                            .setPartitionMaxBytes(1 << 16)));
            if (v >= 13) {
                topic.setTopicId(topicId);
            } else {
                topic.setTopic("sweep");
            }
            FetchRequestData data = new FetchRequestData().setMaxWaitMs(0).setMinBytes(0).setMaxBytes(1 << 20)
                    .setTopics(List.of(topic));
            if (v < 15) {
                data.setReplicaId(-1);
            }
            return v >= 7 ? data.setSessionEpoch(-1) : data;
        });
        requests.put(ApiKeys.INIT_PRODUCER_ID, v -> new InitProducerIdRequestData().setTransactionTimeoutMs(60_000));
        requests.put(ApiKeys.JOIN_GROUP, v -> {
            JoinGroupRequestData.JoinGroupRequestProtocolCollection protocols =
                    new JoinGroupRequestData.JoinGroupRequestProtocolCollection();
            protocols.add(new JoinGroupRequestData.JoinGroupRequestProtocol().setName("range").setMetadata(new byte[0]));
            JoinGroupRequestData data = new JoinGroupRequestData().setGroupId("sweep-join-" + v).setMemberId("")
                    .setProtocolType("consumer").setSessionTimeoutMs(10_000).setProtocols(protocols);
            return v >= 1 ? data.setRebalanceTimeoutMs(10_000) : data;
        });
        requests.put(ApiKeys.SYNC_GROUP, v -> new SyncGroupRequestData().setGroupId("sweep-group").setMemberId("nobody")
                .setGenerationId(1));
        requests.put(ApiKeys.HEARTBEAT, v -> new HeartbeatRequestData().setGroupId("sweep-group").setMemberId("nobody")
                .setGenerationId(1));
        requests.put(ApiKeys.LEAVE_GROUP, v -> v >= 3
                ? new LeaveGroupRequestData().setGroupId("sweep-group").setMembers(List.of(
                        new LeaveGroupRequestData.MemberIdentity().setMemberId("nobody")))
                : new LeaveGroupRequestData().setGroupId("sweep-group").setMemberId("nobody"));
        requests.put(ApiKeys.OFFSET_COMMIT, v -> {
            OffsetCommitRequestData.OffsetCommitRequestTopic topic = new OffsetCommitRequestData.OffsetCommitRequestTopic()
                    .setPartitions(List.of(new OffsetCommitRequestData.OffsetCommitRequestPartition()
                            .setPartitionIndex(0).setCommittedOffset(1)));
            if (v >= 10) {
                topic.setTopicId(topicId);
            } else {
                topic.setName("sweep");
            }
            return new OffsetCommitRequestData().setGroupId("sweep-commit").setGenerationIdOrMemberEpoch(-1)
                    .setMemberId("").setTopics(List.of(topic));
        });
        requests.put(ApiKeys.OFFSET_FETCH, v -> {
            if (v < 8) {
                return new OffsetFetchRequestData().setGroupId("sweep-commit").setTopics(List.of(
                        new OffsetFetchRequestData.OffsetFetchRequestTopic().setName("sweep")
                                .setPartitionIndexes(List.of(0))));
            }
            OffsetFetchRequestData.OffsetFetchRequestTopics topic = new OffsetFetchRequestData.OffsetFetchRequestTopics()
                    .setPartitionIndexes(List.of(0));
            if (v >= 10) {
                topic.setTopicId(topicId);
            } else {
                topic.setName("sweep");
            }
            return new OffsetFetchRequestData().setGroups(List.of(new OffsetFetchRequestData.OffsetFetchRequestGroup()
                    .setGroupId("sweep-commit").setTopics(List.of(topic))));
        });
        requests.put(ApiKeys.OFFSET_DELETE, v -> {
            OffsetDeleteRequestData.OffsetDeleteRequestTopicCollection topics =
                    new OffsetDeleteRequestData.OffsetDeleteRequestTopicCollection();
            topics.add(new OffsetDeleteRequestData.OffsetDeleteRequestTopic().setName("sweep").setPartitions(List.of(
                    new OffsetDeleteRequestData.OffsetDeleteRequestPartition().setPartitionIndex(0))));
            return new OffsetDeleteRequestData().setGroupId("sweep-commit").setTopics(topics);
        });
        requests.put(ApiKeys.DESCRIBE_GROUPS, v -> new DescribeGroupsRequestData().setGroups(List.of("sweep-commit")));
        requests.put(ApiKeys.LIST_GROUPS, v -> new ListGroupsRequestData());
        requests.put(ApiKeys.DELETE_GROUPS, v -> new DeleteGroupsRequestData().setGroupsNames(List.of("no-such-group")));
        requests.put(ApiKeys.CREATE_TOPICS, v -> {
            CreateTopicsRequestData.CreatableTopicCollection topics = new CreateTopicsRequestData.CreatableTopicCollection();
            topics.add(new CreateTopicsRequestData.CreatableTopic().setName("sweep-created-" + v).setNumPartitions(1)
                    .setReplicationFactor((short) 1));
            return new CreateTopicsRequestData().setTopics(topics).setTimeoutMs(5000);
        });
        requests.put(ApiKeys.DELETE_TOPICS, v -> v >= 6
                ? new DeleteTopicsRequestData().setTopics(List.of(new DeleteTopicsRequestData.DeleteTopicState()
                        .setName("sweep-created-" + (ApiKeys.CREATE_TOPICS.latestVersion()))))
                        .setTimeoutMs(5000)
                : new DeleteTopicsRequestData().setTopicNames(List.of("sweep-created-2")).setTimeoutMs(5000));
        requests.put(ApiKeys.CREATE_PARTITIONS, v -> {
            CreatePartitionsRequestData.CreatePartitionsTopicCollection topics =
                    new CreatePartitionsRequestData.CreatePartitionsTopicCollection();
            topics.add(new CreatePartitionsRequestData.CreatePartitionsTopic().setName("sweep").setCount(1)
                    .setAssignments(null));
            return new CreatePartitionsRequestData().setTopics(topics).setTimeoutMs(5000).setValidateOnly(true);
        });
        requests.put(ApiKeys.DESCRIBE_CONFIGS, v -> new DescribeConfigsRequestData().setResources(List.of(
                new DescribeConfigsRequestData.DescribeConfigsResource().setResourceType((byte) 2)
                        .setResourceName("sweep").setConfigurationKeys(null))));
        requests.put(ApiKeys.ALTER_CONFIGS, v -> {
            AlterConfigsRequestData.AlterConfigsResourceCollection resources =
                    new AlterConfigsRequestData.AlterConfigsResourceCollection();
            resources.add(new AlterConfigsRequestData.AlterConfigsResource().setResourceType((byte) 2)
                    .setResourceName("sweep"));
            return new AlterConfigsRequestData().setResources(resources).setValidateOnly(true);
        });
        requests.put(ApiKeys.INCREMENTAL_ALTER_CONFIGS, v -> {
            IncrementalAlterConfigsRequestData.AlterConfigsResourceCollection resources =
                    new IncrementalAlterConfigsRequestData.AlterConfigsResourceCollection();
            resources.add(new IncrementalAlterConfigsRequestData.AlterConfigsResource().setResourceType((byte) 2)
                    .setResourceName("sweep"));
            return new IncrementalAlterConfigsRequestData().setResources(resources).setValidateOnly(true);
        });
        requests.put(ApiKeys.DESCRIBE_CLUSTER, v -> new DescribeClusterRequestData());
        requests.put(ApiKeys.DELETE_RECORDS, v -> new DeleteRecordsRequestData().setTimeoutMs(5000).setTopics(List.of(
                new DeleteRecordsRequestData.DeleteRecordsTopic().setName("sweep").setPartitions(List.of(
                        new DeleteRecordsRequestData.DeleteRecordsPartition().setPartitionIndex(0).setOffset(0))))));
        requests.put(ApiKeys.OFFSET_FOR_LEADER_EPOCH, v -> {
            org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderTopicCollection topics =
                    new org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderTopicCollection();
            topics.add(new org.apache.kafka.common.message.OffsetForLeaderEpochRequestData.OffsetForLeaderTopic()
                    .setTopic("sweep").setPartitions(List.of(
                            new org.apache.kafka.common.message.OffsetForLeaderEpochRequestData
                                    .OffsetForLeaderPartition().setPartition(0).setLeaderEpoch(0)
                                    .setCurrentLeaderEpoch(-1))));
            return new org.apache.kafka.common.message.OffsetForLeaderEpochRequestData().setReplicaId(-1)
                    .setTopics(topics);
        });
        requests.put(ApiKeys.ELECT_LEADERS, v -> {
            ElectLeadersRequestData.TopicPartitionsCollection topics = new ElectLeadersRequestData.TopicPartitionsCollection();
            topics.add(new ElectLeadersRequestData.TopicPartitions().setTopic("sweep").setPartitions(List.of(0)));
            return new ElectLeadersRequestData().setElectionType((byte) 0).setTopicPartitions(topics);
        });
        requests.put(ApiKeys.ALTER_PARTITION_REASSIGNMENTS, v -> new AlterPartitionReassignmentsRequestData()
                .setTopics(List.of(new AlterPartitionReassignmentsRequestData.ReassignableTopic().setName("sweep")
                        .setPartitions(List.of(new AlterPartitionReassignmentsRequestData.ReassignablePartition()
                                .setPartitionIndex(0).setReplicas(null))))));
        requests.put(ApiKeys.WRITE_TXN_MARKERS, v -> new WriteTxnMarkersRequestData().setMarkers(List.of(
                new WriteTxnMarkersRequestData.WritableTxnMarker().setProducerId(4_000_000L).setProducerEpoch((short) 0)
                        .setCoordinatorEpoch(0).setTransactionResult(false).setTopics(List.of(
                                new WriteTxnMarkersRequestData.WritableTxnMarkerTopic().setName("sweep")
                                        .setPartitionIndexes(List.of(0)))))));
        requests.put(ApiKeys.LIST_PARTITION_REASSIGNMENTS, v -> new ListPartitionReassignmentsRequestData()
                .setTopics(null));
        requests.put(ApiKeys.ADD_PARTITIONS_TO_TXN, v -> {
            org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTopicCollection topics =
                    new org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTopicCollection();
            topics.add(new org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTopic()
                    .setName("sweep").setPartitions(List.of(0)));
            if (v >= 4) { // the brokers' batched form (KIP-890)
                org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTopicCollection
                        brokerTopics = new org.apache.kafka.common.message.AddPartitionsToTxnRequestData
                        .AddPartitionsToTxnTopicCollection();
                brokerTopics.add(new org.apache.kafka.common.message.AddPartitionsToTxnRequestData
                        .AddPartitionsToTxnTopic().setName("sweep").setPartitions(List.of(0)));
                org.apache.kafka.common.message.AddPartitionsToTxnRequestData.AddPartitionsToTxnTransactionCollection
                        transactions = new org.apache.kafka.common.message.AddPartitionsToTxnRequestData
                        .AddPartitionsToTxnTransactionCollection();
                transactions.add(new org.apache.kafka.common.message.AddPartitionsToTxnRequestData
                        .AddPartitionsToTxnTransaction().setTransactionalId("sweep-tx").setProducerId(1)
                        .setProducerEpoch((short) 0).setVerifyOnly(true).setTopics(brokerTopics));
                return new org.apache.kafka.common.message.AddPartitionsToTxnRequestData()
                        .setTransactions(transactions);
            }
            return new org.apache.kafka.common.message.AddPartitionsToTxnRequestData()
                    .setV3AndBelowTransactionalId("sweep-tx").setV3AndBelowProducerId(1)
                    .setV3AndBelowProducerEpoch((short) 0).setV3AndBelowTopics(topics);
        });
        requests.put(ApiKeys.ADD_OFFSETS_TO_TXN, v -> new org.apache.kafka.common.message.AddOffsetsToTxnRequestData()
                .setTransactionalId("sweep-tx").setProducerId(1).setProducerEpoch((short) 0).setGroupId("sweep-group"));
        requests.put(ApiKeys.END_TXN, v -> new org.apache.kafka.common.message.EndTxnRequestData()
                .setTransactionalId("sweep-tx").setProducerId(1).setProducerEpoch((short) 0).setCommitted(true));
        requests.put(ApiKeys.TXN_OFFSET_COMMIT, v -> new org.apache.kafka.common.message.TxnOffsetCommitRequestData()
                .setTransactionalId("sweep-tx").setGroupId("sweep-group").setProducerId(1)
                .setProducerEpoch((short) 0).setTopics(List.of(
                        new org.apache.kafka.common.message.TxnOffsetCommitRequestData.TxnOffsetCommitRequestTopic()
                                .setName("sweep").setPartitions(List.of(new org.apache.kafka.common.message
                                        .TxnOffsetCommitRequestData.TxnOffsetCommitRequestPartition()
                                        .setPartitionIndex(0).setCommittedOffset(0))))));
        requests.put(ApiKeys.DESCRIBE_TRANSACTIONS, v -> new org.apache.kafka.common.message
                .DescribeTransactionsRequestData().setTransactionalIds(List.of("sweep-tx")));
        requests.put(ApiKeys.LIST_TRANSACTIONS, v -> new org.apache.kafka.common.message.ListTransactionsRequestData());
        requests.put(ApiKeys.DESCRIBE_PRODUCERS, v -> new org.apache.kafka.common.message
                .DescribeProducersRequestData().setTopics(List.of(new org.apache.kafka.common.message
                        .DescribeProducersRequestData.TopicRequest().setName("sweep")
                        .setPartitionIndexes(List.of(0)))));
        requests.put(ApiKeys.CONSUMER_GROUP_HEARTBEAT, v -> new org.apache.kafka.common.message
                .ConsumerGroupHeartbeatRequestData().setGroupId("sweep-consumer-group").setMemberId("m-" + v)
                .setMemberEpoch(0).setRebalanceTimeoutMs(30_000).setSubscribedTopicNames(List.of("sweep"))
                .setTopicPartitions(List.of()));
        requests.put(ApiKeys.CONSUMER_GROUP_DESCRIBE, v -> new org.apache.kafka.common.message
                .ConsumerGroupDescribeRequestData().setGroupIds(List.of("sweep-consumer-group")));
        requests.put(ApiKeys.SHARE_GROUP_HEARTBEAT, v -> new org.apache.kafka.common.message
                .ShareGroupHeartbeatRequestData().setGroupId("sweep-share-group").setMemberId(Uuid.randomUuid()
                        .toString()).setMemberEpoch(0).setSubscribedTopicNames(List.of("sweep")));
        requests.put(ApiKeys.SHARE_GROUP_DESCRIBE, v -> new org.apache.kafka.common.message
                .ShareGroupDescribeRequestData().setGroupIds(List.of("sweep-share-group")));
        shareStateRequests(requests);
        requests.put(ApiKeys.SHARE_FETCH, v -> {
            org.apache.kafka.common.message.ShareFetchRequestData.FetchTopicCollection topics =
                    new org.apache.kafka.common.message.ShareFetchRequestData.FetchTopicCollection();
            org.apache.kafka.common.message.ShareFetchRequestData.FetchTopic topic =
                    new org.apache.kafka.common.message.ShareFetchRequestData.FetchTopic().setTopicId(topicId);
            topic.partitions().add(new org.apache.kafka.common.message.ShareFetchRequestData.FetchPartition()
                    .setPartitionIndex(0));
            topics.add(topic);
            return new org.apache.kafka.common.message.ShareFetchRequestData().setGroupId("sweep-share")
                    .setMemberId("m-" + v).setShareSessionEpoch(0).setMaxWaitMs(0).setMinBytes(1)
                    .setMaxRecords(10).setBatchSize(10).setTopics(topics);
        });
        requests.put(ApiKeys.SHARE_ACKNOWLEDGE, v -> new org.apache.kafka.common.message
                .ShareAcknowledgeRequestData().setGroupId("sweep-share").setMemberId("m-" + v)
                .setShareSessionEpoch(1));
        // On this PLAINTEXT listener there is nothing to authenticate: both are answered ILLEGAL_SASL_STATE.
        requests.put(ApiKeys.SASL_HANDSHAKE, v -> new org.apache.kafka.common.message.SaslHandshakeRequestData()
                .setMechanism("PLAIN"));
        requests.put(ApiKeys.SASL_AUTHENTICATE, v -> new org.apache.kafka.common.message.SaslAuthenticateRequestData()
                .setAuthBytes(new byte[0]));
        return requests;
    }

    /** The share coordinator's inter-broker APIs and the admin APIs of share-group offsets. */
    private static void shareStateRequests(Map<ApiKeys, IntFunction<ApiMessage>> requests) {
        requests.put(ApiKeys.INITIALIZE_SHARE_GROUP_STATE, v -> new org.apache.kafka.common.message
                .InitializeShareGroupStateRequestData().setGroupId("sweep-share").setTopics(List.of(
                        new org.apache.kafka.common.message.InitializeShareGroupStateRequestData.InitializeStateData()
                                .setTopicId(topicId).setPartitions(List.of(new org.apache.kafka.common.message
                                        .InitializeShareGroupStateRequestData.PartitionData().setPartition(0)
                                        .setStateEpoch(1).setStartOffset(0))))));
        requests.put(ApiKeys.READ_SHARE_GROUP_STATE, v -> new org.apache.kafka.common.message
                .ReadShareGroupStateRequestData().setGroupId("sweep-share").setTopics(List.of(
                        new org.apache.kafka.common.message.ReadShareGroupStateRequestData.ReadStateData()
                                .setTopicId(topicId).setPartitions(List.of(new org.apache.kafka.common.message
                                        .ReadShareGroupStateRequestData.PartitionData().setPartition(0)
                                        .setLeaderEpoch(0))))));
        requests.put(ApiKeys.WRITE_SHARE_GROUP_STATE, v -> new org.apache.kafka.common.message
                .WriteShareGroupStateRequestData().setGroupId("sweep-share").setTopics(List.of(
                        new org.apache.kafka.common.message.WriteShareGroupStateRequestData.WriteStateData()
                                .setTopicId(topicId).setPartitions(List.of(new org.apache.kafka.common.message
                                        .WriteShareGroupStateRequestData.PartitionData().setPartition(0)
                                        .setLeaderEpoch(0).setStateEpoch(1).setStartOffset(0))))));
        requests.put(ApiKeys.DELETE_SHARE_GROUP_STATE, v -> new org.apache.kafka.common.message
                .DeleteShareGroupStateRequestData().setGroupId("sweep-share-deleted").setTopics(List.of(
                        new org.apache.kafka.common.message.DeleteShareGroupStateRequestData.DeleteStateData()
                                .setTopicId(topicId).setPartitions(List.of(new org.apache.kafka.common.message
                                        .DeleteShareGroupStateRequestData.PartitionData().setPartition(0))))));
        requests.put(ApiKeys.READ_SHARE_GROUP_STATE_SUMMARY, v -> new org.apache.kafka.common.message
                .ReadShareGroupStateSummaryRequestData().setGroupId("sweep-share").setTopics(List.of(
                        new org.apache.kafka.common.message.ReadShareGroupStateSummaryRequestData
                                .ReadStateSummaryData().setTopicId(topicId).setPartitions(List.of(
                                        new org.apache.kafka.common.message.ReadShareGroupStateSummaryRequestData
                                                .PartitionData().setPartition(0))))));
        requests.put(ApiKeys.DESCRIBE_SHARE_GROUP_OFFSETS, v -> new org.apache.kafka.common.message
                .DescribeShareGroupOffsetsRequestData().setGroups(List.of(new org.apache.kafka.common.message
                        .DescribeShareGroupOffsetsRequestData.DescribeShareGroupOffsetsRequestGroup()
                        .setGroupId("sweep-share").setTopics(List.of(new org.apache.kafka.common.message
                                .DescribeShareGroupOffsetsRequestData.DescribeShareGroupOffsetsRequestTopic()
                                .setTopicName("sweep").setPartitions(List.of(0)))))));
        requests.put(ApiKeys.ALTER_SHARE_GROUP_OFFSETS, v -> new org.apache.kafka.common.message
                .AlterShareGroupOffsetsRequestData().setGroupId("sweep-share-altered").setTopics(
                        new org.apache.kafka.common.message.AlterShareGroupOffsetsRequestData
                                .AlterShareGroupOffsetsRequestTopicCollection(List.of(new org.apache.kafka.common
                                .message.AlterShareGroupOffsetsRequestData.AlterShareGroupOffsetsRequestTopic()
                                .setTopicName("sweep").setPartitions(List.of(new org.apache.kafka.common.message
                                        .AlterShareGroupOffsetsRequestData.AlterShareGroupOffsetsRequestPartition()
                                        .setPartitionIndex(0).setStartOffset(0)))).iterator())));
        requests.put(ApiKeys.DELETE_SHARE_GROUP_OFFSETS, v -> new org.apache.kafka.common.message
                .DeleteShareGroupOffsetsRequestData().setGroupId("sweep-share-deleted").setTopics(List.of(
                        new org.apache.kafka.common.message.DeleteShareGroupOffsetsRequestData
                                .DeleteShareGroupOffsetsRequestTopic().setTopicName("sweep"))));
    }

    @Test
    void everyImplementedApiAnswersAtEveryAdvertisedVersion() throws Exception {
        Map<ApiKeys, IntFunction<ApiMessage>> requests = requests();
        assertThat(requests.keySet()).containsExactlyInAnyOrderElementsOf(SupportedApis.implemented());
        List<String> failures = new ArrayList<>();
        int correlationId = 0;
        try (Socket socket = new Socket("127.0.0.1", Integer.parseInt(broker.bootstrapServers().split(":")[1]))) {
            socket.setSoTimeout(15_000);
            for (Map.Entry<ApiKeys, IntFunction<ApiMessage>> api : requests.entrySet()) {
                ApiKeys key = api.getKey();
                for (short v = key.oldestVersion(); v <= SupportedApis.latestVersion(key); v++) {
                    correlationId++;
                    String failure = exchange(socket, key, v, api.getValue().apply(v), correlationId);
                    if (failure != null) {
                        failures.add(key + " v" + v + ": " + failure);
                    }
                }
            }
        }
        assertThat(failures).isEmpty();
    }

    private static String exchange(Socket socket, ApiKeys key, short version, ApiMessage body, int correlationId)
            throws IOException {
        RequestHeaderData header = new RequestHeaderData().setRequestApiKey(key.id).setRequestApiVersion(version)
                .setClientId("sweep").setCorrelationId(correlationId);
        ByteBuffer payload = RequestUtils.serialize(header, key.requestHeaderVersion(version), body, version);
        OutputStream out = socket.getOutputStream();
        out.write(ByteBuffer.allocate(4).putInt(payload.remaining()).array());
        out.write(payload.array(), payload.arrayOffset(), payload.remaining());
        out.flush();
        DataInputStream in = new DataInputStream(socket.getInputStream());
        byte[] response;
        try {
            response = new byte[in.readInt()];
            in.readFully(response);
        } catch (IOException e) {
            return "no response: " + e;
        }
        ByteBuffer buffer = ByteBuffer.wrap(response);
        ResponseHeader responseHeader = ResponseHeader.parse(buffer, key.responseHeaderVersion(version));
        if (responseHeader.correlationId() != correlationId) {
            return "correlation id " + responseHeader.correlationId() + ", expected " + correlationId;
        }
        AbstractResponse parsed;
        try {
            parsed = AbstractResponse.parseResponse(key, new ByteBufferAccessor(buffer), version);
        } catch (RuntimeException e) {
            return "response does not decode: " + e;
        }
        Integer unsupported = parsed.errorCounts().get(Errors.UNSUPPORTED_VERSION);
        return unsupported == null ? null : "answered UNSUPPORTED_VERSION: " + parsed;
    }
}
