package io.strata.jms.jndi;

import io.strata.jms.client.StrataConnectionFactory;
import io.strata.jms.client.StrataXAConnectionFactory;
import org.junit.jupiter.api.Test;

import javax.naming.Reference;
import java.util.Hashtable;

import static org.assertj.core.api.Assertions.assertThat;

/** The connection factories' references name their own class, and the object factory rebuilds that class. */
class StrataObjectFactoryTest {

    @Test
    void anXaFactoryComesBackFromItsReferenceAsAnXaFactoryWithItsProperties() throws Exception {
        StrataXAConnectionFactory factory = new StrataXAConnectionFactory("b1:9092");
        factory.setClientID("xa-client");

        Reference reference = factory.getReference();
        Object rebuilt = new StrataObjectFactory().getObjectInstance(reference, null, null, new Hashtable<>());

        assertThat(reference.getClassName()).isEqualTo(StrataXAConnectionFactory.class.getName());
        assertThat(rebuilt).isInstanceOf(StrataXAConnectionFactory.class);
        assertThat(((StrataXAConnectionFactory) rebuilt).getProperties()).isEqualTo(factory.getProperties());
    }

    @Test
    void aPlainFactoryComesBackPlain() throws Exception {
        StrataConnectionFactory factory = new StrataConnectionFactory("b1:9092");

        Object rebuilt = new StrataObjectFactory().getObjectInstance(factory.getReference(), null, null,
                new Hashtable<>());

        assertThat(rebuilt).isExactlyInstanceOf(StrataConnectionFactory.class);
    }
}
