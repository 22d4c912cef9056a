package io.strata.jms.ra;

import jakarta.resource.spi.InvalidPropertyException;
import org.junit.jupiter.api.Test;

import java.beans.PropertyDescriptor;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThatNoException;

/** {@link StrataActivationSpec#validate()}: what it refuses, with messages and descriptors that name the property. */
class ActivationSpecTest {

    private static StrataActivationSpec queue(String name) {
        StrataActivationSpec spec = new StrataActivationSpec();
        spec.setDestination(name);
        spec.setDestinationType("jakarta.jms.Queue");
        return spec;
    }

    private static String[] wrongProperties(InvalidPropertyException e) {
        return Arrays.stream(e.getInvalidPropertyDescriptors()).map(PropertyDescriptor::getName)
                .toArray(String[]::new);
    }

    @Test
    void aQueueOrATopicByNameOrByLookupIsValidWithItsDefaults() {
        assertThatNoException().isThrownBy(() -> queue("orders").validate());
        StrataActivationSpec lookedUp = new StrataActivationSpec();
        lookedUp.setDestinationLookup("java:app/jms/orders");
        assertThatNoException().isThrownBy(lookedUp::validate);
        StrataActivationSpec durable = new StrataActivationSpec();
        durable.setDestination("prices");
        durable.setDestinationType("javax.jms.Topic");
        durable.setSubscriptionDurability("Durable");
        durable.setClientID("pricing");
        durable.setAcknowledgeMode("Dups-ok-acknowledge");
        assertThatNoException().isThrownBy(durable::validate);
        assertThat(durable.getClientId()).isEqualTo("pricing");
        assertThat(queue("orders").getMaxSession()).isEqualTo(StrataActivationSpec.MAX_SESSION_DEFAULT);
    }

    @Test
    void theConcurrencyOfOtherProvidersIsTakenUnderTheirNames() {
        StrataActivationSpec spec = queue("orders");
        spec.setEndpointPoolMaxSize(3);   // OpenMQ
        assertThat(spec.getMaxSession()).isEqualTo(3);
        spec.setMaxConcurrency(5);        // Open Liberty
        assertThat(spec.getMaxSession()).isEqualTo(5);
        spec.setMaxSessions(7);
        assertThat(spec.getMaxSession()).isEqualTo(7);
    }

    @Test
    void noDestinationIsRefused() {
        assertThatThrownBy(() -> new StrataActivationSpec().validate())
                .isInstanceOfSatisfying(InvalidPropertyException.class, e -> {
                    assertThat(e).hasMessageContaining("neither destinationLookup").hasMessageContaining("nor"
                            + " destination");
                    assertThat(wrongProperties(e)).contains("destinationLookup");
                });
    }

    @Test
    void everyWrongPropertyIsNamedWithWhatItMayBe() {
        StrataActivationSpec spec = new StrataActivationSpec();
        spec.setDestination("orders");
        spec.setDestinationType("jakarta.jms.Queues");
        spec.setSubscriptionDurability("Sometimes");
        spec.setAcknowledgeMode("Client-acknowledge");
        spec.setMaxSession(0);
        spec.setMessageSelector("colour = = 'red'");
        assertThatThrownBy(spec::validate).isInstanceOfSatisfying(InvalidPropertyException.class, e -> {
            assertThat(e).hasMessageContaining("destinationType 'jakarta.jms.Queues' is neither jakarta.jms.Queue"
                            + " nor jakarta.jms.Topic")
                    .hasMessageContaining("subscriptionDurability 'Sometimes' is neither Durable nor NonDurable")
                    .hasMessageContaining("acknowledgeMode 'Client-acknowledge' is neither Auto-acknowledge nor"
                            + " Dups-ok-acknowledge")
                    .hasMessageContaining("maxSession 0 is not between 1 and 1000")
                    .hasMessageContaining("messageSelector \"colour = = 'red'\" is not a JMS message selector");
            assertThat(wrongProperties(e)).containsExactlyInAnyOrder("destinationType", "subscriptionDurability",
                    "acknowledgeMode", "maxSession", "messageSelector");
        });
    }

    @Test
    void aDurableQueueANameWithoutTypeAndABadNameAreRefused() {
        StrataActivationSpec durableQueue = queue("orders");
        durableQueue.setSubscriptionDurability("Durable");
        assertThatThrownBy(durableQueue::validate).hasMessageContaining("Durable is for topics");

        StrataActivationSpec untyped = new StrataActivationSpec();
        untyped.setDestination("orders");
        assertThatThrownBy(untyped::validate).hasMessageContaining("destination 'orders' needs a destinationType");

        assertThatThrownBy(() -> queue("orders with spaces").validate())
                .hasMessageContaining("is not a queue or topic name");

        StrataActivationSpec malformed = queue("orders");
        malformed.setProperties("request.timeout.ms");
        assertThatThrownBy(malformed::validate).hasMessageContaining("'request.timeout.ms' of the properties setting"
                + " is not name=value");
    }
}
