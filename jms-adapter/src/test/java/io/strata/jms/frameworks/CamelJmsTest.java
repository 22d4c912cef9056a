package io.strata.jms.frameworks;

import jakarta.jms.Connection;
import jakarta.jms.MessageConsumer;
import jakarta.jms.Queue;
import jakarta.jms.Session;
import jakarta.jms.TextMessage;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.jms.JmsComponent;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.jms.connection.CachingConnectionFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The provider under Apache Camel's JMS component, set up as Camel documents it for one JMS resource: a caching
 * connection factory over Strata's, and local transacted sessions (no transaction manager), so that a route's
 * receive and its sends commit together.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class CamelJmsTest extends FrameworkTest {

    @Test
    void aTransactedRouteMovesEveryMessageFromOneQueueToAnotherExactlyOnce() throws Exception {
        int count = 20;
        CachingConnectionFactory caching = new CachingConnectionFactory(factory);
        JmsComponent jms = new JmsComponent();
        jms.setConnectionFactory(caching);
        jms.getConfiguration().setTransacted(true);
        jms.getConfiguration().setLazyCreateTransactionManager(false);
        jms.getConfiguration().setReceiveTimeout(500);
        CamelContext camel = new DefaultCamelContext();
        try {
            camel.addComponent("jms", jms);
            camel.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("jms:queue:camel-orders?concurrentConsumers=2").routeId("orders-to-invoices")
                            .process(exchange -> exchange.getMessage()
                                    .setBody("invoice for " + exchange.getMessage().getBody(String.class)))
                            .to("jms:queue:camel-invoices");
                }
            });
            camel.start();
            ProducerTemplate producer = camel.createProducerTemplate();
            IntStream.range(0, count).forEach(i -> producer.sendBody("jms:queue:camel-orders", "order " + i));

            List<String> invoices = new ArrayList<>();
            try (Connection connection = factory.createConnection()) {
                Session session = connection.createSession(false, Session.AUTO_ACKNOWLEDGE);
                MessageConsumer invoiceReader = session.createConsumer(session.createQueue("camel-invoices"));
                connection.start();
                for (int i = 0; i < count; i++) {
                    TextMessage invoice = (TextMessage) invoiceReader.receive(RECEIVE_MS);
                    assertThat(invoice).as("invoice " + i + " of " + count + " (so far " + invoices + ")").isNotNull();
                    invoices.add(invoice.getText());
                }
                assertThat(invoiceReader.receive(500)).as("no invoice twice").isNull();

                // The route's consumers close: an order they did not commit would be back on camel-orders, before
                // (at an earlier offset than) the one sent now.
                camel.stop();
                Queue orders = session.createQueue("camel-orders");
                session.createProducer(orders).send(session.createTextMessage("the last order"));
                TextMessage next = (TextMessage) session.createConsumer(orders).receive(RECEIVE_MS);
                assertThat(next.getText()).as("every order was consumed by a commit").isEqualTo("the last order");
            }

            assertThat(invoices).containsExactlyInAnyOrderElementsOf(
                    IntStream.range(0, count).mapToObj(i -> "invoice for order " + i).toList());
        } finally {
            camel.stop();
            caching.destroy();
        }
    }
}
