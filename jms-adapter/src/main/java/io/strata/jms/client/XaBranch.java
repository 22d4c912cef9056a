package io.strata.jms.client;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One XA branch known to this process: its transaction (one Kafka transactional id, {@link XaTransactionIds}), the XA
 * resources whose sessions work in it now, those that suspended it, and where it is in XA's state machine:
 *
 * <pre>
 *   start(TMNOFLAGS) --> ACTIVE --end(TMSUCCESS) by the last--> IDLE --prepare--> PREPARED --commit/rollback--> gone
 *                          |  end(TMFAIL) ------------------> ROLLBACK_ONLY --rollback--> gone
 *                          |  start(TMJOIN) by another resource of the cluster: both work in it
 *   IDLE --commit(onePhase)--> gone
 * </pre>
 *
 * <p>Branches live in a registry of the process, by cluster and transactional id, so that any XA resource of the same
 * cluster finds the branch another started (TMJOIN, and a transaction manager that commits through another resource).
 * A branch this process does not know (prepared by a process that is gone) is completed from the coordinator
 * ({@link StrataXAResource}).
 *
 * <p>Thread-safe: the state is guarded by the branch's monitor, the registry is concurrent.
 */
final class XaBranch {

    enum State { ACTIVE, IDLE, ROLLBACK_ONLY, PREPARED }

    private static final Map<String, XaBranch> REGISTRY = new ConcurrentHashMap<>();

    final String key;
    final String transactionalId;
    final SessionTransaction transaction;
    /** The connection whose session started the branch: it owns the branch's producer. */
    final StrataXAConnection owner;
    private final Set<StrataXAResource> associated = new HashSet<>();
    private final Set<StrataXAResource> suspended = new HashSet<>();
    private State state = State.ACTIVE;

    private XaBranch(String key, String transactionalId, SessionTransaction transaction, StrataXAConnection owner) {
        this.key = key;
        this.transactionalId = transactionalId;
        this.transaction = transaction;
        this.owner = owner;
    }

    static String key(String clusterId, String transactionalId) {
        return clusterId + "/" + transactionalId;
    }

    /** A new branch, started by {@code resource}; null when the process knows one of that key already. */
    static XaBranch start(String key, String transactionalId, SessionTransaction transaction,
                          StrataXAConnection owner, StrataXAResource resource) {
        XaBranch branch = new XaBranch(key, transactionalId, transaction, owner);
        branch.associated.add(resource);
        return REGISTRY.putIfAbsent(key, branch) == null ? branch : null;
    }

    static XaBranch find(String key) {
        return REGISTRY.get(key);
    }

    /** The branches started by sessions of {@code owner}. */
    static List<XaBranch> ownedBy(StrataXAConnection owner) {
        List<XaBranch> owned = new ArrayList<>();
        for (XaBranch branch : REGISTRY.values()) {
            if (branch.owner == owner) {
                owned.add(branch);
            }
        }
        return owned;
    }

    /** Forgets the branch: it is complete, or left to the coordinator. */
    void remove() {
        REGISTRY.remove(key, this);
    }

    synchronized State state() {
        return state;
    }

    /** TMJOIN: false when the branch takes no more work (it is prepared, or being prepared). */
    synchronized boolean join(StrataXAResource resource) {
        if (state == State.PREPARED || associated.contains(resource)) {
            return false;
        }
        associated.add(resource);
        if (state == State.IDLE) {
            state = State.ACTIVE;
        }
        return true;
    }

    /** TMRESUME: false when {@code resource} did not suspend it. */
    synchronized boolean resume(StrataXAResource resource) {
        if (!suspended.remove(resource)) {
            return false;
        }
        associated.add(resource);
        return true;
    }

    /** Whether {@code resource} works in the branch now, or suspended it. */
    synchronized boolean isAssociatedWith(StrataXAResource resource) {
        return associated.contains(resource) || suspended.contains(resource);
    }

    synchronized void suspend(StrataXAResource resource) {
        associated.remove(resource);
        suspended.add(resource);
    }

    /**
     * {@code resource} ends its work in the branch: IDLE once no resource works in it, ROLLBACK_ONLY for good when
     * {@code failed}.
     */
    synchronized void end(StrataXAResource resource, boolean failed) {
        associated.remove(resource);
        suspended.remove(resource);
        if (failed) {
            state = State.ROLLBACK_ONLY;
        } else if (state == State.ACTIVE && associated.isEmpty() && suspended.isEmpty()) {
            state = State.IDLE;
        }
    }

    /** Whether some resource works in the branch, or has suspended it: it cannot be prepared or completed yet. */
    synchronized boolean hasAssociations() {
        return !associated.isEmpty() || !suspended.isEmpty();
    }

    synchronized void prepared() {
        state = State.PREPARED;
    }

    @Override
    public String toString() {
        return "XA branch " + transactionalId;
    }
}
