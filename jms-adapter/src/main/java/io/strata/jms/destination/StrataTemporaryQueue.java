package io.strata.jms.destination;

import jakarta.jms.JMSException;
import jakarta.jms.TemporaryQueue;

import java.io.Serializable;

/**
 * A JMS temporary queue of Strata (JMS 3.1 section 6.2.2): a Kafka topic of one partition whose name starts with
 * the provider's temporary prefix (docs/jms-mapping.md, "Temporary destinations"), made for its connection and deleted
 * by {@link #delete()}, when that connection closes, or by the broker once that connection is gone without closing
 * (its lease expired). Only the name travels (in JMSReplyTo, or serialized); the
 * owner is the creating connection, and is absent in a copy read back from a message, which therefore cannot delete
 * it. Two temporary queues are equal when their names are. Immutable, so thread-safe.
 */
public final class StrataTemporaryQueue implements TemporaryQueue, Serializable {

    private static final long serialVersionUID = 1L;

    private final String name;
    private final transient TemporaryDestinationOwner owner;

    /** A temporary queue known by name only, as a message's JMSReplyTo brings it: it cannot be deleted here. */
    public StrataTemporaryQueue(String name) {
        this(name, null);
    }

    /** The temporary queue {@code owner} created. */
    public StrataTemporaryQueue(String name, TemporaryDestinationOwner owner) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a temporary queue name must not be null or empty");
        }
        this.name = name;
        this.owner = owner;
    }

    @Override
    public String getQueueName() {
        return name;
    }

    /**
     * Deletes the queue and its messages; a {@code JMSException} while its connection still has consumers on it, or
     * when this object did not come from the connection that created it.
     */
    @Override
    public void delete() throws JMSException {
        if (owner == null) {
            throw new JMSException("the temporary queue '" + name + "' can only be deleted through the connection that"
                    + " created it; this copy came in a message or was deserialized");
        }
        owner.delete(this);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof StrataTemporaryQueue that && name.equals(that.name);
    }

    @Override
    public int hashCode() {
        return name.hashCode();
    }

    @Override
    public String toString() {
        return "temp-queue://" + name;
    }
}
