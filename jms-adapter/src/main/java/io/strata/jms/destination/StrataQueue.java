package io.strata.jms.destination;

import jakarta.jms.Queue;

import java.io.Serializable;

/**
 * A JMS queue of Strata: a topic read by a share group named for the queue (ARCHITECTURE.md, decision 10). Only the
 * name is kept; what the name maps to on the broker is the session's concern. Immutable, so thread-safe, and
 * serializable so that it can be bound in JNDI and travel in an ObjectMessage.
 */
public record StrataQueue(String name) implements Queue, Serializable {

    public StrataQueue {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a queue name must not be null or empty");
        }
    }

    @Override
    public String getQueueName() {
        return name;
    }

    @Override
    public String toString() {
        return "queue://" + name;
    }
}
