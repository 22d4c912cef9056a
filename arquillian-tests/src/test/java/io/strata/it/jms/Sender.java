package io.strata.it.jms;

import jakarta.annotation.Resource;
import jakarta.ejb.Stateless;
import jakarta.ejb.TransactionAttribute;
import jakarta.ejb.TransactionAttributeType;
import jakarta.inject.Inject;
import jakarta.jms.ConnectionFactory;
import jakarta.jms.JMSConnectionFactoryDefinition;
import jakarta.jms.JMSConsumer;
import jakarta.jms.JMSContext;
import jakarta.jms.JMSDestinationDefinition;
import jakarta.jms.Queue;

/**
 * An application's sender, written for any JMS provider: the default connection factory injected twice (as a
 * {@code @Resource ConnectionFactory} and as an {@code @Inject JMSContext}), a queue and a second factory declared by
 * annotations on Strata's adapter. Payara Micro binds no {@code java:comp/DefaultJMSConnectionFactory} of its own,
 * so the application maps that name to the server's Strata factory (jms-adapter/README.md, "Resource adapter").
 */
@Stateless
@Resource(name = "java:comp/DefaultJMSConnectionFactory", lookup = JmsServerSettings.FACTORY,
        type = ConnectionFactory.class)
@JMSConnectionFactoryDefinition(name = "java:app/jms/DefinedFactory", resourceAdapter = JmsServerSettings.ADAPTER)
@JMSDestinationDefinition(name = "java:app/jms/SelectedOrders", interfaceName = "jakarta.jms.Queue",
        resourceAdapter = JmsServerSettings.ADAPTER, destinationName = "selected-orders")
public class Sender {

    @Resource
    ConnectionFactory factory;

    @Inject
    JMSContext context;

    @Resource(lookup = "java:app/jms/DefinedFactory")
    ConnectionFactory definedFactory;

    @Resource(lookup = "java:app/jms/SelectedOrders")
    Queue orders;

    public String defaultFactoryClass() {
        return factory.getClass().getName();
    }

    public void sendOrderWithFactory(String kind, String text) {
        try (JMSContext own = factory.createContext()) {
            own.createProducer().setProperty("kind", kind).send(orders, text);
        }
    }

    public void sendOrderWithContext(String kind, String text) {
        context.createProducer().setProperty("kind", kind).send(orders, text);
    }

    /** Sends on the annotation-defined factory and receives it back there, outside a transaction. */
    @TransactionAttribute(TransactionAttributeType.NOT_SUPPORTED)
    public String roundTripOnDefinedFactory(String queueName, String text) {
        try (JMSContext own = definedFactory.createContext()) {
            Queue queue = own.createQueue(queueName);
            try (JMSConsumer consumer = own.createConsumer(queue)) {
                own.createProducer().send(queue, text);
                return consumer.receiveBody(String.class, 30_000);
            }
        }
    }
}
