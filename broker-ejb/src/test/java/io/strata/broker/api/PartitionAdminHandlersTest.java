package io.strata.broker.api;

import org.apache.kafka.common.ElectionType;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData.ReassignablePartition;
import org.apache.kafka.common.message.AlterPartitionReassignmentsRequestData.ReassignableTopic;
import org.apache.kafka.common.message.ListPartitionReassignmentsRequestData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AlterPartitionReassignmentsRequest;
import org.apache.kafka.common.requests.AlterPartitionReassignmentsResponse;
import org.apache.kafka.common.requests.ElectLeadersRequest;
import org.apache.kafka.common.requests.ElectLeadersResponse;
import org.apache.kafka.common.requests.ListPartitionReassignmentsRequest;
import org.apache.kafka.common.requests.ListPartitionReassignmentsResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * ElectLeaders and the partition reassignment APIs through the real handlers and controller, without sockets. With
 * one broker nothing can move: these pin the answers that say so.
 */
@Timeout(60)
class PartitionAdminHandlersTest {

    @TempDir
    Path dir;
    HandlerFixture broker;

    @BeforeEach
    void start() {
        broker = HandlerFixture.start(dir);
        broker.createTopic("orders", 1);
    }

    @AfterEach
    void stop() {
        broker.close();
    }

    @Test
    void electingThePreferredLeaderWhereItAlreadyLeadsIsAnsweredWithElectionNotNeeded() throws Exception {
        assertThat(electPreferred(new TopicPartition("orders", 0))).isEqualTo(Errors.ELECTION_NOT_NEEDED);
    }

    @Test
    void electingForAnUnknownPartitionIsAnsweredWithUnknownTopicOrPartition() throws Exception {
        assertThat(electPreferred(new TopicPartition("orders", 9))).isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
    }

    @Test
    void reassigningToABrokerThatDoesNotExistIsRefusedAndNothingMoves() throws Exception {
        Errors error = reassign("orders", List.of(1, 2));

        assertThat(error).isEqualTo(Errors.INVALID_REPLICA_ASSIGNMENT);
        assertThat(ongoingReassignments().data().topics()).isEmpty();
        assertThat(broker.controller().image().topic("orders").partition(0).replicas()).containsExactly(1);
    }

    @Test
    void cancellingAReassignmentThatIsNotUnderWayIsAnsweredWithNoReassignmentInProgress() throws Exception {
        assertThat(reassign("orders", null)).isEqualTo(Errors.NO_REASSIGNMENT_IN_PROGRESS);
    }

    @Test
    void noReassignmentIsListedWhenNoneIsUnderWay() throws Exception {
        ListPartitionReassignmentsResponse response = ongoingReassignments();

        assertThat(Errors.forCode(response.data().errorCode())).isEqualTo(Errors.NONE);
        assertThat(response.data().topics()).isEmpty();
    }

    private Errors electPreferred(TopicPartition tp) throws Exception {
        ElectLeadersResponse response = broker.send(new ElectLeadersRequest.Builder(ElectionType.PREFERRED,
                Set.of(tp), 10_000), ElectLeadersResponse.class);
        assertThat(Errors.forCode(response.data().errorCode())).isEqualTo(Errors.NONE);
        assertThat(response.data().replicaElectionResults()).singleElement()
                .satisfies(topic -> assertThat(topic.partitionResult()).hasSize(1));
        return Errors.forCode(response.data().replicaElectionResults().get(0).partitionResult().get(0).errorCode());
    }

    private Errors reassign(String topic, List<Integer> replicas) throws Exception {
        AlterPartitionReassignmentsResponse response = broker.send(new AlterPartitionReassignmentsRequest.Builder(
                new AlterPartitionReassignmentsRequestData().setTimeoutMs(10_000).setTopics(List.of(
                        new ReassignableTopic().setName(topic).setPartitions(List.of(new ReassignablePartition()
                                .setPartitionIndex(0).setReplicas(replicas)))))),
                AlterPartitionReassignmentsResponse.class);
        assertThat(Errors.forCode(response.data().errorCode())).isEqualTo(Errors.NONE);
        return Errors.forCode(response.data().responses().get(0).partitions().get(0).errorCode());
    }

    private ListPartitionReassignmentsResponse ongoingReassignments() throws Exception {
        return broker.send(new ListPartitionReassignmentsRequest.Builder(new ListPartitionReassignmentsRequestData()
                .setTopics(null).setTimeoutMs(10_000)), ListPartitionReassignmentsResponse.class);
    }
}
