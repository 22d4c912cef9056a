package io.strata.it.jms;

import jakarta.ejb.ActivationConfigProperty;
import jakarta.ejb.MessageDriven;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import jakarta.jms.MessageListener;

/** A listener that always throws: each delivery's JMSXDeliveryCount is recorded, then the message is dead-lettered. */
@MessageDriven(activationConfig = {
        @ActivationConfigProperty(propertyName = "destination", propertyValue = PoisonListener.QUEUE),
        @ActivationConfigProperty(propertyName = "destinationType", propertyValue = "jakarta.jms.Queue"),
        @ActivationConfigProperty(propertyName = "deliveryLimit", propertyValue = "3")})
public class PoisonListener implements MessageListener {

    static final String QUEUE = "poison";

    @Override
    public void onMessage(Message message) {
        try {
            Deliveries.record(QUEUE, Deliveries.text(message) + " " + message.getIntProperty("JMSXDeliveryCount"));
        } catch (JMSException e) {
            throw new IllegalStateException("unreadable message", e);
        }
        throw new IllegalStateException("this listener refuses every message");
    }
}
