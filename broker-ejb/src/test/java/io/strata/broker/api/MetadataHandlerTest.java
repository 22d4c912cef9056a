package io.strata.broker.api;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseBroker;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponsePartition;
import org.apache.kafka.common.message.MetadataResponseData.MetadataResponseTopic;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.requests.MetadataResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Metadata through the real handler and controller, without sockets: what clients learn and what gets created. */
@Timeout(60)
class MetadataHandlerTest {

    @TempDir
    Path dir;
    HandlerFixture broker;

    @AfterEach
    void stop() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void everyTopicIsListedWithItsPartitionsLedByThisBrokerAsAdvertised() throws Exception {
        broker = HandlerFixture.start(dir);
        broker.createTopic("orders", 3);

        MetadataResponse response = broker.send(MetadataRequest.Builder.allTopics(), MetadataResponse.class);

        assertThat(response.data().brokers()).extracting(MetadataResponseBroker::nodeId,
                MetadataResponseBroker::host, MetadataResponseBroker::port)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(1, "127.0.0.1", 9092));
        assertThat(response.data().controllerId()).isEqualTo(1);
        assertThat(response.data().clusterId()).isEqualTo(broker.controller().image().clusterId()).isNotBlank();
        MetadataResponseTopic orders = response.data().topics().find("orders");
        assertThat(orders.topicId()).isEqualTo(broker.controller().image().topic("orders").id());
        assertThat(orders.isInternal()).isFalse();
        assertThat(orders.partitions()).extracting(MetadataResponsePartition::partitionIndex).containsExactly(0, 1, 2);
        assertThat(orders.partitions()).allSatisfy(partition -> {
            assertThat(Errors.forCode(partition.errorCode())).isEqualTo(Errors.NONE);
            assertThat(partition.leaderId()).isEqualTo(1);
            assertThat(partition.replicaNodes()).containsExactly(1);
            assertThat(partition.isrNodes()).containsExactly(1);
        });
    }

    @Test
    void aMissingTopicIsCreatedWhenTheClientAllowsItAndTheBrokerHasAutoCreationOn() throws Exception {
        broker = HandlerFixture.start(dir, Map.of("num.partitions", 2));

        MetadataResponse response = broker.send(MetadataRequest.Builder.forTopicNames(List.of("clicks"), true),
                MetadataResponse.class);

        MetadataResponseTopic clicks = response.data().topics().find("clicks");
        assertThat(Errors.forCode(clicks.errorCode())).isEqualTo(Errors.NONE);
        assertThat(clicks.partitions()).hasSize(2);
        assertThat(broker.controller().image().topic("clicks")).isNotNull();
    }

    @Test
    void aMissingTopicIsUnknownAndNotCreatedWhenTheClientDoesNotAllowAutoCreation() throws Exception {
        broker = HandlerFixture.start(dir);

        MetadataResponse response = broker.send(MetadataRequest.Builder.forTopicNames(List.of("clicks"), false),
                MetadataResponse.class);

        assertThat(Errors.forCode(response.data().topics().find("clicks").errorCode()))
                .isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
        assertThat(broker.controller().image().topic("clicks")).isNull();
    }

    @Test
    void aMissingTopicIsUnknownAndNotCreatedWhenTheBrokerHasAutoCreationOff() throws Exception {
        broker = HandlerFixture.start(dir, Map.of("auto.create.topics.enable", false));

        MetadataResponse response = broker.send(MetadataRequest.Builder.forTopicNames(List.of("clicks"), true),
                MetadataResponse.class);

        assertThat(Errors.forCode(response.data().topics().find("clicks").errorCode()))
                .isEqualTo(Errors.UNKNOWN_TOPIC_OR_PARTITION);
        assertThat(broker.controller().image().topic("clicks")).isNull();
    }

    @Test
    void anInvalidTopicNameIsAnsweredWithInvalidTopicAndNothingIsCreated() throws Exception {
        broker = HandlerFixture.start(dir);

        MetadataResponse response = broker.send(MetadataRequest.Builder.forTopicNames(List.of("no/slashes"), true),
                MetadataResponse.class);

        assertThat(Errors.forCode(response.data().topics().find("no/slashes").errorCode()))
                .isEqualTo(Errors.INVALID_TOPIC_EXCEPTION);
        assertThat(broker.controller().image().topic("no/slashes")).isNull();
    }

    @Test
    void aTopicIsDescribedByItsIdAsTheAdminClientAsks() throws Exception {
        broker = HandlerFixture.start(dir);
        broker.createTopic("orders", 2);
        Uuid id = broker.controller().image().topic("orders").id();

        // Kafka's own builder, as Admin.describeTopics(TopicCollection.ofTopicIds(...)) uses it: the name is "".
        MetadataResponse response = broker.send(MetadataRequest.Builder.forTopicIds(Set.of(id)),
                MetadataResponse.class);

        assertThat(response.data().topics()).singleElement().satisfies(topic -> {
            assertThat(Errors.forCode(topic.errorCode())).isEqualTo(Errors.NONE);
            assertThat(topic.name()).isEqualTo("orders");
            assertThat(topic.topicId()).isEqualTo(id);
            assertThat(topic.partitions()).hasSize(2);
        });
    }

    @Test
    void anUnknownTopicIdIsAnsweredWithUnknownTopicId() throws Exception {
        broker = HandlerFixture.start(dir);
        Uuid unknown = Uuid.randomUuid();

        MetadataResponse response = broker.send(MetadataRequest.Builder.forTopicIds(Set.of(unknown)),
                MetadataResponse.class);

        assertThat(response.data().topics()).singleElement().satisfies(topic -> {
            assertThat(topic.topicId()).isEqualTo(unknown);
            assertThat(Errors.forCode(topic.errorCode())).isEqualTo(Errors.UNKNOWN_TOPIC_ID);
        });
    }
}
