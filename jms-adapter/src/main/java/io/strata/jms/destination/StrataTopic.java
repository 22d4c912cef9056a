package io.strata.jms.destination;

import jakarta.jms.Topic;

import java.io.Serializable;

/**
 * A JMS topic of Strata: a Kafka topic that subscriptions read (ARCHITECTURE.md, decision 10). Only the name is kept.
 * Immutable, so thread-safe, and serializable so that it can be bound in JNDI and travel in an ObjectMessage.
 */
public record StrataTopic(String name) implements Topic, Serializable {

    public StrataTopic {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a topic name must not be null or empty");
        }
    }

    @Override
    public String getTopicName() {
        return name;
    }

    @Override
    public String toString() {
        return "topic://" + name;
    }
}
