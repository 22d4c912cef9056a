package io.strata.broker.metadata;

import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiError;

/**
 * The outcome of a change to one topic: the error (or none) with a message for the client, and the topic as it is
 * afterwards, if it exists. Immutable.
 */
public record TopicResult(String name, Uuid topicId, ApiError error, TopicImage topic) {

    public static TopicResult ok(TopicImage topic) {
        return new TopicResult(topic.name(), topic.id(), ApiError.NONE, topic);
    }

    public static TopicResult failed(String name, Errors error, String message) {
        return new TopicResult(name, Uuid.ZERO_UUID, new ApiError(error, message), null);
    }

    public boolean isSuccess() {
        return error.error() == Errors.NONE;
    }
}
