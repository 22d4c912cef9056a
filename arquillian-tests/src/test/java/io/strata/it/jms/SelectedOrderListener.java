package io.strata.it.jms;

import jakarta.ejb.ActivationConfigProperty;
import jakarta.ejb.MessageDriven;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageListener;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A queue listener with a selector and four sessions, its activation properties as for any provider. The first four
 * deliveries wait for each other (bounded), so that four running at once is observed, not hoped for.
 */
@MessageDriven(activationConfig = {
        @ActivationConfigProperty(propertyName = "destinationLookup", propertyValue = "java:app/jms/SelectedOrders"),
        @ActivationConfigProperty(propertyName = "destinationType", propertyValue = "jakarta.jms.Queue"),
        @ActivationConfigProperty(propertyName = "messageSelector", propertyValue = "kind = 'order'"),
        @ActivationConfigProperty(propertyName = "maxSession", propertyValue = "4")})
public class SelectedOrderListener implements MessageListener {

    static final String NAME = "selected-orders";
    static final AtomicInteger RUNNING = new AtomicInteger();
    static final AtomicInteger RUNNING_MAX = new AtomicInteger();
    private static final CountDownLatch FIRST_FOUR = new CountDownLatch(4);

    @Override
    public void onMessage(Message message) {
        RUNNING_MAX.accumulateAndGet(RUNNING.incrementAndGet(), Math::max);
        try {
            FIRST_FOUR.countDown();
            FIRST_FOUR.await(20, TimeUnit.SECONDS);
            Deliveries.record(NAME, Deliveries.text(message));
        } catch (JMSException e) {
            throw new IllegalStateException("unreadable message", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } finally {
            RUNNING.decrementAndGet();
        }
    }
}
