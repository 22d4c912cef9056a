package io.strata.jms.client;

import jakarta.jms.JMSException;
import jakarta.jms.TransactionRolledBackException;
import org.apache.kafka.common.protocol.Errors;

import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The XA resource of one {@link StrataXASession} (JTA 1.3, the X/Open XA interface): a transaction manager associates
 * the session with branches ({@link #start}/{@link #end}) and completes them in one or two phases. A branch is one
 * Kafka transaction of its own transactional id ({@link XaTransactionIds}); its sends and its share-group receives go
 * into it as a transacted session's do ({@link SessionTransaction}).
 *
 * <ul>
 *   <li><b>prepare</b>: XA_RDONLY when the branch neither sent nor received from a share group (nothing to tell the
 *       brokers); otherwise the sends are flushed, the receives accepted inside the transaction, and the transaction
 *       stored Prepared by its coordinator (Strata's {@code strata.transaction.prepare}, docs/protocol-extensions.md),
 *       which keeps it across broker restarts and coordinator moves until commit or rollback, whatever its timeout.</li>
 *   <li><b>commit/rollback</b> by any XA resource of the same cluster: a branch of this process through its producer;
 *       a branch prepared by a process that is gone through the coordinator (InitProducerId with
 *       {@code KeepPreparedTxn}, then EndTxn at the prepared producer id and epoch).</li>
 *   <li><b>recover</b>: the Prepared transactions of every broker whose ids start with {@value XaTransactionIds#PREFIX},
 *       all of them with TMSTARTRSCAN (none again until the next scan).</li>
 *   <li><b>forget</b>: XAER_NOTA: Strata never completes a branch heuristically, so it has nothing to forget.</li>
 * </ul>
 *
 * Errors: XAER_NOTA for a Xid not known (or no longer prepared), XAER_PROTO for a call out of XA's order, XAER_DUPID for
 * a second start of a Xid, XAER_INVAL for bad flags, XA_RBROLLBACK (or XA_RBTIMEOUT) when the branch was rolled back,
 * XAER_RMFAIL when the brokers did not answer (whether a commit was made is then unknown; ask again), XAER_RMERR for an
 * answer the coordinator should not give.
 *
 * <p>Thread-safety: a transaction manager calls one method at a time per branch; the branch state is guarded by the
 * branch, and the association by this resource's monitor.
 */
final class StrataXAResource implements XAResource {

    private static final Logger LOG = Logger.getLogger(StrataXAResource.class.getName());
    /** How long one XA call may wait for the brokers. */
    static final Duration CALL_TIMEOUT = Duration.ofSeconds(30);

    private final StrataXASession session;
    private final StrataXAConnection connection;
    private volatile XaBranch current;
    private volatile int timeoutSeconds;

    StrataXAResource(StrataXASession session, StrataXAConnection connection) {
        this.session = session;
        this.connection = connection;
    }

    /** The transaction the session's work goes into now: the branch it is associated with, or null outside one. */
    SessionTransaction currentTransaction() {
        XaBranch branch = current;
        return branch == null ? null : branch.transaction;
    }

    // ------------------------------------------------------------------------------------------------ association

    @Override
    public synchronized void start(Xid xid, int flags) throws XAException {
        String transactionalId = transactionalId(xid);
        if (flags != TMNOFLAGS && flags != TMJOIN && flags != TMRESUME) {
            throw error(XAException.XAER_INVAL, "start takes TMNOFLAGS, TMJOIN or TMRESUME, not " + flags);
        }
        if (current != null) {
            throw error(XAException.XAER_PROTO, "this session works in " + current + " already; end it first");
        }
        String key = XaBranch.key(clusterId(), transactionalId);
        XaBranch branch;
        if (flags == TMNOFLAGS) {
            branch = XaBranch.start(key, transactionalId, new SessionTransaction(connection, transactionalId,
                    timeoutSeconds * 1000), connection, this);
            if (branch == null) {
                throw error(XAException.XAER_DUPID, "branch " + transactionalId + " was started already; join it"
                        + " (TMJOIN) or use another Xid");
            }
        } else {
            branch = known(key, transactionalId);
            if (branch.state() == XaBranch.State.ROLLBACK_ONLY) {
                throw error(XAException.XA_RBROLLBACK, "branch " + transactionalId + " is marked rollback-only");
            }
            boolean associated = flags == TMJOIN ? branch.join(this) : branch.resume(this);
            if (!associated) {
                throw error(XAException.XAER_PROTO, flags == TMJOIN ? "branch " + transactionalId + " cannot be"
                        + " joined: it is prepared, or this session works in it already"
                        : "this session did not suspend branch " + transactionalId);
            }
        }
        current = branch;
    }

    @Override
    public synchronized void end(Xid xid, int flags) throws XAException {
        String transactionalId = transactionalId(xid);
        if (flags != TMSUCCESS && flags != TMFAIL && flags != TMSUSPEND) {
            throw error(XAException.XAER_INVAL, "end takes TMSUCCESS, TMFAIL or TMSUSPEND, not " + flags);
        }
        XaBranch branch = known(XaBranch.key(clusterId(), transactionalId), transactionalId);
        if (!branch.isAssociatedWith(this)) {
            throw error(XAException.XAER_PROTO, "this session does not work in branch " + transactionalId);
        }
        if (flags == TMSUSPEND) {
            branch.suspend(this);
        } else {
            branch.end(this, flags == TMFAIL);
        }
        if (current == branch) {
            current = null;
        }
    }

    // ------------------------------------------------------------------------------------------------ completion

    @Override
    public int prepare(Xid xid) throws XAException {
        String transactionalId = transactionalId(xid);
        XaBranch branch = known(XaBranch.key(clusterId(), transactionalId), transactionalId);
        synchronized (branch) {
            checkEnded(branch, "prepare");
            switch (branch.state()) {
                case PREPARED -> throw error(XAException.XAER_PROTO, "branch " + transactionalId
                        + " is prepared already");
                case ROLLBACK_ONLY -> {
                    rollbackKnown(branch);
                    throw error(XAException.XA_RBROLLBACK, "branch " + transactionalId + " was marked rollback-only;"
                            + " it is rolled back");
                }
                default -> { }
            }
            if (!branch.transaction.hasBrokerWork()) {
                commitOnePhase(branch); // a topic subscriber's messages are simply consumed
                return XA_RDONLY;
            }
            try {
                branch.transaction.prepare(connection.coordinator(), deadlineMs());
            } catch (TransactionRolledBackException e) {
                branch.transaction.closeAfterBranch();
                branch.remove();
                throw error(XAException.XA_RBROLLBACK, e.getMessage());
            } catch (JMSException e) {
                throw error(XAException.XAER_RMFAIL, e.getMessage());
            }
            branch.prepared();
            return XA_OK;
        }
    }

    @Override
    public void commit(Xid xid, boolean onePhase) throws XAException {
        String transactionalId = transactionalId(xid);
        XaBranch branch = XaBranch.find(XaBranch.key(clusterId(), transactionalId));
        if (branch == null) {
            if (onePhase) {
                throw error(XAException.XAER_NOTA, "branch " + transactionalId + " is not known here: a one-phase"
                        + " commit is for a branch of this process");
            }
            completeFromCoordinator(transactionalId, true);
            return;
        }
        synchronized (branch) {
            checkEnded(branch, "commit");
            XaBranch.State state = branch.state();
            if (onePhase) {
                if (state == XaBranch.State.PREPARED) {
                    throw error(XAException.XAER_PROTO, "branch " + transactionalId + " is prepared: commit it in"
                            + " two phases");
                }
                if (state == XaBranch.State.ROLLBACK_ONLY) {
                    rollbackKnown(branch);
                    throw error(XAException.XA_RBROLLBACK, "branch " + transactionalId + " was marked rollback-only;"
                            + " it is rolled back");
                }
                commitOnePhase(branch);
                return;
            }
            if (state != XaBranch.State.PREPARED) {
                throw error(XAException.XAER_PROTO, "branch " + transactionalId + " is not prepared: prepare it"
                        + " first, or commit it in one phase");
            }
            try {
                branch.transaction.commitPrepared();
            } catch (JMSException e) {
                throw error(XAException.XAER_RMFAIL, e.getMessage());
            }
            branch.remove();
        }
    }

    @Override
    public void rollback(Xid xid) throws XAException {
        String transactionalId = transactionalId(xid);
        XaBranch branch = XaBranch.find(XaBranch.key(clusterId(), transactionalId));
        if (branch == null) {
            completeFromCoordinator(transactionalId, false);
            return;
        }
        synchronized (branch) {
            checkEnded(branch, "rollback");
            rollbackKnown(branch);
        }
    }

    private void commitOnePhase(XaBranch branch) throws XAException {
        try {
            branch.transaction.commit();
        } catch (TransactionRolledBackException e) {
            throw error(XAException.XA_RBROLLBACK, e.getMessage());
        } catch (JMSException e) {
            throw error(XAException.XAER_RMFAIL, e.getMessage());
        } finally {
            branch.transaction.closeAfterBranch();
            branch.remove();
        }
    }

    private static void rollbackKnown(XaBranch branch) {
        try {
            branch.transaction.rollback();
        } finally {
            branch.transaction.closeAfterBranch();
            branch.remove();
        }
    }

    /**
     * Commits or rolls back a branch prepared by another process, from its coordinator: InitProducerId with
     * KeepPreparedTxn hands over the prepared producer id and epoch, EndTxn at them ends it.
     */
    private void completeFromCoordinator(String transactionalId, boolean commit) throws XAException {
        long deadlineMs = deadlineMs();
        TransactionCoordinatorClient coordinator = connection.coordinator();
        try {
            TransactionCoordinatorClient.KeptTransaction kept = coordinator.keepPrepared(transactionalId,
                    (int) CALL_TIMEOUT.toMillis(), deadlineMs);
            if (kept.error() != Errors.NONE) {
                throw error(XAException.XAER_RMERR, "the coordinator of " + transactionalId + " answered "
                        + kept.error());
            }
            if (!kept.prepared()) {
                throw error(XAException.XAER_NOTA, "branch " + transactionalId + " is not prepared (unknown, or"
                        + " completed already)");
            }
            Errors ended = coordinator.end(transactionalId, kept.producerId(), kept.producerEpoch(), commit,
                    deadlineMs);
            switch (ended) {
                case NONE -> LOG.log(Level.INFO, "Prepared branch {0} {1} from its coordinator",
                        new Object[] {transactionalId, commit ? "committed" : "rolled back"});
                case INVALID_TXN_STATE -> throw error(commit ? XAException.XA_HEURRB : XAException.XA_HEURCOM,
                        "branch " + transactionalId + " was " + (commit ? "rolled back" : "committed")
                                + " meanwhile by another resource");
                case PRODUCER_FENCED, INVALID_PRODUCER_ID_MAPPING, INVALID_PRODUCER_EPOCH ->
                        throw error(XAException.XAER_NOTA, "branch " + transactionalId + " was completed meanwhile"
                                + " (" + ended + ")");
                default -> throw error(XAException.XAER_RMERR, "the coordinator of " + transactionalId
                        + " answered " + ended);
            }
        } catch (TransactionCoordinatorClient.UnreachableException e) {
            throw error(XAException.XAER_RMFAIL, "branch " + transactionalId + ": " + e.getMessage());
        }
    }

    private void checkEnded(XaBranch branch, String operation) throws XAException {
        if (branch.hasAssociations()) {
            throw error(XAException.XAER_PROTO, "branch " + branch.transactionalId + " cannot be " + operation
                    + (operation.endsWith("e") ? "d" : "ed") + " while a session works in it: end it first");
        }
    }

    // ------------------------------------------------------------------------------------------------ recovery

    @Override
    public Xid[] recover(int flag) throws XAException {
        if ((flag & ~(TMSTARTRSCAN | TMENDRSCAN)) != 0) {
            throw error(XAException.XAER_INVAL, "recover takes TMSTARTRSCAN, TMENDRSCAN or TMNOFLAGS, not " + flag);
        }
        if ((flag & TMSTARTRSCAN) == 0) {
            return new Xid[0]; // the scan's start returned every prepared branch
        }
        Set<String> ids;
        try {
            ids = connection.coordinator().listPrepared(connection.brokers(), XaTransactionIds.PREFIX, deadlineMs());
        } catch (TransactionCoordinatorClient.UnreachableException | JMSException e) {
            throw error(XAException.XAER_RMFAIL, "the prepared branches could not be listed: " + e.getMessage());
        }
        List<Xid> xids = new ArrayList<>();
        for (String id : ids) {
            Xid xid = XaTransactionIds.parse(id);
            if (xid != null) {
                xids.add(xid);
            }
        }
        return xids.toArray(new Xid[0]);
    }

    @Override
    public void forget(Xid xid) throws XAException {
        transactionalId(xid);
        throw error(XAException.XAER_NOTA, "Strata completes no branch heuristically: there is nothing to forget");
    }

    @Override
    public boolean isSameRM(XAResource other) throws XAException {
        return other instanceof StrataXAResource strata && strata.clusterId().equals(clusterId());
    }

    @Override
    public int getTransactionTimeout() {
        return timeoutSeconds;
    }

    /**
     * The timeout of the branches this resource starts from now on, in seconds (0: the factory's
     * {@code transaction.timeout.ms}, or kafka-clients' 60 s): the coordinator rolls back a branch not prepared within
     * it. A prepared branch has no timeout. It must not exceed the brokers' {@code transaction.max.timeout.ms}.
     */
    @Override
    public boolean setTransactionTimeout(int seconds) throws XAException {
        if (seconds < 0) {
            throw error(XAException.XAER_INVAL, "a transaction timeout of " + seconds + " s");
        }
        timeoutSeconds = seconds;
        return true;
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private String clusterId() throws XAException {
        try {
            return connection.clusterId();
        } catch (JMSException e) {
            throw error(XAException.XAER_RMFAIL, e.getMessage());
        }
    }

    private static String transactionalId(Xid xid) throws XAException {
        if (xid == null) {
            throw error(XAException.XAER_INVAL, "the Xid is null");
        }
        try {
            return XaTransactionIds.of(xid);
        } catch (IllegalArgumentException e) {
            throw error(XAException.XAER_INVAL, e.getMessage());
        }
    }

    private static XaBranch known(String key, String transactionalId) throws XAException {
        XaBranch branch = XaBranch.find(key);
        if (branch == null) {
            throw error(XAException.XAER_NOTA, "branch " + transactionalId + " is not known here");
        }
        return branch;
    }

    private static long deadlineMs() {
        return System.currentTimeMillis() + CALL_TIMEOUT.toMillis();
    }

    static XAException error(int code, String message) {
        XAException exception = new XAException(message);
        exception.errorCode = code;
        return exception;
    }

    @Override
    public String toString() {
        return "XAResource of " + session;
    }
}
