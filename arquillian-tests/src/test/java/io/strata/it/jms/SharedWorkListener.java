package io.strata.it.jms;

import jakarta.ejb.ActivationConfigProperty;
import jakarta.ejb.MessageDriven;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageListener;

/** A shared durable subscription's listener; a Kafka share consumer of the same share group takes part of the work. */
@MessageDriven(activationConfig = {
        @ActivationConfigProperty(propertyName = "destination", propertyValue = SharedWorkListener.TOPIC),
        @ActivationConfigProperty(propertyName = "destinationType", propertyValue = "jakarta.jms.Topic"),
        @ActivationConfigProperty(propertyName = "subscriptionDurability", propertyValue = "Durable"),
        @ActivationConfigProperty(propertyName = "subscriptionName", propertyValue = "splitters"),
        @ActivationConfigProperty(propertyName = "clientId", propertyValue = "work-client"),
        @ActivationConfigProperty(propertyName = "maxSession", propertyValue = "2")})
public class SharedWorkListener implements MessageListener {

    static final String TOPIC = "shared-work";
    /** docs/jms-mapping.md: the shared durable subscription S of T with client id C. */
    static final String SHARE_GROUP = "jms:shared-durable:" + TOPIC + ":work-client:splitters";

    @Override
    public void onMessage(Message message) {
        try {
            Deliveries.record(TOPIC, Deliveries.text(message));
        } catch (JMSException e) {
            throw new IllegalStateException("unreadable message", e);
        }
    }
}
