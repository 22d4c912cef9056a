package io.strata.jms.client;

import jakarta.jms.JMSException;
import jakarta.jms.XAQueueConnection;
import jakarta.jms.XAQueueSession;
import jakarta.jms.XASession;
import jakarta.jms.XATopicConnection;
import jakarta.jms.XATopicSession;
import org.apache.kafka.common.Node;

import java.util.Collection;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A connection that also makes XA sessions ({@link StrataXASession}), for a transaction manager. Besides what a
 * {@link StrataConnection} holds it keeps the cluster id (which tells whether two XA resources are the same resource
 * manager) and, made on first need, the client that sends the coordinator the requests of two-phase commit
 * ({@link TransactionCoordinatorClient}). The brokers must advertise {@value TransactionCoordinatorClient#FEATURE};
 * checked at the first XA session.
 *
 * <p>When it closes, the branches its sessions started and that are not prepared are rolled back; prepared ones are
 * left prepared, for the transaction manager's recovery to complete from the coordinator.
 *
 * <p>Thread-safe.
 */
public final class StrataXAConnection extends StrataConnection implements XAQueueConnection, XATopicConnection {

    private static final Logger LOG = Logger.getLogger(StrataXAConnection.class.getName());

    private volatile String clusterId;
    private volatile boolean xaSupported;
    private TransactionCoordinatorClient coordinator;

    StrataXAConnection(ProviderSettings settings, GroupConfigurer groupConfigurer) {
        super(settings, groupConfigurer);
    }

    @Override
    public StrataXASession createXASession() throws JMSException {
        checkOpen();
        fixClientId();
        if (!xaSupported) {
            SessionTransaction.checkSupported(admin(), settings().bootstrapServers());
            TransactionCoordinatorClient.checkSupported(admin(), settings().bootstrapServers());
            xaSupported = true;
        }
        return register(new StrataXASession(this));
    }

    @Override
    public XAQueueSession createXAQueueSession() throws JMSException {
        return (XAQueueSession) createXASession().restrictTo(StrataSession.Domain.QUEUE);
    }

    @Override
    public XATopicSession createXATopicSession() throws JMSException {
        return (XATopicSession) createXASession().restrictTo(StrataSession.Domain.TOPIC);
    }

    /** The id of the cluster, asked once. */
    String clusterId() throws JMSException {
        String known = clusterId;
        if (known == null) {
            try {
                known = admin().describeCluster().clusterId().get(StrataXAResource.CALL_TIMEOUT.toMillis(),
                        TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                throw JmsErrors.jms("the cluster id could not be asked", e.getCause());
            } catch (Exception e) {
                throw interruptedOr(e, "the cluster id could not be asked");
            }
            clusterId = known;
        }
        return known;
    }

    /** The brokers of the cluster, as they are now. */
    Collection<Node> brokers() throws JMSException {
        try {
            return admin().describeCluster().nodes().get(StrataXAResource.CALL_TIMEOUT.toMillis(),
                    TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw JmsErrors.jms("the brokers of the cluster could not be asked", e.getCause());
        } catch (Exception e) {
            throw interruptedOr(e, "the brokers of the cluster could not be asked");
        }
    }

    synchronized TransactionCoordinatorClient coordinator() {
        if (coordinator == null) {
            coordinator = new TransactionCoordinatorClient(settings().kafka());
        }
        return coordinator;
    }

    @Override
    public void close() throws JMSException {
        try {
            super.close();
        } finally {
            for (XaBranch branch : XaBranch.ownedBy(this)) {
                synchronized (branch) {
                    if (branch.transaction.isPrepared()) {
                        branch.transaction.abandonPrepared();
                        LOG.log(Level.INFO, "{0} stays prepared for the transaction manager to complete", branch);
                    } else {
                        branch.transaction.rollback();
                        branch.transaction.closeAfterBranch();
                    }
                    branch.remove();
                }
            }
            TransactionCoordinatorClient closing;
            synchronized (this) {
                closing = coordinator;
                coordinator = null;
            }
            if (closing != null) {
                closing.close();
            }
        }
    }
}
