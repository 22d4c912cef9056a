package io.strata.jms.destination;

import io.strata.jms.jndi.StrataObjectFactory;
import jakarta.jms.Topic;

import javax.naming.Reference;
import javax.naming.Referenceable;
import javax.naming.StringRefAddr;
import java.io.Serializable;

/**
 * A JMS topic of Strata: a Kafka topic that subscriptions read (ARCHITECTURE.md, decision 10). Only the name is kept.
 * Immutable, so thread-safe, and serializable so that it can be bound in JNDI and travel in an ObjectMessage;
 * referenceable, so that a JNDI server that stores references keeps just its name ({@link StrataObjectFactory}).
 */
public record StrataTopic(String name) implements Topic, Serializable, Referenceable {

    public StrataTopic {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a topic name must not be null or empty");
        }
    }

    @Override
    public String getTopicName() {
        return name;
    }

    /** The name alone: {@link StrataObjectFactory} makes the topic again from it. */
    @Override
    public Reference getReference() {
        return new Reference(StrataTopic.class.getName(), new StringRefAddr(StrataObjectFactory.NAME, name),
                StrataObjectFactory.class.getName(), null);
    }

    @Override
    public String toString() {
        return "topic://" + name;
    }
}
