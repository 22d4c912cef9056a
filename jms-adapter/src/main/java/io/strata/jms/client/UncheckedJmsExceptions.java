package io.strata.jms.client;

import jakarta.jms.JMSException;
import jakarta.jms.JMSRuntimeException;

/**
 * The provider's mapping of each checked JMS exception to its unchecked twin (JMS 3.1 section 7.3), for the layers
 * built on the provider that implement the simplified API themselves (the resource adapter's {@code JMSContext}).
 * Stateless.
 */
public final class UncheckedJmsExceptions {

    private UncheckedJmsExceptions() {
    }

    /** The unchecked twin of {@code e}: same message and error code, {@code e} as the cause. */
    public static JMSRuntimeException of(JMSException e) {
        return JmsErrors.unchecked(e);
    }
}
