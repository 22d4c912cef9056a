package io.strata.jms.client;

import jakarta.jms.IllegalStateException;
import jakarta.jms.IllegalStateRuntimeException;
import jakarta.jms.InvalidClientIDException;
import jakarta.jms.InvalidClientIDRuntimeException;
import jakarta.jms.InvalidDestinationException;
import jakarta.jms.InvalidDestinationRuntimeException;
import jakarta.jms.InvalidSelectorException;
import jakarta.jms.InvalidSelectorRuntimeException;
import jakarta.jms.JMSException;
import jakarta.jms.JMSRuntimeException;
import jakarta.jms.JMSSecurityException;
import jakarta.jms.JMSSecurityRuntimeException;
import jakarta.jms.MessageFormatException;
import jakarta.jms.MessageFormatRuntimeException;
import jakarta.jms.MessageNotWriteableException;
import jakarta.jms.MessageNotWriteableRuntimeException;
import jakarta.jms.ResourceAllocationException;
import jakarta.jms.ResourceAllocationRuntimeException;
import jakarta.jms.TransactionInProgressException;
import jakarta.jms.TransactionInProgressRuntimeException;
import jakarta.jms.TransactionRolledBackException;
import jakarta.jms.TransactionRolledBackRuntimeException;

/**
 * The exceptions of the classic API as the simplified API throws them (JMS 3.1 section 7.3: each checked exception
 * has its unchecked twin), and kafka-clients' failures as JMS exceptions with the cause linked. Stateless.
 */
final class JmsErrors {

    private JmsErrors() {
    }

    /** A JMSException saying {@code what}, with {@code cause} linked and as its cause. */
    static JMSException jms(String what, Throwable cause) {
        JMSException exception = new JMSException(what + (cause == null ? "" : ": " + cause.getMessage()));
        if (cause != null) {
            exception.initCause(cause);
            if (cause instanceof Exception e) {
                exception.setLinkedException(e);
            }
        }
        return exception;
    }

    static <T extends JMSException> T withCause(T exception, Throwable cause) {
        exception.initCause(cause);
        if (cause instanceof Exception e) {
            exception.setLinkedException(e);
        }
        return exception;
    }

    /** The unchecked twin of {@code e}, same message, {@code e} as cause. */
    static JMSRuntimeException unchecked(JMSException e) {
        JMSRuntimeException runtime;
        String message = e.getMessage();
        String code = e.getErrorCode();
        if (e instanceof IllegalStateException) {
            runtime = new IllegalStateRuntimeException(message, code, e);
        } else if (e instanceof InvalidClientIDException) {
            runtime = new InvalidClientIDRuntimeException(message, code, e);
        } else if (e instanceof InvalidDestinationException) {
            runtime = new InvalidDestinationRuntimeException(message, code, e);
        } else if (e instanceof InvalidSelectorException) {
            runtime = new InvalidSelectorRuntimeException(message, code, e);
        } else if (e instanceof JMSSecurityException) {
            runtime = new JMSSecurityRuntimeException(message, code, e);
        } else if (e instanceof MessageFormatException) {
            runtime = new MessageFormatRuntimeException(message, code, e);
        } else if (e instanceof MessageNotWriteableException) {
            runtime = new MessageNotWriteableRuntimeException(message, code, e);
        } else if (e instanceof ResourceAllocationException) {
            runtime = new ResourceAllocationRuntimeException(message, code, e);
        } else if (e instanceof TransactionInProgressException) {
            runtime = new TransactionInProgressRuntimeException(message, code, e);
        } else if (e instanceof TransactionRolledBackException) {
            runtime = new TransactionRolledBackRuntimeException(message, code, e);
        } else {
            runtime = new JMSRuntimeException(message, code, e);
        }
        return runtime;
    }
}
