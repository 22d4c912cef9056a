package io.strata.broker.share.deadletter;

import io.strata.broker.share.deadletter.DeadLetterTopics.Create;
import io.strata.broker.share.deadletter.DeadLetterTopics.Skip;
import io.strata.broker.share.deadletter.DeadLetterTopics.TopicState;
import io.strata.broker.share.deadletter.DeadLetterTopics.Write;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class DeadLetterTopicsTest {

    private final Map<String, TopicState> metadata = Map.of(
            "dlq.orders", new TopicState(3, true),
            "dlq.closed", new TopicState(1, false),
            "orders", new TopicState(2, true));
    private final DeadLetterTopics topics = new DeadLetterTopics(metadata::get, "dlq.", false);

    @Test
    void anExistingTopicThatAllowsItIsWritten() {
        assertThat(topics.decide("g", "orders", "dlq.orders")).isEqualTo(new Write("dlq.orders", 3));
    }

    @Test
    void aTopicThatDoesNotAllowItIsNotWritten() {
        assertThat(topics.decide("g", "orders", "dlq.closed")).isInstanceOfSatisfying(Skip.class, skip ->
                assertThat(skip.problem()).contains("errors.deadletterqueue.group.enable=true"));
    }

    @Test
    void aMissingTopicIsCreatedOnlyWhenTheBrokerAllowsIt() {
        assertThat(topics.decide("g", "orders", "dlq.missing")).isInstanceOfSatisfying(Skip.class, skip ->
                assertThat(skip.problem()).contains("does not exist")
                        .contains("errors.deadletterqueue.auto.create.topics.enable"));
        assertThat(new DeadLetterTopics(metadata::get, "dlq.", true).decide("g", "orders", "dlq.missing"))
                .isEqualTo(new Create("dlq.missing"));
    }

    @Test
    void theNameMustHaveThePrefixAndNotBeInternal() {
        DeadLetterTopics anyName = new DeadLetterTopics(metadata::get, "", false);
        assertThat(topics.decide("g", "payments", "orders")).isInstanceOfSatisfying(Skip.class, skip ->
                assertThat(skip.problem()).contains("prefix dlq."));
        assertThat(anyName.decide("g", "payments", "orders")).isEqualTo(new Write("orders", 2));
        assertThat(anyName.decide("g", "payments", "__consumer_offsets")).isInstanceOf(Skip.class);
    }

    @Test
    void aRecordIsNeverDeadLetteredIntoTheTopicItCameFrom() {
        assertThat(topics.decide("g", "dlq.orders", "dlq.orders")).isInstanceOfSatisfying(Skip.class, skip ->
                assertThat(skip.problem()).contains("reads its dead-letter topic"));
    }

    @Test
    void aGroupWithoutATopicWritesNothing() {
        assertThat(topics.decide("g", "orders", null)).isInstanceOf(Skip.class);
        assertThat(topics.decide("g", "orders", "")).isInstanceOf(Skip.class);
    }
}
