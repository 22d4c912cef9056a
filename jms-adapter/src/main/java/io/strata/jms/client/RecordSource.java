package io.strata.jms.client;

import jakarta.jms.JMSException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import io.strata.jms.share.ShareRecord;

import java.time.Duration;
import java.util.List;

/**
 * Where a JMS consumer's records come from, and where their outcomes go: a share group ({@link ShareGroupSource}:
 * queues, durable and shared subscriptions) or the log end of a topic without a group ({@link LogEndSource}:
 * non-durable unshared subscribers). Implementations say their thread-safety.
 */
interface RecordSource {

    /** The next record, waiting up to {@code timeout}; null when none came. */
    Fetched poll(Duration timeout) throws JMSException;

    /** The record was consumed: a share group accepts it (sent with the next fetch). */
    void accept(Delivery delivery);

    /** The records were consumed: accepted now, or why not (CLIENT_ACKNOWLEDGE's {@code acknowledge()}). */
    void acceptNow(List<Delivery> deliveries) throws JMSException;

    /** The records go back, to come again one delivery higher ({@code recover()}, a listener that threw). */
    void release(List<Delivery> deliveries) throws JMSException;

    /** Whether the selector is evaluated by the client (the broker evaluates it only for share groups). */
    boolean selectsLocally();

    /**
     * Whether to stop taking records ({@code true}: the connection is stopped) or take them again: a share group's
     * member acquires none while paused, so that the queue's other consumers get them. Records fetched already stay.
     */
    default void paused(boolean paused) {
    }

    /**
     * How often records held back (a delivery delay not reached yet) must be renewed so that the group keeps them for
     * this consumer; {@code Long.MAX_VALUE} when nothing needs renewing (no group).
     */
    default long renewIntervalMs() {
        return Long.MAX_VALUE;
    }

    /** Renews the hold on {@code deliveries}; returns those still this consumer's (the others went back). */
    default List<Delivery> renew(List<Delivery> deliveries) throws JMSException {
        return deliveries;
    }

    /** Whether the consumer has a message listener (which wants records whenever the connection is started). */
    default void listening(boolean listening) {
    }

    /** Stops reading; a share group gets back what this member held and did not accept. */
    void close();

    /** A record as read, and the share record it came as (null without a share group). */
    record Fetched(ConsumerRecord<byte[], byte[]> record, ShareRecord shareRecord) {
    }
}
