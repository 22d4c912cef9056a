package io.strata.jms.jndi;

import io.strata.jms.client.StrataConnectionFactory;
import io.strata.jms.destination.StrataQueue;
import io.strata.jms.destination.StrataTopic;
import jakarta.jms.Queue;
import jakarta.jms.QueueConnectionFactory;
import jakarta.jms.Topic;
import jakarta.jms.TopicConnectionFactory;
import org.junit.jupiter.api.Test;

import javax.naming.Binding;
import javax.naming.ConfigurationException;
import javax.naming.Context;
import javax.naming.InitialContext;
import javax.naming.NameClassPair;
import javax.naming.NameNotFoundException;
import javax.naming.NamingException;
import javax.naming.NotContextException;
import javax.naming.OperationNotSupportedException;
import javax.naming.Reference;
import javax.naming.Referenceable;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Collections;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The JNDI environment a standalone application writes in jndi.properties, read into a context of connection
 * factories and destinations; no broker is involved (a factory connects only when asked for a connection).
 */
class StrataInitialContextFactoryTest {

    private static InitialContext context(Map<String, String> declarations) throws NamingException {
        Hashtable<String, String> environment = new Hashtable<>(declarations);
        environment.put(Context.INITIAL_CONTEXT_FACTORY, StrataInitialContextFactory.class.getName());
        return new InitialContext(environment);
    }

    @Test
    void declaredFactoriesAndDestinationsAreLookedUpByTheirJndiNames() throws Exception {
        InitialContext context = context(Map.of(
                "connectionFactory.ConnectionFactory", "broker1:9092,broker2:9092",
                "queue.orders", "orders-v2",
                "topic.prices", "prices"));

        StrataConnectionFactory factory = (StrataConnectionFactory) context.lookup("ConnectionFactory");
        assertThat(factory.getBootstrapServers()).isEqualTo("broker1:9092,broker2:9092");
        assertThat(factory).isInstanceOf(QueueConnectionFactory.class).isInstanceOf(TopicConnectionFactory.class);
        assertThat(((Queue) context.lookup("orders")).getQueueName()).isEqualTo("orders-v2");
        assertThat(((Topic) context.lookup("prices")).getTopicName()).isEqualTo("prices");
        assertThatThrownBy(() -> context.lookup("nothing")).isInstanceOf(NameNotFoundException.class)
                .hasMessageContaining("'nothing' is not bound");
    }

    @Test
    void aFactoryTakesSettingsFromItsUrlQueryAndFromKeysUnderItsName() throws Exception {
        InitialContext context = context(Map.of(
                "connectionFactory.Durable", "strata://b1:9092?strata.jms.client.id=app%201&request.timeout.ms=5000",
                "connectionFactory.Durable.request.timeout.ms", "7000",
                "connectionFactory.Durable.strata.jms.consumer.prefetch", "10",
                "connectionFactory.DurableOther", "b2:9092"));

        StrataConnectionFactory durable = (StrataConnectionFactory) context.lookup("Durable");
        assertThat(durable.getProperties()).containsOnly(
                Map.entry("bootstrap.servers", "b1:9092"),
                Map.entry("strata.jms.client.id", "app 1"),
                Map.entry("request.timeout.ms", "7000"),
                Map.entry("strata.jms.consumer.prefetch", "10"));
        assertThat(((StrataConnectionFactory) context.lookup("DurableOther")).getProperties())
                .containsOnly(Map.entry("bootstrap.servers", "b2:9092"));
    }

    @Test
    void namesWithSlashesLiveInSubContextsThatCanBeListed() throws Exception {
        InitialContext context = context(Map.of(
                "connectionFactory.jms/cf", "b1:9092",
                "queue.jms/queues/orders", "orders",
                "topic.jms/prices", "prices"));

        assertThat(context.lookup("jms/queues/orders")).isEqualTo(new StrataQueue("orders"));
        Context jms = (Context) context.lookup("jms");
        assertThat(jms.getNameInNamespace()).isEqualTo("jms");
        assertThat(jms.lookup("prices")).isEqualTo(new StrataTopic("prices"));
        assertThat(names(context.list("jms"))).containsExactly("cf", "prices", "queues");
        assertThat(names(context.list(""))).containsExactly("dynamicQueues", "dynamicTopics", "jms");
        List<Binding> bindings = Collections.list(context.listBindings("jms/queues"));
        assertThat(bindings).singleElement().satisfies(binding -> {
            assertThat(binding.getName()).isEqualTo("orders");
            assertThat(binding.getObject()).isEqualTo(new StrataQueue("orders"));
        });
        assertThatThrownBy(() -> context.lookup("jms/prices/more")).isInstanceOf(NotContextException.class);
        assertThatThrownBy(() -> context.list("jms/prices")).isInstanceOf(NotContextException.class);
    }

    @Test
    void dynamicNamesMakeAnyDestinationWithoutADeclaration() throws Exception {
        InitialContext context = context(Map.of());

        assertThat(context.lookup("dynamicQueues/orders")).isEqualTo(new StrataQueue("orders"));
        assertThat(context.lookup("dynamicTopics/prices.eu")).isEqualTo(new StrataTopic("prices.eu"));
        assertThat(names(context.list("dynamicQueues"))).isEmpty();
        assertThatThrownBy(() -> context.lookup("dynamicQueues/")).isInstanceOf(NamingException.class)
                .hasMessageContaining("names no destination");
    }

    @Test
    void theContextIsReadOnly() throws Exception {
        InitialContext context = context(Map.of("queue.orders", "orders"));

        assertThatThrownBy(() -> context.bind("more", new StrataQueue("more")))
                .isInstanceOf(OperationNotSupportedException.class).hasMessageContaining("read-only");
        assertThatThrownBy(() -> context.rebind("orders", new StrataQueue("x")))
                .isInstanceOf(OperationNotSupportedException.class);
        assertThatThrownBy(() -> context.unbind("orders")).isInstanceOf(OperationNotSupportedException.class);
        assertThatThrownBy(() -> context.rename("orders", "o")).isInstanceOf(OperationNotSupportedException.class);
        assertThatThrownBy(() -> context.createSubcontext("jms")).isInstanceOf(OperationNotSupportedException.class);
        assertThatThrownBy(() -> context.destroySubcontext("dynamicQueues"))
                .isInstanceOf(OperationNotSupportedException.class);
        assertThat(context.lookup("orders")).isEqualTo(new StrataQueue("orders"));
    }

    @Test
    void declarationsThatCannotWorkFailTheInitialContextNamingTheKey() {
        assertThatThrownBy(() -> context(Map.of("connectionFactory.cf", "")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("connectionFactory.cf");
        assertThatThrownBy(() -> context(Map.of("connectionFactory.cf", "b1:9092?oops")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("'oops' is not setting=value");
        assertThatThrownBy(() -> context(Map.of("connectionFactory.cf", "b1:9092",
                "connectionFactory.cf.strata.jms.consumer.prefetch", "-1")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("strata.jms.consumer.prefetch");
        assertThatThrownBy(() -> context(Map.of("queue.x", "a", "topic.x", "b")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("already bound");
        assertThatThrownBy(() -> context(Map.of("queue.x", "a", "topic.x/y", "b")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("to be a sub-context");
        assertThatThrownBy(() -> context(Map.of("queue.x", "")))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("names no destination");
    }

    @Test
    void administeredObjectsComeBackFromTheirReferences() throws Exception {
        StrataConnectionFactory factory = new StrataConnectionFactory("b1:9092");
        factory.setClientID("cts");
        StrataObjectFactory objects = new StrataObjectFactory();

        Object rebuilt = objects.getObjectInstance(factory.getReference(), null, null, new Hashtable<>());
        assertThat(((StrataConnectionFactory) rebuilt).getProperties()).isEqualTo(factory.getProperties());
        for (Referenceable destination : List.of(new StrataQueue("orders"), new StrataTopic("prices"))) {
            Reference reference = destination.getReference();
            assertThat(reference.getFactoryClassName()).isEqualTo(StrataObjectFactory.class.getName());
            assertThat(objects.getObjectInstance(reference, null, null, new Hashtable<>())).isEqualTo(destination);
        }
        assertThat(objects.getObjectInstance(new Reference("java.lang.String"), null, null, new Hashtable<>()))
                .as("not Strata's, so the next factory is tried").isNull();
        assertThat(objects.getObjectInstance("not a reference", null, null, new Hashtable<>())).isNull();
    }

    @Test
    void administeredObjectsSurviveSerialization() throws Exception {
        StrataConnectionFactory factory = new StrataConnectionFactory("b1:9092");
        factory.setProperty("request.timeout.ms", "5000");

        assertThat(roundTrip(factory).getProperties()).isEqualTo(factory.getProperties());
        assertThat(roundTrip(new StrataQueue("orders"))).isEqualTo(new StrataQueue("orders"));
        assertThat(roundTrip(new StrataTopic("prices"))).isEqualTo(new StrataTopic("prices"));
    }

    private static List<String> names(javax.naming.NamingEnumeration<NameClassPair> list) {
        return Collections.list(list).stream().map(NameClassPair::getName).toList();
    }

    @SuppressWarnings("unchecked")
    private static <T> T roundTrip(T object) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(object);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (T) in.readObject();
        }
    }
}
