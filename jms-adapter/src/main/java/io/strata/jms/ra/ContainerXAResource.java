package io.strata.jms.ra;

import javax.transaction.xa.XAException;
import javax.transaction.xa.XAResource;
import javax.transaction.xa.Xid;

/**
 * The XA resource the container's transaction manager gets for one XA session of the provider (a managed connection's,
 * or an endpoint's): every call goes to the session's own resource; besides, it knows whether the session works in a
 * branch now ({@link #associated}: between a {@code start} and its {@code end}), which is how a managed connection
 * tells that a handle's session is made in the container's JTA transaction. {@link #isSameRM} compares the sessions'
 * resources, so that a transaction manager joins the branches of one Strata cluster whichever wrapper it holds.
 *
 * <p>Thread-safe: the association is volatile; the session's resource is thread-safe.
 */
final class ContainerXAResource implements XAResource {

    private final XAResource session;
    private volatile boolean associated;

    ContainerXAResource(XAResource session) {
        this.session = session;
    }

    /** Whether the session works in a branch: started (or joined, resumed) and not yet ended or suspended. */
    boolean associated() {
        return associated;
    }

    @Override
    public void start(Xid xid, int flags) throws XAException {
        session.start(xid, flags);
        associated = true;
    }

    /** Ends the association whatever the answer: XA ends it even when end reports a rollback. */
    @Override
    public void end(Xid xid, int flags) throws XAException {
        try {
            session.end(xid, flags);
        } finally {
            associated = false;
        }
    }

    @Override
    public int prepare(Xid xid) throws XAException {
        return session.prepare(xid);
    }

    @Override
    public void commit(Xid xid, boolean onePhase) throws XAException {
        session.commit(xid, onePhase);
    }

    @Override
    public void rollback(Xid xid) throws XAException {
        session.rollback(xid);
    }

    @Override
    public Xid[] recover(int flag) throws XAException {
        return session.recover(flag);
    }

    @Override
    public void forget(Xid xid) throws XAException {
        session.forget(xid);
    }

    @Override
    public boolean isSameRM(XAResource other) throws XAException {
        return session.isSameRM(unwrap(other));
    }

    @Override
    public int getTransactionTimeout() throws XAException {
        return session.getTransactionTimeout();
    }

    @Override
    public boolean setTransactionTimeout(int seconds) throws XAException {
        return session.setTransactionTimeout(seconds);
    }

    /** The provider's resource behind one of the adapter's wrappers, else {@code resource} itself. */
    static XAResource unwrap(XAResource resource) throws XAException {
        if (resource instanceof ContainerXAResource wrapper) {
            return wrapper.session;
        }
        if (resource instanceof RecoveryXAResource recovery) {
            return recovery.connected();
        }
        return resource;
    }

    @Override
    public String toString() {
        return "container's view of " + session;
    }
}
