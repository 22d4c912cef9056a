package io.strata.jms.client;

import jakarta.jms.JMSException;
import jakarta.jms.QueueSession;
import jakarta.jms.Session;
import jakarta.jms.TopicSession;
import jakarta.jms.TransactionInProgressException;
import jakarta.jms.XAQueueSession;
import jakarta.jms.XATopicSession;

import javax.transaction.xa.XAResource;

/**
 * An XA session (JMS 3.1 {@code XASession}): a session whose transactions a transaction manager controls through its
 * {@link #getXAResource() XAResource}. While the resource associates it with a branch, its sends and the messages it
 * receives belong to the branch ({@link StrataXAResource}); outside a branch it works as a non-transacted
 * AUTO_ACKNOWLEDGE session, which is what an XA session does when the application server has not enlisted it (JMS 3.1
 * leaves this to the provider; Jakarta EE containers use it only enlisted). {@link #commit} and {@link #rollback} throw
 * {@link TransactionInProgressException}, and {@link #getTransacted} is true, as {@code XASession} says.
 *
 * <p>Closing the session leaves its branch to the transaction manager, which still ends, prepares and completes it.
 *
 * <p>Thread-safety: as {@link StrataSession}; the resource may be called by the transaction manager's thread.
 */
public final class StrataXASession extends StrataSession implements XAQueueSession, XATopicSession {

    private final StrataXAResource resource;

    StrataXASession(StrataXAConnection connection) {
        super(connection, Session.AUTO_ACKNOWLEDGE);
        this.resource = new StrataXAResource(this, connection);
    }

    @Override
    SessionTransaction transaction() {
        return resource.currentTransaction();
    }

    @Override
    public XAResource getXAResource() {
        return resource;
    }

    @Override
    public Session getSession() throws JMSException {
        checkOpen();
        return this;
    }

    @Override
    public QueueSession getQueueSession() throws JMSException {
        checkOpen();
        return this;
    }

    @Override
    public TopicSession getTopicSession() throws JMSException {
        checkOpen();
        return this;
    }

    /** True, as {@code XASession.getTransacted} says: its transactions are the transaction manager's. */
    @Override
    public boolean getTransacted() throws JMSException {
        checkOpen();
        return true;
    }

    @Override
    public int getAcknowledgeMode() throws JMSException {
        checkOpen();
        return Session.SESSION_TRANSACTED;
    }

    @Override
    public void commit() throws JMSException {
        checkOpen();
        throw new TransactionInProgressException("an XA session's work is committed by its transaction manager,"
                + " through its XAResource; Session.commit is not allowed");
    }

    @Override
    public void rollback() throws JMSException {
        checkOpen();
        throw new TransactionInProgressException("an XA session's work is rolled back by its transaction manager,"
                + " through its XAResource; Session.rollback is not allowed");
    }

    /** The branch outlives the session: the transaction manager still completes it. */
    @Override
    void closeTransaction() {
    }
}
