package io.strata.broker.share;

import io.strata.broker.share.selector.MessageSelector;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.protocol.Errors;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The share sessions of this broker (KIP-932, after KIP-227's fetch sessions): for each (group, member) that fetches
 * from it, the partitions it reads here and the epoch its next request must carry, so that a request names only the
 * partitions added or forgotten since the last one.
 *
 * <p>Epochs: a ShareFetch with epoch 0 opens a session (replacing the member's old one), -1 closes it, any other must
 * be the session's next epoch ({@link Errors#INVALID_SHARE_SESSION_EPOCH}; {@link Errors#SHARE_SESSION_NOT_FOUND}
 * when there is no session). A ShareAcknowledge may not open a session. Each accepted request moves the epoch on by
 * one, wrapping from {@link Integer#MAX_VALUE} to 1.
 *
 * <p>Bounds: at most {@code maxSessions} sessions ({@code group.share.max.share.sessions}). When full, a new session
 * takes the place of the least recently used one only if that one has been idle longer than {@code idleTimeoutMs};
 * otherwise the request is refused with {@link Errors#SHARE_SESSION_LIMIT_REACHED} (a scan of the sessions, only
 * when full). A session closes with the connection its member last spoke on ({@link #removeConnection}, as in Kafka),
 * and after {@code idleTimeoutMs} without a request ({@link #removeIdle}), for a member whose connection stays open
 * but who went quiet.
 *
 * <p>A session may carry a filter, a JMS message selector (a Strata extension, docs/protocol-extensions.md): set by the
 * request that opens it and kept for its life, for every partition it fetches. A later request may name the same
 * selector again, not another: that is refused with {@link Errors#INVALID_REQUEST} and changes nothing.
 *
 * <p>Every outcome names the partitions whose records the member must give back ({@link Outcome#released}): those of a
 * closed or replaced session and those forgotten. The caller releases them (SharePartition#releaseMember).
 *
 * <p>Thread-safe: every method is synchronized; each is a few map operations.
 */
public final class ShareSessionCache {

    /** Epoch that opens a session. */
    public static final int INITIAL_EPOCH = 0;
    /** Epoch that closes a session. */
    public static final int FINAL_EPOCH = -1;

    /** Who a session belongs to. */
    public record Key(String groupId, String memberId) {
    }

    /**
     * The answer to one request: NONE, or the error and what to tell the client; the partitions the request reads
     * (those of the session after it), those whose records the member gives back, and the session's filter (null:
     * none). Immutable.
     */
    public record Outcome(Errors error, String message, List<TopicIdPartition> partitions,
                          List<TopicIdPartition> released, MessageSelector selector) {
        public Outcome {
            partitions = List.copyOf(partitions);
            released = List.copyOf(released);
        }

        public Outcome(Errors error, String message, List<TopicIdPartition> partitions,
                       List<TopicIdPartition> released) {
            this(error, message, partitions, released, null);
        }

        static Outcome failed(Errors error, String message) {
            return new Outcome(error, message, List.of(), List.of());
        }
    }

    /** One session; guarded by the cache. */
    private static final class Session {
        final Key key;
        final Set<TopicIdPartition> partitions = new LinkedHashSet<>();
        /** The member's filter for the session's life, or null. */
        MessageSelector selector;
        int epoch;
        long lastUsedMs;
        /** The connection the member's last request came on: the session closes with it. */
        String connectionId;

        Session(Key key, long nowMs) {
            this.key = key;
            this.epoch = nextEpoch(INITIAL_EPOCH);
            this.lastUsedMs = nowMs;
        }
    }

    private final int maxSessions;
    private final long idleTimeoutMs;
    private final Map<Key, Session> sessions = new HashMap<>();
    private final Map<String, Set<Key>> byConnection = new HashMap<>();

    public ShareSessionCache(int maxSessions, long idleTimeoutMs) {
        if (maxSessions < 1) {
            throw new IllegalArgumentException("max share sessions must be positive, got " + maxSessions);
        }
        if (idleTimeoutMs < 1) {
            throw new IllegalArgumentException("share session idle timeout must be positive, got " + idleTimeoutMs);
        }
        this.maxSessions = maxSessions;
        this.idleTimeoutMs = idleTimeoutMs;
    }

    /** The epoch that follows {@code epoch}. */
    public static int nextEpoch(int epoch) {
        return epoch == Integer.MAX_VALUE ? 1 : epoch + 1;
    }

    /**
     * Applies a ShareFetch's session part: opens, closes or moves the session on, adding the partitions the request
     * names and dropping those it forgets.
     */
    public synchronized Outcome fetch(String groupId, String memberId, int epoch, List<TopicIdPartition> added,
                                      List<TopicIdPartition> forgotten, String connectionId, long nowMs) {
        return fetch(groupId, memberId, epoch, added, forgotten, null, connectionId, nowMs);
    }

    /**
     * As {@link #fetch(String, String, int, List, List, String, long)}, for a request that carried a filter
     * ({@code selector}; null when it carried none): opening a session sets it; any other request must carry none or
     * the session's own (same text), else it is refused with INVALID_REQUEST and the session does not move on.
     */
    public synchronized Outcome fetch(String groupId, String memberId, int epoch, List<TopicIdPartition> added,
                                      List<TopicIdPartition> forgotten, MessageSelector selector,
                                      String connectionId, long nowMs) {
        Key key = new Key(groupId, memberId);
        Session session = sessions.get(key);
        if (epoch == INITIAL_EPOCH) {
            List<TopicIdPartition> released = session == null ? List.of() : new ArrayList<>(session.partitions);
            remove(key);
            if (sessions.size() >= maxSessions && !evictIdle(nowMs)) {
                return new Outcome(Errors.SHARE_SESSION_LIMIT_REACHED, "this broker already holds " + maxSessions
                        + " share sessions (group.share.max.share.sessions); retry later", List.of(), released);
            }
            Session opened = new Session(key, nowMs);
            opened.partitions.addAll(added);
            opened.selector = selector;
            sessions.put(key, opened);
            useConnection(opened, connectionId);
            return new Outcome(Errors.NONE, null, new ArrayList<>(opened.partitions), released, selector);
        }
        Outcome invalid = check(session, key, epoch);
        if (invalid != null) {
            return invalid;
        }
        if (epoch == FINAL_EPOCH) {
            remove(key);
            return new Outcome(Errors.NONE, null, List.of(), new ArrayList<>(session.partitions));
        }
        if (selector != null && (session.selector == null || !session.selector.text().equals(selector.text()))) {
            return Outcome.failed(Errors.INVALID_REQUEST, "the share session of member " + memberId + " was opened"
                    + (session.selector == null ? " without a message selector" : " with the message selector \""
                    + session.selector.text() + "\"") + "; it cannot change to \"" + selector.text()
                    + "\" (open a new share session, as another member, for another selector)");
        }
        List<TopicIdPartition> released = new ArrayList<>();
        for (TopicIdPartition partition : forgotten) {
            if (session.partitions.remove(partition)) {
                released.add(partition);
            }
        }
        session.partitions.addAll(added);
        session.epoch = nextEpoch(session.epoch);
        session.lastUsedMs = nowMs;
        useConnection(session, connectionId);
        return new Outcome(Errors.NONE, null, new ArrayList<>(session.partitions), released, session.selector);
    }

    /** Applies a ShareAcknowledge's session part: it may move the session on or close it, not open one. */
    public synchronized Outcome acknowledge(String groupId, String memberId, int epoch, String connectionId,
                                            long nowMs) {
        Key key = new Key(groupId, memberId);
        if (epoch == INITIAL_EPOCH) {
            return Outcome.failed(Errors.INVALID_SHARE_SESSION_EPOCH,
                    "a ShareAcknowledge cannot open a share session (epoch 0); send a ShareFetch first");
        }
        Session session = sessions.get(key);
        Outcome invalid = check(session, key, epoch);
        if (invalid != null) {
            return invalid;
        }
        if (epoch == FINAL_EPOCH) {
            remove(key);
            return new Outcome(Errors.NONE, null, List.of(), new ArrayList<>(session.partitions));
        }
        session.epoch = nextEpoch(session.epoch);
        session.lastUsedMs = nowMs;
        useConnection(session, connectionId);
        return new Outcome(Errors.NONE, null, new ArrayList<>(session.partitions), List.of());
    }

    /** Removes the sessions idle longer than the idle timeout, and returns them with their partitions. */
    public synchronized Map<Key, List<TopicIdPartition>> removeIdle(long nowMs) {
        Map<Key, List<TopicIdPartition>> removed = new HashMap<>();
        for (Session session : List.copyOf(sessions.values())) {
            if (nowMs - session.lastUsedMs > idleTimeoutMs) {
                removed.put(session.key, new ArrayList<>(session.partitions));
                remove(session.key);
            }
        }
        return removed;
    }

    /** Removes the sessions whose members last spoke on the connection that closed, and returns them. */
    public synchronized Map<Key, List<TopicIdPartition>> removeConnection(String connectionId) {
        Map<Key, List<TopicIdPartition>> removed = new HashMap<>();
        for (Key key : List.copyOf(byConnection.getOrDefault(connectionId, Set.of()))) {
            removed.put(key, new ArrayList<>(sessions.get(key).partitions));
            remove(key);
        }
        return removed;
    }

    /** The partitions of a member's session, empty if it has none. */
    public synchronized List<TopicIdPartition> partitions(String groupId, String memberId) {
        Session session = sessions.get(new Key(groupId, memberId));
        return session == null ? List.of() : new ArrayList<>(session.partitions);
    }

    /**
     * Whether any member of {@code groupId} has a session here that fetches {@code topicPartition}. A scan of the
     * sessions, at most {@code maxSessions}; asked only when a session closes.
     */
    public synchronized boolean anyFetches(String groupId, TopicIdPartition topicPartition) {
        for (Session session : sessions.values()) {
            if (session.key.groupId().equals(groupId) && session.partitions.contains(topicPartition)) {
                return true;
            }
        }
        return false;
    }

    /** The epoch the member's next request must carry, or -1 when it has no session. */
    public synchronized int expectedEpoch(String groupId, String memberId) {
        Session session = sessions.get(new Key(groupId, memberId));
        return session == null ? -1 : session.epoch;
    }

    public synchronized int size() {
        return sessions.size();
    }

    private static Outcome check(Session session, Key key, int epoch) {
        if (session == null) {
            return Outcome.failed(Errors.SHARE_SESSION_NOT_FOUND, "no share session for member " + key.memberId()
                    + " of group " + key.groupId() + " on this broker; open one with epoch 0");
        }
        if (epoch != FINAL_EPOCH && epoch != session.epoch) {
            return Outcome.failed(Errors.INVALID_SHARE_SESSION_EPOCH, "share session epoch " + epoch
                    + " is not the expected " + session.epoch);
        }
        return null;
    }

    /**
     * Frees one place by removing the least recently used session if it has been idle past the timeout. Its records
     * are released when their locks expire: the cache only forgets it here, so the member must open a new session.
     */
    private boolean evictIdle(long nowMs) {
        Session oldest = null;
        for (Session session : sessions.values()) {
            if (oldest == null || session.lastUsedMs < oldest.lastUsedMs) {
                oldest = session;
            }
        }
        if (oldest != null && nowMs - oldest.lastUsedMs > idleTimeoutMs) {
            remove(oldest.key);
            return true;
        }
        return false;
    }

    private void remove(Key key) {
        Session session = sessions.remove(key);
        if (session != null && session.connectionId != null) {
            Set<Key> onConnection = byConnection.get(session.connectionId);
            onConnection.remove(key);
            if (onConnection.isEmpty()) {
                byConnection.remove(session.connectionId);
            }
        }
    }

    private void useConnection(Session session, String connectionId) {
        if (connectionId == null || connectionId.equals(session.connectionId)) {
            return;
        }
        if (session.connectionId != null) {
            Set<Key> previous = byConnection.get(session.connectionId);
            previous.remove(session.key);
            if (previous.isEmpty()) {
                byConnection.remove(session.connectionId);
            }
        }
        session.connectionId = connectionId;
        byConnection.computeIfAbsent(connectionId, id -> new java.util.HashSet<>()).add(session.key);
    }
}
