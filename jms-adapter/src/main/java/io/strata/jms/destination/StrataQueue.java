package io.strata.jms.destination;

import io.strata.jms.jndi.StrataObjectFactory;
import jakarta.jms.Queue;

import javax.naming.Reference;
import javax.naming.Referenceable;
import javax.naming.StringRefAddr;
import java.io.Serializable;

/**
 * A JMS queue of Strata: a topic read by a share group named for the queue (ARCHITECTURE.md, decision 10). Only the
 * name is kept; what the name maps to on the broker is the session's concern. Immutable, so thread-safe, and
 * serializable so that it can be bound in JNDI and travel in an ObjectMessage;
 * referenceable, so that a JNDI server that stores references keeps just its name ({@link StrataObjectFactory}).
 */
public record StrataQueue(String name) implements Queue, Serializable, Referenceable {

    public StrataQueue {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a queue name must not be null or empty");
        }
    }

    @Override
    public String getQueueName() {
        return name;
    }

    /** The name alone: {@link StrataObjectFactory} makes the queue again from it. */
    @Override
    public Reference getReference() {
        return new Reference(StrataQueue.class.getName(), new StringRefAddr(StrataObjectFactory.NAME, name),
                StrataObjectFactory.class.getName(), null);
    }

    @Override
    public String toString() {
        return "queue://" + name;
    }
}
