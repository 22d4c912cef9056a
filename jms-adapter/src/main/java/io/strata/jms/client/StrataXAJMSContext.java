package io.strata.jms.client;

import jakarta.jms.JMSContext;
import jakarta.jms.JMSException;
import jakarta.jms.XAJMSContext;

import javax.transaction.xa.XAResource;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The simplified API's XA context (JMS 3.1 {@code XAJMSContext}): a {@link StrataJMSContext} over one
 * {@link StrataXASession}, whose {@link #getXAResource() XAResource} a transaction manager enlists. Its session mode is
 * SESSION_TRANSACTED and {@link #getTransacted} true; {@code commit} and {@code rollback} throw
 * {@code TransactionInProgressRuntimeException}, as the XA session's do.
 *
 * <p>Thread-safety: as a session, used by one thread at a time.
 */
final class StrataXAJMSContext extends StrataJMSContext implements XAJMSContext {

    private final StrataXAConnection connection;

    StrataXAJMSContext(StrataXAConnection connection) {
        super(connection, JMSContext.SESSION_TRANSACTED, new AtomicInteger(1));
        this.connection = connection;
    }

    @Override
    StrataSession newSession() throws JMSException {
        return connection.createXASession();
    }

    @Override
    public JMSContext getContext() {
        session(); // fails once closed
        return this;
    }

    @Override
    public XAResource getXAResource() {
        return ((StrataXASession) session()).getXAResource();
    }

    @Override
    public boolean getTransacted() {
        session();
        return true;
    }
}
