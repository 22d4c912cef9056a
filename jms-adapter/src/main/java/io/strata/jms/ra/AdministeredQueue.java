package io.strata.jms.ra;

import jakarta.jms.Queue;

import java.io.Serial;
import java.io.Serializable;
import java.util.Objects;

/**
 * A JMS queue as a Jakarta Connectors admin object: a JavaBean whose {@code name} property is the queue's name (the
 * Kafka topic of docs/jms-mapping.md), configured by the container and bound in JNDI for {@code @Resource} and
 * {@code destinationLookup}. The provider takes it wherever it takes its own queues: it reads only
 * {@link #getQueueName()}. Serializable; not thread-safe while configured, read-only afterwards.
 */
public class AdministeredQueue implements Queue, Serializable {

    @Serial
    private static final long serialVersionUID = 1L;

    private String name;

    public AdministeredQueue() {
    }

    public AdministeredQueue(String name) {
        setName(name);
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name == null ? null : name.trim();
    }

    @Override
    public String getQueueName() {
        return name;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof AdministeredQueue that && Objects.equals(name, that.name);
    }

    @Override
    public int hashCode() {
        return Objects.hashCode(name);
    }

    @Override
    public String toString() {
        return "queue://" + name;
    }
}
