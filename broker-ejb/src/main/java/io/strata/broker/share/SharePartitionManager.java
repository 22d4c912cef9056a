package io.strata.broker.share;

import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;

import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongUnaryOperator;
import java.util.function.Predicate;

/**
 * The live share partitions of the topic partitions this broker leads: one {@link SharePartition} per (share group,
 * topic partition), created when a member first fetches it, from the state the {@link SharePersister} keeps or, when
 * none is kept, at the offset the group's {@code share.auto.offset.reset} gives.
 *
 * <p>Each share partition runs its operations one at a time, in arrival order, on a queue of its own: an operation
 * that waits for the persister (loading, an acknowledgement) holds the next one back without holding a thread or a
 * lock, and nothing waits for the log. Acquisitions stay in memory, as in Kafka: after a failover the records that
 * were acquired are delivered again (at least once). But the store knows which records may have been delivered (the
 * share partition's delivery bound, see {@link SharePartition}), so that a new leader delivers them one delivery count
 * higher: an acquisition that passes the bound, or delivers a record again, is written before its records are given
 * out, and an acknowledgement's write carries the bound along at no cost, so that a consumer acknowledging as it goes
 * makes no extra write at all. Acknowledgements, and acquisitions to be written, are applied to a copy of the
 * partition, the copy is written, and only once the persister says NONE does the copy become the partition: a failed
 * write leaves memory as the store has it.
 *
 * <p>A share partition belongs to the leader epoch at which it was loaded. When this broker stops leading its topic
 * partition, or leads it at a new epoch ({@link #onLeadershipChanged}), it is dropped and what is queued on it is
 * answered NOT_LEADER_OR_FOLLOWER; a persister that answers FENCED_LEADER_EPOCH or FENCED_STATE_EPOCH drops it too,
 * and the next fetch loads it again.
 *
 * <p>Acquisition locks are expired by a timer ({@code expirySweepMs}), not only when the next operation comes, so
 * that records freed by a member that went quiet reach the others: every release, whether by acknowledgement, expiry
 * or a member leaving, is reported to the {@code recordsReleased} listener, which wakes waiting fetches.
 *
 * <p>Acknowledgements made inside a producer's transaction ({@link #acknowledgeInTransaction}) are held pending in
 * the share partition, and stored so (a {@link PendingAcknowledgement} on the state batch) before they are answered,
 * until the transaction's marker is written to the topic partition ({@link #completeTransaction}, told by
 * WriteTxnMarkers): a COMMIT applies and stores them as ordinary ones, an ABORT releases their records. A
 * <em>transaction guard</em> per (topic partition, producer), taken before the coordinator is asked to add the
 * partition and dropped by the producer's next marker, keeps an acknowledgement whose transaction ended meanwhile from
 * being held pending for a marker that already came; the log end offset when it was made is where the marker that
 * decides the acknowledgements held under it is to be looked for (every earlier marker of the producer lies below it,
 * or its completion would have dropped the guard). A new leader loads them pending, takes a guard for each producer
 * so that the producer's next marker finds them, and then looks in its log for the marker that ended their
 * transaction already: exactly once across a failover, see docs/protocol-extensions.md.
 *
 * <p>A group with a dead-letter topic (KIP-1191) has the records it gives up on (rejected, or at the delivery limit)
 * written there by the {@link DeadLetterWriter} after the operation that gave up on them, without holding the queue:
 * they stay Archiving, stored as such, until the write is acknowledged, and are then archived and the state written
 * again. A writer that is full, or a write that fails, leaves them Archiving; the expiry sweep offers them again. A
 * new leader finds them Archiving (or Acquired at the limit) in the store and writes them again: a record reaches the
 * dead-letter topic at least once.
 *
 * <p>Bounds: each share partition tracks at most {@code maxRecordLocks} in-flight offsets
 * ({@code group.share.partition.max.record.locks}); there is one per (group, led topic partition) that was fetched
 * since this broker began to lead it; the operations queued on one are at most the requests in flight to this broker.
 * A sweep visits every share partition once, in O(1) unless locks are due.
 *
 * <p>Thread-safe.
 */
public final class SharePartitionManager implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(SharePartitionManager.class.getName());

    /** How the manager sees the topic partitions this broker leads. Implementations are thread-safe. */
    public interface LeaderLogs {
        /** The topic partition as this broker leads it now, or null when it does not lead it. */
        LeaderLog leader(TopicIdPartition topicPartition);
    }

    /**
     * A led topic partition now: its leader epoch, its log start offset, its high watermark, its last stable offset,
     * a search by timestamp (the first offset with a timestamp at or after the argument, or -1), its log end offset,
     * and a search for transaction markers.
     */
    public record LeaderLog(int leaderEpoch, long logStartOffset, long highWatermark, long lastStableOffset,
                            LongUnaryOperator offsetForTimestamp, long logEndOffset, TransactionMarkers markers) {

        /** A log whose end is its high watermark and that holds no transaction marker. */
        public LeaderLog(int leaderEpoch, long logStartOffset, long highWatermark, long lastStableOffset,
                         LongUnaryOperator offsetForTimestamp) {
            this(leaderEpoch, logStartOffset, highWatermark, lastStableOffset, offsetForTimestamp, highWatermark,
                    (producerId, fromOffset) -> null);
        }
    }

    /** A COMMIT ({@code commit}) or ABORT marker of a transaction, at {@code offset} of its topic partition. */
    public record TransactionMarker(long offset, boolean commit) {
    }

    /** Finds the markers of transactions in a led topic partition's log. */
    @FunctionalInterface
    public interface TransactionMarkers {
        /**
         * The first COMMIT or ABORT marker of {@code producerId} at or after {@code fromOffset} and below the high
         * watermark, or null when there is none (yet).
         */
        TransactionMarker first(long producerId, long fromOffset);
    }

    /** Told of records archived because they reached the delivery limit: the hook for a dead-letter topic. */
    @FunctionalInterface
    public interface ArchiveListener {
        void archivedAtDeliveryLimit(String groupId, TopicIdPartition topicPartition, List<OffsetRange> archived);
    }

    /** One share partition: a share group on a topic partition. */
    public record Key(String groupId, TopicIdPartition topicPartition) {
    }

    /** What an acquisition gave: the error (NONE), the records and the lock duration; or the error alone. */
    public record Acquisition(Errors error, String message, List<AcquiredRecords> records, long lockDurationMs) {
        public Acquisition {
            records = List.copyOf(records);
        }

        static Acquisition failed(Errors error, String message) {
            return new Acquisition(error, message, List.of(), 0);
        }
    }

    /** Where to read the log from for the next acquisition, or the error. */
    public record Position(Errors error, String message, long offset) {
    }

    /** The answer to a partition's acknowledgements: NONE once they are stored, or the error and why. */
    public record Acknowledgement(Errors error, String message) {
        static final Acknowledgement DONE = new Acknowledgement(Errors.NONE, null);
    }

    /** One acknowledged range, as a request names it: one type for the whole range, or one per offset (0 = gap). */
    public record AcknowledgementBatch(long firstOffset, long lastOffset, List<Byte> typeIds) {
        public AcknowledgementBatch {
            typeIds = List.copyOf(typeIds);
        }
    }

    private final SharePersister persister;
    private final LeaderLogs logs;
    private final Function<String, ShareGroupSettings> settings;
    private final int maxRecordLocks;
    private final Clock clock;
    private final Consumer<TopicIdPartition> recordsReleased;
    private final ArchiveListener archiveListener;
    private final DeadLetterWriter deadLetters;
    private final ConcurrentHashMap<Key, Live> live = new ConcurrentHashMap<>();
    /**
     * The transaction guards, by topic partition and producer: at most one per producer that acknowledges in a
     * transaction on a led topic partition, dropped by its marker, a failed verification or a change of leadership.
     */
    private final ConcurrentHashMap<TransactionKey, TransactionGuard> transactionGuards = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer;
    /** Whether acquisitions the store does not cover are written before delivery; off only to measure the cost. */
    private volatile boolean storeBeforeDelivery = true;

    /**
     * @param settings        the settings of a share group, by group id (its dynamic config or the broker defaults)
     * @param maxRecordLocks  {@code group.share.partition.max.record.locks}
     * @param recordsReleased told when records of a topic partition became Available again, to wake waiting fetches
     * @param archiveListener told of records archived at the delivery limit
     * @param expirySweepMs   how often expired acquisition locks are released
     */
    public SharePartitionManager(SharePersister persister, LeaderLogs logs,
                                 Function<String, ShareGroupSettings> settings, int maxRecordLocks, Clock clock,
                                 Consumer<TopicIdPartition> recordsReleased, ArchiveListener archiveListener,
                                 ThreadFactory threads, long expirySweepMs) {
        this(persister, logs, settings, maxRecordLocks, clock, recordsReleased, archiveListener,
                DeadLetterWriter.ARCHIVE_ONLY, threads, expirySweepMs);
    }

    /**
     * As the other constructor, with {@code deadLetters} writing the records of groups with a dead-letter topic.
     */
    public SharePartitionManager(SharePersister persister, LeaderLogs logs,
                                 Function<String, ShareGroupSettings> settings, int maxRecordLocks, Clock clock,
                                 Consumer<TopicIdPartition> recordsReleased, ArchiveListener archiveListener,
                                 DeadLetterWriter deadLetters, ThreadFactory threads, long expirySweepMs) {
        if (maxRecordLocks < 1) {
            throw new IllegalArgumentException("max record locks must be positive, got " + maxRecordLocks);
        }
        if (expirySweepMs < 1) {
            throw new IllegalArgumentException("expiry sweep interval must be positive, got " + expirySweepMs);
        }
        this.persister = Objects.requireNonNull(persister, "persister");
        this.logs = logs;
        this.settings = settings;
        this.maxRecordLocks = maxRecordLocks;
        this.clock = clock;
        this.recordsReleased = recordsReleased;
        this.archiveListener = archiveListener;
        this.deadLetters = Objects.requireNonNull(deadLetters, "deadLetters");
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = threads.newThread(runnable);
            thread.setName("strata-share-lock-expiry");
            thread.setDaemon(true);
            return thread;
        });
        this.timer = executor;
        timer.scheduleWithFixedDelay(this::expireLocks, expirySweepMs, expirySweepMs, TimeUnit.MILLISECONDS);
    }

    /**
     * Acquires up to {@code maxRecords} records for the member, below {@code readEndOffset} (where the caller's read
     * of the log ended) and the high watermark, or the last stable offset for a read_committed group.
     */
    public CompletableFuture<Acquisition> acquire(String groupId, String memberId, TopicIdPartition topicPartition,
                                                  int maxRecords, long readEndOffset) {
        return acquire(groupId, memberId, topicPartition, maxRecords, readEndOffset, null, null);
    }

    /**
     * Acquires as {@link #acquire(String, String, TopicIdPartition, int, long)} only records that match
     * {@code filter} (all when it is null), testing those of the caller's read, {@code records} (see
     * {@link SharePartition#acquire(String, int, long, RecordLookup, Predicate, long)}). A record that does not match
     * stays Available for other members, its delivery count unchanged.
     */
    public CompletableFuture<Acquisition> acquire(String groupId, String memberId, TopicIdPartition topicPartition,
                                                  int maxRecords, long readEndOffset, RecordLookup records,
                                                  Predicate<ShareRecord> filter) {
        if (maxRecords < 1) {
            throw new IllegalArgumentException("max records must be positive, got " + maxRecords);
        }
        return submit(groupId, topicPartition, (share, leader) -> {
                    ShareGroupSettings group = settings.apply(groupId);
                    long readable = group.isolationLevel() == IsolationLevel.READ_COMMITTED
                            ? leader.lastStableOffset() : leader.highWatermark();
                    SharePartition changed = share.partition.copy();
                    AcquireResult result = changed.acquire(memberId, maxRecords, Math.min(readable, readEndOffset),
                            records, filter, clock.millis());
                    if (!result.storeBeforeDelivery() || !storeBeforeDelivery) {
                        return CompletableFuture.completedFuture(acquired(share, changed, result));
                    }
                    // Stored before delivery: a new leader must deliver these records one delivery count higher.
                    return write(share, changed).thenApply(error -> {
                        if (error != Errors.NONE) {
                            boolean fenced = error == Errors.FENCED_LEADER_EPOCH
                                    || error == Errors.FENCED_STATE_EPOCH;
                            return Acquisition.failed(fenced ? Errors.NOT_LEADER_OR_FOLLOWER : retriable(error),
                                    "the share state of " + topicPartition + " could not be stored before its"
                                            + " records were delivered (" + error.name() + "); nothing was acquired");
                        }
                        return acquired(share, changed, result);
                    });
                }, error -> Acquisition.failed(error.error(), error.message()));
    }

    /** Makes {@code changed}, where {@code result} was acquired, the share partition, and answers the acquisition. */
    private Acquisition acquired(Live share, SharePartition changed, AcquireResult result) {
        share.partition = changed;
        reportArchived(share, result.archivedAtDeliveryLimit());
        return new Acquisition(Errors.NONE, null, result.acquired(), changed.limits().lockDurationMs());
    }

    /**
     * Whether acquisitions that the store does not yet know may be delivered are written before they are answered
     * (the default). Turned off, a share partition serves as Kafka's does, and a new leader delivers the records
     * acquired since the last write as never delivered: only to measure what the writes cost.
     */
    void storeBeforeDelivery(boolean enabled) {
        storeBeforeDelivery = enabled;
    }

    /**
     * Where the next acquisition for the group would start reading the log: the first Available offset. The caller
     * reads the log from there, then {@link #acquire}s up to where its read ended.
     */
    public CompletableFuture<Position> nextFetchOffset(String groupId, TopicIdPartition topicPartition) {
        return submit(groupId, topicPartition, (share, leader) -> {
            List<OffsetRange> archived = share.partition.expireLocks(clock.millis());
            reportArchived(share, archived);
            return CompletableFuture.completedFuture(new Position(Errors.NONE, null,
                    share.partition.nextAvailableOffset()));
        }, error -> new Position(error.error(), error.message(), -1));
    }

    /**
     * Acknowledges the batches of one topic partition for the member, all or none: if any range is not wholly held by
     * the member the answer is INVALID_RECORD_STATE and nothing changes. The new state is written to the persister
     * before the answer is NONE; if the write fails, nothing changes and the answer is the persister's error.
     */
    public CompletableFuture<Acknowledgement> acknowledge(String groupId, String memberId,
                                                          TopicIdPartition topicPartition,
                                                          List<AcknowledgementBatch> batches) {
        Acknowledgement invalid = validate(batches);
        if (invalid != null) {
            return CompletableFuture.completedFuture(invalid);
        }
        return submit(groupId, topicPartition, (share, leader) -> {
                    long nowMs = clock.millis();
                    SharePartition changed = share.partition.copy();
                    List<OffsetRange> archived = new ArrayList<>();
                    boolean released = false;
                    for (AcknowledgementBatch batch : batches) {
                        for (Run run : runs(batch)) {
                            AcknowledgeResult result = run.type == null
                                    ? changed.discard(memberId, run.firstOffset, run.lastOffset, nowMs)
                                    : changed.acknowledge(memberId, run.firstOffset, run.lastOffset, run.type, nowMs);
                            archived.addAll(result.archivedAtDeliveryLimit());
                            if (result.error() != Errors.NONE) {
                                return CompletableFuture.completedFuture(new Acknowledgement(result.error(),
                                        "offsets " + run.firstOffset + " to " + run.lastOffset + " of "
                                                + topicPartition + " are not acquired by member " + memberId
                                                + " (never, or its lock expired)"));
                            }
                            released |= run.type == AcknowledgeType.RELEASE;
                        }
                    }
                    boolean anyReleased = released;
                    // Written anyway: the delivery bound moves along for free, sparing acquisitions a write.
                    changed.extendDeliveryBound();
                    return write(share, changed).thenApply(error -> {
                        if (error != Errors.NONE) {
                            return new Acknowledgement(error, "the share state of " + topicPartition
                                    + " could not be stored (" + error.name() + "); nothing was acknowledged");
                        }
                        share.partition = changed;
                        reportArchived(share, archived);
                        if (anyReleased) {
                            recordsReleased.accept(topicPartition);
                        }
                        return Acknowledgement.DONE;
                    });
                }, error -> new Acknowledgement(error.error(), error.message()));
    }

    /**
     * Takes the transaction guard of the producer on the topic partition (the one a concurrent request took, if any),
     * before the transaction coordinator is asked to add the partition to the producer's transaction; hand it to
     * {@link #acknowledgeInTransaction}, or to {@link #abandonTransactionGuard} if the coordinator refused.
     */
    public Object takeTransactionGuard(TopicIdPartition topicPartition, long producerId) {
        LeaderLog leader = logs.leader(topicPartition);
        if (leader == null) {
            // Not led here: a guard no marker can find, so that holding acknowledgements under it is refused.
            return new TransactionGuard(0);
        }
        return transactionGuards.computeIfAbsent(new TransactionKey(topicPartition.topicPartition(), producerId),
                key -> newGuard(topicPartition));
    }

    /**
     * A new guard of the topic partition, its marker search offset the log end offset read now (inside the guard
     * map's atomic operation, so that no marker of the producer completes between the read and the guard's start).
     */
    private TransactionGuard newGuard(TopicIdPartition topicPartition) {
        LeaderLog leader = logs.leader(topicPartition);
        return new TransactionGuard(leader == null ? 0 : leader.logEndOffset());
    }

    /**
     * Gives back a guard whose verification failed, unless a marker dropped it already or a concurrent request holds
     * acknowledgements pending under it.
     */
    public void abandonTransactionGuard(TopicIdPartition topicPartition, long producerId, Object guard) {
        transactionGuards.computeIfPresent(new TransactionKey(topicPartition.topicPartition(), producerId),
                (key, current) -> current == guard && !current.holding ? null : current);
    }

    /**
     * Acknowledges the batches of one topic partition for the member inside the transaction of {@code producerId} at
     * {@code producerEpoch}, which the coordinator has confirmed includes the topic partition: all or none, held
     * pending until the transaction's marker. Answered NONE once they are pending and stored as such (a failed write
     * leaves nothing pending and is answered COORDINATOR_NOT_AVAILABLE, or NOT_LEADER_OR_FOLLOWER when a newer leader
     * or state fenced it: send them again); INVALID_RECORD_STATE
     * if any offset is not held by the member (or already pending); INVALID_PRODUCER_EPOCH or CONCURRENT_TRANSACTIONS
     * as {@link SharePartition#acknowledgeInTransaction} says; CONCURRENT_TRANSACTIONS too when a marker of the
     * producer came since {@code guard} was taken (the transaction may have ended: asking again settles it).
     */
    public CompletableFuture<Acknowledgement> acknowledgeInTransaction(String groupId, String memberId,
                                                                      TopicIdPartition topicPartition,
                                                                      List<AcknowledgementBatch> batches,
                                                                      long producerId, short producerEpoch,
                                                                      Object guard) {
        Acknowledgement invalid = validate(batches);
        if (invalid == null && batches.stream().anyMatch(b -> b.typeIds().contains(AcknowledgeType.RENEW.id))) {
            invalid = new Acknowledgement(Errors.INVALID_REQUEST, "a renew (type 4) is not transactional");
        }
        if (invalid != null) {
            return CompletableFuture.completedFuture(invalid);
        }
        TransactionKey transaction = new TransactionKey(topicPartition.topicPartition(), producerId);
        return submit(groupId, topicPartition, (share, leader) -> {
            // Atomically with a marker's removal of the guard: either the marker finds it holding, or this finds it gone.
            TransactionGuard[] current = {null};
            transactionGuards.computeIfPresent(transaction, (key, held) -> {
                if (held == guard) {
                    held.holding = true;
                    current[0] = held;
                }
                return held;
            });
            if (current[0] == null) {
                return CompletableFuture.completedFuture(new Acknowledgement(Errors.CONCURRENT_TRANSACTIONS,
                        "a transaction of producer " + producerId + " ended on " + topicPartition
                                + " while these acknowledgements were verified; send them again"));
            }
            long nowMs = clock.millis();
            SharePartition changed = share.partition.copy();
            List<OffsetRange> archived = new ArrayList<>();
            for (AcknowledgementBatch batch : batches) {
                for (Run run : runs(batch)) {
                    AcknowledgeResult result = changed.acknowledgeInTransaction(memberId, run.firstOffset,
                            run.lastOffset, run.type == null ? AcknowledgeType.REJECT : run.type, producerId,
                            producerEpoch, current[0].markerSearchOffset, nowMs);
                    archived.addAll(result.archivedAtDeliveryLimit());
                    if (result.error() != Errors.NONE) {
                        return CompletableFuture.completedFuture(new Acknowledgement(result.error(),
                                transactionalRefusal(result.error(), run, topicPartition, memberId, producerId,
                                        producerEpoch)));
                    }
                }
            }
            // Stored before the answer: a new leader must find them pending, or it would deliver them again.
            return write(share, changed).thenApply(error -> {
                if (error != Errors.NONE) {
                    boolean fenced = error == Errors.FENCED_LEADER_EPOCH || error == Errors.FENCED_STATE_EPOCH;
                    return new Acknowledgement(fenced ? Errors.NOT_LEADER_OR_FOLLOWER : retriable(error),
                            "the pending acknowledgements on " + topicPartition + " could not be stored ("
                                    + error.name() + "); nothing was acknowledged, send them again");
                }
                share.partition = changed;
                reportArchived(share, archived);
                return Acknowledgement.DONE;
            });
        }, error -> new Acknowledgement(error.error(), error.message()));
    }

    private static String transactionalRefusal(Errors error, Run run, TopicIdPartition topicPartition,
                                               String memberId, long producerId, short producerEpoch) {
        return switch (error) {
            case INVALID_PRODUCER_EPOCH -> "producer " + producerId + " at epoch " + producerEpoch + " is fenced on "
                    + topicPartition + ": acknowledgements of a newer epoch are pending there";
            case CONCURRENT_TRANSACTIONS -> "acknowledgements of an earlier transaction of producer " + producerId
                    + " on " + topicPartition + " wait for its marker; send these again";
            default -> "offsets " + run.firstOffset + " to " + run.lastOffset + " of " + topicPartition
                    + " are not acquired by member " + memberId + " (never, its lock expired, or their"
                    + " acknowledgement is already pending in a transaction)";
        };
    }

    /**
     * Ends the acknowledgements pending for {@code producerId} on the topic partition, now that its COMMIT or ABORT
     * marker is written there (and replicated): a commit applies and stores them, an abort releases their records and
     * stores that. Drops the producer's transaction guard first. Completes with NONE once every share group's state is
     * stored, or COORDINATOR_NOT_AVAILABLE when a write failed (the pending acknowledgements stay, and the
     * coordinator sends the marker again); null, at once, when no acknowledgement of the producer can be pending here
     * (no guard of its holds any): the markers of ordinary transactions never wait for share partitions.
     */
    public CompletableFuture<Errors> completeTransaction(TopicPartition topicPartition, long producerId,
                                                        boolean commit) {
        TransactionGuard guard = transactionGuards.remove(new TransactionKey(topicPartition, producerId));
        if (guard == null || !guard.holding) {
            return null;
        }
        List<CompletableFuture<Errors>> outcomes = new ArrayList<>();
        for (Live share : live.values()) {
            if (share.key.topicPartition().topicPartition().equals(topicPartition)) {
                outcomes.add(share.enqueue(() -> completeTransaction(share, producerId, commit)));
            }
        }
        if (outcomes.isEmpty()) {
            return null;
        }
        return CompletableFuture.allOf(outcomes.toArray(CompletableFuture[]::new)).handle((ignored, failure) -> {
            for (CompletableFuture<Errors> outcome : outcomes) {
                Errors error = outcome.isCompletedExceptionally() ? Errors.COORDINATOR_NOT_AVAILABLE : outcome.join();
                if (error != Errors.NONE) {
                    return error;
                }
            }
            return Errors.NONE;
        });
    }

    /**
     * Marks the producer's guard on the topic partition as holding (taking a new one if it has none), so that the
     * producer's next marker looks for what is pending.
     */
    private void holdGuard(TopicIdPartition topicPartition, long producerId) {
        transactionGuards.compute(new TransactionKey(topicPartition.topicPartition(), producerId), (key, held) -> {
            TransactionGuard holding = held == null ? newGuard(topicPartition) : held;
            holding.holding = true;
            return holding;
        });
    }

    private CompletableFuture<Errors> completeTransaction(Live share, long producerId, boolean commit) {
        if (share.refusal != null || share.partition == null || !share.partition.hasPending(producerId)) {
            // Not served here any more: what was pending is stored so, and the next leader decides it.
            return CompletableFuture.completedFuture(Errors.NONE);
        }
        SharePartition changed = share.partition.copy();
        SharePartition.TransactionOutcome outcome = changed.completeTransaction(producerId, commit, clock.millis());
        return write(share, changed).thenApply(error -> {
            if (error == Errors.FENCED_LEADER_EPOCH || error == Errors.FENCED_STATE_EPOCH) {
                return Errors.NONE; // dropped by write(): a newer leader or state decides these records
            }
            if (error != Errors.NONE) {
                LOG.log(Level.WARNING, "Storing the {0} of producer {1}''s acknowledgements on {2} failed: {3};"
                        + " they stay pending until the marker comes again", commit ? "commit" : "abort",
                        producerId, share.key, error);
                // The marker comes again: it must find them.
                holdGuard(share.key.topicPartition(), producerId);
                return Errors.COORDINATOR_NOT_AVAILABLE;
            }
            share.partition = changed;
            reportArchived(share, outcome.archivedAtDeliveryLimit());
            if (outcome.released()) {
                recordsReleased.accept(share.key.topicPartition());
            }
            deadLetter(share); // a committed REJECT, or an abort at the delivery limit, may have left records Archiving
            return Errors.NONE;
        });
    }

    /**
     * Archives records of aborted transactions the member just acquired (read_committed): they are never delivered.
     * In memory only, as in Kafka: the next write stores them, and a new leader that never saw it filters them again.
     * Offsets the member no longer holds are left alone.
     */
    public CompletableFuture<Void> archiveAborted(String groupId, String memberId, TopicIdPartition topicPartition,
                                                  List<OffsetRange> aborted) {
        return submit(groupId, topicPartition, (share, leader) -> {
            for (OffsetRange range : aborted) {
                share.partition.discard(memberId, range.firstOffset(), range.lastOffset(), clock.millis());
            }
            return CompletableFuture.completedFuture((Void) null);
        }, error -> null);
    }

    /**
     * Gives back every record the member holds on the topic partition, as when its share session closes; the new
     * state is written, and a failed write only means the records come back as they would after a failover.
     */
    public CompletableFuture<Void> releaseMember(String groupId, String memberId, TopicIdPartition topicPartition) {
        Key key = new Key(groupId, topicPartition);
        if (!live.containsKey(key)) {
            return CompletableFuture.completedFuture(null);
        }
        return submit(groupId, topicPartition, (share, leader) -> {
            long before = share.partition.acquiredCount();
            List<OffsetRange> archived = share.partition.releaseMember(memberId, clock.millis());
            reportArchived(share, archived);
            if (share.partition.acquiredCount() == before) {
                return CompletableFuture.completedFuture((Void) null);
            }
            recordsReleased.accept(topicPartition);
            return write(share, share.partition).thenApply(error -> {
                if (error != Errors.NONE) {
                    LOG.log(Level.WARNING, "Storing the share state of {0} after member {1} left failed: {2}",
                            key, memberId, error);
                }
                return (Void) null;
            });
        }, error -> null);
    }

    /**
     * Makes the share partition be read from the store again at its next use, once what is queued on it has run, if
     * then no member holds any of its records and none waits for its dead-letter write: with nothing acquired, what
     * is in memory is what is stored (an acknowledgement is stored before it is answered), so nothing is lost, and a
     * state re-initialized meanwhile (by AlterShareGroupOffsets, at a new state epoch) is what the group's next
     * members get. If a member holds records by then, or a record waits to be dead-lettered, it stays as it is. When
     * the store still holds the same state epoch and the group the same limits, the partition left idle is served
     * again rather than rebuilt: it knows which records it delivered, where a rebuild would count every record below
     * the delivery bound as possibly delivered, and a consumer closed and opened again would see them redelivered.
     * (A state deleted and initialized again at the same state epoch and start offset meanwhile is taken for the
     * same: the records' delivery counts then stay as they were.)
     */
    public void reloadWhenIdle(String groupId, TopicIdPartition topicPartition) {
        Live share = live.get(new Key(groupId, topicPartition));
        if (share == null) {
            return;
        }
        share.enqueue(() -> {
            // Records waiting for their dead-letter write keep it loaded, so that the write's end archives them.
            if (share.partition != null && share.refusal == null && share.partition.acquiredCount() == 0
                    && share.partition.archiving().isEmpty()) {
                share.idle = share.partition;
                share.partition = null;
            }
            return CompletableFuture.completedFuture(null);
        });
    }

    /**
     * Drops the share partitions of topic partitions this broker no longer leads, or leads at another epoch; what is
     * queued on them is answered NOT_LEADER_OR_FOLLOWER. Call after every metadata change.
     */
    public void onLeadershipChanged() {
        for (Live share : live.values()) {
            LeaderLog leader = logs.leader(share.key.topicPartition());
            if (leader == null || leader.leaderEpoch() != share.leaderEpoch) {
                drop(share, leader == null ? "this broker no longer leads it"
                        : "it is led at the new epoch " + leader.leaderEpoch());
            }
        }
        // Guards of topic partitions no longer served go (a request between taking one and using it asks again).
        transactionGuards.keySet().removeIf(key -> live.keySet().stream().noneMatch(
                k -> k.topicPartition().topicPartition().equals(key.topicPartition())));
    }

    /** How many share partitions are live here. */
    public int size() {
        return live.size();
    }

    /** Stops the expiry timer; what is queued still completes. */
    @Override
    public void close() {
        timer.shutdownNow();
        for (Live share : live.values()) {
            drop(share, "the broker is stopping");
        }
    }

    // ------------------------------------------------------------------------------------------------ internals

    /** An operation on a loaded share partition, run alone on its queue. */
    @FunctionalInterface
    private interface Operation<T> {
        CompletableFuture<T> run(Live share, LeaderLog leader);
    }

    /** Why an operation was not run: the partition's error and a message for the client. */
    private record Refusal(Errors error, String message) {
    }

    /** A producer's transaction as a topic partition sees it. */
    private record TransactionKey(TopicPartition topicPartition, long producerId) {
    }

    /**
     * The guard of a producer's transaction on a topic partition: {@code holding} once acknowledgements were held
     * pending under it, so that its marker knows to look for them; {@code markerSearchOffset}, the log end offset
     * when it was taken, is stored with them. Changed only inside the guard map's atomic operations.
     */
    private static final class TransactionGuard {
        final long markerSearchOffset;
        boolean holding;

        TransactionGuard(long markerSearchOffset) {
            this.markerSearchOffset = markerSearchOffset;
        }
    }

    /** A run of offsets with one acknowledge type; a null type for gaps, which are archived without dead-lettering. */
    private record Run(long firstOffset, long lastOffset, AcknowledgeType type) {
    }

    /**
     * One live share partition: its state machine (null until loaded), the leader epoch it was loaded at, and the tail
     * of its operation queue. Guarded by itself; the state machine is touched only by the operation at the head.
     */
    private static final class Live {
        final Key key;
        final int leaderEpoch;
        SharePartition partition;
        /** The partition {@link #reloadWhenIdle} dropped, until the next load decides whether it still holds. */
        SharePartition idle;
        volatile Refusal refusal;
        private CompletableFuture<?> tail = CompletableFuture.completedFuture(null);
        private boolean sweepQueued;
        /** Offsets handed to the dead-letter writer whose write is not yet done. */
        private final Set<Long> deadLetterPending = new HashSet<>();
        /** Offsets whose dead-letter write is done, to be archived by the next queued step. */
        private final TreeSet<Long> deadLettered = new TreeSet<>();
        private boolean deadLetteredQueued;

        Live(Key key, int leaderEpoch) {
            this.key = key;
            this.leaderEpoch = leaderEpoch;
        }

        /** Queues {@code step} after every operation queued before it, whatever their outcome. */
        synchronized <T> CompletableFuture<T> enqueue(java.util.function.Supplier<CompletableFuture<T>> step) {
            CompletableFuture<T> result = tail.handle((ignored, failure) -> null).thenCompose(ignored -> step.get());
            tail = result;
            return result;
        }

        synchronized boolean queueSweep() {
            if (sweepQueued) {
                return false;
            }
            sweepQueued = true;
            return true;
        }

        synchronized void sweepDone() {
            sweepQueued = false;
        }

        /** Marks the offset as handed to the writer; false if it already is, or its write is done already. */
        synchronized boolean startDeadLetter(long offset) {
            return !deadLettered.contains(offset) && deadLetterPending.add(offset);
        }

        /** The offset's write is over; true if a step archiving the written offsets must be queued. */
        synchronized boolean deadLetterDone(long offset, boolean written) {
            deadLetterPending.remove(offset);
            if (!written) {
                return false;
            }
            deadLettered.add(offset);
            boolean queue = !deadLetteredQueued;
            deadLetteredQueued = true;
            return queue;
        }

        synchronized List<Long> takeDeadLettered() {
            List<Long> done = new ArrayList<>(deadLettered);
            deadLettered.clear();
            deadLetteredQueued = false;
            return done;
        }
    }

    private <T> CompletableFuture<T> submit(String groupId, TopicIdPartition topicPartition, Operation<T> operation,
                                            Function<Refusal, T> refused) {
        Key key = new Key(groupId, topicPartition);
        LeaderLog leader = logs.leader(topicPartition);
        if (leader == null) {
            return CompletableFuture.completedFuture(refused.apply(new Refusal(Errors.NOT_LEADER_OR_FOLLOWER,
                    "this broker does not lead " + topicPartition)));
        }
        // Nothing but the map is touched inside compute: the first operation queued loads the partition.
        Live share = live.compute(key, (k, existing) ->
                existing != null && existing.leaderEpoch == leader.leaderEpoch() && existing.refusal == null
                        ? existing : new Live(k, leader.leaderEpoch()));
        CompletableFuture<T> result = share.enqueue(() -> loaded(share).thenCompose(ignored -> {
            LeaderLog current = logs.leader(topicPartition);
            Refusal refusal = check(share, current);
            if (refusal != null) {
                return CompletableFuture.completedFuture(refused.apply(refusal));
            }
            share.partition.deadLettering(settings.apply(groupId).deadLettering());
            return operation.run(share, current).thenApply(answer -> {
                deadLetter(share);
                return answer;
            });
        }));
        return result.exceptionally(failure -> {
            LOG.log(Level.ERROR, "An operation on share partition " + key + " failed", failure);
            return refused.apply(new Refusal(Errors.UNKNOWN_SERVER_ERROR, "the broker failed: " + failure));
        });
    }

    /** Loads the share partition if no operation has yet; completes once it is loaded or refused. */
    private CompletableFuture<Void> loaded(Live share) {
        if (share.partition != null || share.refusal != null) {
            return CompletableFuture.completedFuture(null);
        }
        try {
            return load(share);
        } catch (RuntimeException e) {
            refuse(share, Errors.UNKNOWN_SERVER_ERROR, "loading the share state of " + share.key + " failed: " + e);
            return CompletableFuture.completedFuture(null);
        }
    }

    /** Whether the share partition may still be served, {@code leader} being its topic partition now; drops it if not. */
    private Refusal check(Live share, LeaderLog leader) {
        if (share.refusal != null) {
            return share.refusal;
        }
        if (share.partition == null) {
            throw new IllegalStateException("share partition " + share.key + " neither loaded nor refused");
        }
        if (leader == null || leader.leaderEpoch() != share.leaderEpoch) {
            drop(share, leader == null ? "this broker no longer leads it" : "its leader epoch moved on");
            return share.refusal;
        }
        share.partition.advanceLogStartOffset(leader.logStartOffset());
        return null;
    }

    /**
     * Reads the stored state at the share partition's leader epoch. When none is stored, starts where
     * {@code share.auto.offset.reset} says and stores that start before serving: a later leader must start at the
     * same offset, or what was acquired here and never acknowledged would be skipped there (with {@code latest}).
     */
    private CompletableFuture<Void> load(Live share) {
        Key key = share.key;
        TopicIdPartition tp = key.topicPartition();
        return persister.read(key.groupId(), tp.topicId(), tp.partition(), share.leaderEpoch)
                .handle((read, failure) -> {
                    LeaderLog leader = logs.leader(tp);
                    if (failure != null || read.error() != Errors.NONE) {
                        Errors error = failure != null ? Errors.UNKNOWN_SERVER_ERROR : read.error();
                        refuse(share, retriable(error), "reading the share state of " + key + " failed: "
                                + (failure != null ? failure : error.name()));
                        return CompletableFuture.<Void>completedFuture(null);
                    }
                    if (leader == null || leader.leaderEpoch() != share.leaderEpoch) {
                        refuse(share, Errors.NOT_LEADER_OR_FOLLOWER, "broker no longer leads " + tp);
                        return CompletableFuture.<Void>completedFuture(null);
                    }
                    ShareGroupSettings group = settings.apply(key.groupId());
                    ShareLimits limits = group.limits(maxRecordLocks);
                    if (read.state() == null) {
                        long start = group.autoOffsetReset().startOffset(leader.logStartOffset(),
                                leader.highWatermark(), leader.offsetForTimestamp(), clock.millis());
                        return storeStart(share, new SharePartition(limits, 0, start));
                    }
                    SharePartition idle = share.idle;
                    share.idle = null;
                    if (idle != null && idle.stateEpoch() == read.state().stateEpoch()
                            && idle.startOffset() == read.state().startOffset() && idle.limits().equals(limits)) {
                        // Stored by this leader, at this leader epoch, and not re-initialized since: as left.
                        install(share, leader, idle);
                        return CompletableFuture.<Void>completedFuture(null);
                    }
                    SharePartition.Rebuilt rebuilt = SharePartition.rebuild(read.state(), limits,
                            group.deadLettering(), leader.logEndOffset());
                    reportArchived(share, rebuilt.archivedAtDeliveryLimit());
                    install(share, leader, rebuilt.partition());
                    return decidePendingFromLog(share);
                }).thenCompose(next -> next);
    }

    /** Stores the start of a share partition never stored before, then serves it. */
    private CompletableFuture<Void> storeStart(Live share, SharePartition fresh) {
        TopicIdPartition tp = share.key.topicPartition();
        return write(share, fresh).thenAccept(error -> {
            LeaderLog leader = logs.leader(tp);
            if (error != Errors.NONE) {
                refuse(share, retriable(error), "storing the start of share partition " + share.key + " failed: "
                        + error.name());
            } else if (leader == null || leader.leaderEpoch() != share.leaderEpoch) {
                refuse(share, Errors.NOT_LEADER_OR_FOLLOWER, "broker no longer leads " + tp);
            } else {
                install(share, leader, fresh);
            }
        });
    }

    /**
     * Decides the acknowledgements a loaded share partition found pending in the store: first takes a holding guard
     * for each of their producers, so that a marker completed from now on looks for them; then looks in the log for
     * each producer's first marker at or after their marker search offset, which a marker completed before the guard
     * was taken is (it was replicated, so below the high watermark). A marker found decides them; otherwise the one
     * WriteTxnMarkers brings later does. What the log decided is stored; if that write fails, memory goes ahead of the
     * store, which is safe here: the marker stays in the log, and a next leader decides the same from it.
     *
     * <p>Cost: one read of the log per producer with acknowledgements pending, from their search offset up to the
     * marker or the high watermark: at most what the partition took in during one transaction, bounded by the
     * transaction timeout (the coordinator aborts a transaction that runs over it).
     */
    private CompletableFuture<Void> decidePendingFromLog(Live share) {
        SharePartition partition = share.partition;
        Map<Long, Long> pending = partition.pendingTransactions();
        if (pending.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        TopicIdPartition tp = share.key.topicPartition();
        pending.keySet().forEach(producerId -> holdGuard(tp, producerId));
        LeaderLog leader = logs.leader(tp);
        if (leader == null || leader.leaderEpoch() != share.leaderEpoch) {
            drop(share, "this broker no longer leads it");
            return CompletableFuture.completedFuture(null);
        }
        boolean changed = false;
        boolean released = false;
        for (Map.Entry<Long, Long> entry : pending.entrySet()) {
            long producerId = entry.getKey();
            TransactionMarker marker = leader.markers().first(producerId, entry.getValue());
            if (marker == null) {
                LOG.log(Level.INFO, "Share partition {0}: acknowledgements of producer {1} stay pending for its"
                        + " transaction marker (none at or after offset {2} yet)", share.key, producerId,
                        entry.getValue());
                continue;
            }
            SharePartition.TransactionOutcome outcome = partition.completeTransaction(producerId, marker.commit(),
                    marker.offset(), clock.millis());
            LOG.log(Level.INFO, "Share partition {0}: acknowledgements of producer {1} pending at the last leader"
                    + " are {2} by its marker at offset {3}", share.key, producerId,
                    marker.commit() ? "committed" : "aborted", marker.offset());
            reportArchived(share, outcome.archivedAtDeliveryLimit());
            changed |= outcome.changed();
            released |= outcome.released();
        }
        if (released) {
            recordsReleased.accept(tp);
        }
        if (!changed) {
            return CompletableFuture.completedFuture(null);
        }
        return write(share, partition).thenAccept(error -> {
            if (error != Errors.NONE) {
                LOG.log(Level.WARNING, "Storing the transaction outcomes found in the log of {0} failed: {1}; the"
                        + " next leader finds them there again", share.key, error);
            }
        });
    }

    private void install(Live share, LeaderLog leader, SharePartition partition) {
        partition.advanceLogStartOffset(leader.logStartOffset());
        share.partition = partition;
        LOG.log(Level.INFO, "Serving share partition {0} at leader epoch {1} from offset {2}", share.key,
                share.leaderEpoch, partition.startOffset());
    }

    /** Writes {@code state}'s snapshot as the leader; a fencing answer drops the share partition. */
    private CompletableFuture<Errors> write(Live share, SharePartition state) {
        TopicIdPartition tp = share.key.topicPartition();
        return persister.write(share.key.groupId(), tp.topicId(), tp.partition(), share.leaderEpoch,
                state.snapshot()).handle((error, failure) -> {
                    Errors result = failure != null ? Errors.UNKNOWN_SERVER_ERROR : error;
                    if (failure != null) {
                        LOG.log(Level.WARNING, "Writing the share state of " + share.key + " failed", failure);
                    }
                    if (result == Errors.FENCED_LEADER_EPOCH || result == Errors.FENCED_STATE_EPOCH) {
                        drop(share, "the share state was " + (result == Errors.FENCED_LEADER_EPOCH
                                ? "taken by a newer leader" : "re-initialized") + " (" + result.name() + ")");
                    }
                    return result;
                });
    }

    /** The error a failed read is answered with: the coordinator's transient ones let the client retry. */
    private static Errors retriable(Errors error) {
        return switch (error) {
            case NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS, REQUEST_TIMED_OUT ->
                    Errors.COORDINATOR_NOT_AVAILABLE;
            default -> error;
        };
    }

    private void refuse(Live share, Errors error, String message) {
        share.refusal = new Refusal(error, message);
        live.remove(share.key, share);
        LOG.log(Level.WARNING, "Share partition {0} not served: {1}", share.key, message);
    }

    private void drop(Live share, String why) {
        if (live.remove(share.key, share)) {
            LOG.log(Level.INFO, "Stopped serving share partition {0} at leader epoch {1}: {2}", share.key,
                    share.leaderEpoch, why);
        }
        if (share.refusal == null) {
            share.refusal = new Refusal(Errors.NOT_LEADER_OR_FOLLOWER, "share partition " + share.key
                    + " is no longer served here: " + why);
        }
    }

    private void expireLocks() {
        try {
            for (Live share : live.values()) {
                if (!share.queueSweep()) {
                    continue;
                }
                share.enqueue(() -> {
                    share.sweepDone();
                    if (share.refusal != null || share.partition == null) {
                        return CompletableFuture.completedFuture(null);
                    }
                    long before = share.partition.acquiredCount();
                    List<OffsetRange> archived = share.partition.expireLocks(clock.millis());
                    reportArchived(share, archived);
                    if (share.partition.acquiredCount() < before) {
                        recordsReleased.accept(share.key.topicPartition());
                    }
                    deadLetter(share);
                    return CompletableFuture.completedFuture(null);
                });
            }
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "Expiring share acquisition locks failed", e);
        }
    }

    /**
     * Hands the share partition's Archiving records that are not yet with the writer to it, as long as it takes them;
     * if the group no longer has a dead-letter topic, archives them at once. Runs inside an operation of the share
     * partition, after it: one pass over the ranges, and a settings lookup only when something is Archiving.
     */
    private void deadLetter(Live share) {
        try {
            handOverDeadLetters(share);
        } catch (RuntimeException e) {
            // What is Archiving stays so; the sweep tries again.
            LOG.log(Level.WARNING, "Dead-lettering the records of share partition " + share.key + " failed", e);
        }
    }

    private void handOverDeadLetters(Live share) {
        SharePartition partition = share.partition;
        if (partition == null || share.refusal != null) {
            return;
        }
        List<ArchivingRecords> archiving = partition.archiving();
        if (archiving.isEmpty()) {
            return;
        }
        String groupId = share.key.groupId();
        partition.deadLettering(settings.apply(groupId).deadLettering());
        if (!partition.deadLettering()) {
            archiving.forEach(range -> partition.completeArchiving(range.firstOffset(), range.lastOffset()));
            LOG.log(Level.INFO, "Share group {0} has no dead-letter topic any more: archived records {1} of {2}"
                    + " without writing them", groupId, archiving, share.key.topicPartition());
            return;
        }
        for (ArchivingRecords range : archiving) {
            for (long offset = range.firstOffset(); offset <= range.lastOffset(); offset++) {
                if (!share.startDeadLetter(offset)) {
                    continue;
                }
                CompletableFuture<Void> write;
                try {
                    write = deadLetters.write(new DeadLetterWriter.DeadLetter(groupId, share.key.topicPartition(),
                            offset, range.deliveryCount(), range.reason()));
                } catch (RuntimeException e) {
                    LOG.log(Level.ERROR, "Handing offset " + offset + " of " + share.key + " to the dead-letter writer"
                            + " failed", e);
                    write = null;
                }
                if (write == null) {
                    // Full: the sweep offers it again.
                    share.deadLetterDone(offset, false);
                    return;
                }
                long written = offset;
                write.whenComplete((ignored, failure) -> {
                    if (share.deadLetterDone(written, failure == null)) {
                        share.enqueue(() -> archiveDeadLettered(share));
                    }
                });
            }
        }
    }

    /**
     * Archives the Archiving records whose dead-letter write is done and stores the new state, loading the share
     * partition again if it was unloaded meanwhile. A share partition no longer served here leaves them to the next
     * leader, which finds them Archiving and writes them again.
     */
    private CompletableFuture<Void> archiveDeadLettered(Live share) {
        return loaded(share).thenCompose(ignored -> archiveDeadLetteredLoaded(share));
    }

    private CompletableFuture<Void> archiveDeadLetteredLoaded(Live share) {
        List<Long> done = share.takeDeadLettered();
        SharePartition partition = share.partition;
        if (partition == null || share.refusal != null || done.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        long archived = 0;
        long runStart = done.get(0);
        for (int i = 0; i < done.size(); i++) {
            long offset = done.get(i);
            boolean last = i == done.size() - 1;
            if (last || done.get(i + 1) != offset + 1) {
                archived += partition.completeArchiving(runStart, offset);
                runStart = last ? offset : done.get(i + 1);
            }
        }
        if (archived == 0) {
            return CompletableFuture.completedFuture(null);
        }
        return write(share, partition).thenAccept(error -> {
            if (error != Errors.NONE) {
                LOG.log(Level.WARNING, "Storing the share state of {0} after dead-lettering failed: {1}; the records"
                        + " stay Archiving in the store and a new leader writes them again", share.key, error);
            }
        });
    }

    private void reportArchived(Live share, List<OffsetRange> archived) {
        if (!archived.isEmpty()) {
            archiveListener.archivedAtDeliveryLimit(share.key.groupId(), share.key.topicPartition(), archived);
        }
    }

    private static Acknowledgement validate(List<AcknowledgementBatch> batches) {
        long previousLast = -1;
        for (AcknowledgementBatch batch : batches) {
            long count = batch.lastOffset() - batch.firstOffset() + 1;
            if (batch.firstOffset() < 0 || count < 1) {
                return new Acknowledgement(Errors.INVALID_REQUEST, "acknowledgement batch " + batch.firstOffset()
                        + ".." + batch.lastOffset() + " is empty or negative");
            }
            if (batch.firstOffset() <= previousLast) {
                return new Acknowledgement(Errors.INVALID_REQUEST, "acknowledgement batches overlap or are out of"
                        + " order at offset " + batch.firstOffset());
            }
            previousLast = batch.lastOffset();
            if (batch.typeIds().size() != 1 && batch.typeIds().size() != count) {
                return new Acknowledgement(Errors.INVALID_REQUEST, "acknowledgement batch " + batch.firstOffset()
                        + ".." + batch.lastOffset() + " has " + batch.typeIds().size()
                        + " types: one for the batch, or one per offset");
            }
            for (byte id : batch.typeIds()) {
                if (id < 0 || id > AcknowledgeType.RENEW.id) {
                    return new Acknowledgement(Errors.INVALID_REQUEST, "unknown acknowledge type " + id
                            + " (0 gap, 1 accept, 2 release, 3 reject, 4 renew)");
                }
            }
        }
        return null;
    }

    /**
     * The batch as runs of one type each. A gap (type 0: an offset with no record, compacted away or a control
     * record) is archived, as a reject: there is nothing to deliver again.
     */
    private static List<Run> runs(AcknowledgementBatch batch) {
        List<Run> runs = new ArrayList<>();
        if (batch.typeIds().size() == 1) {
            runs.add(new Run(batch.firstOffset(), batch.lastOffset(), type(batch.typeIds().get(0))));
            return runs;
        }
        long runStart = batch.firstOffset();
        for (long offset = batch.firstOffset(); offset <= batch.lastOffset(); offset++) {
            AcknowledgeType type = type(batch.typeIds().get((int) (offset - batch.firstOffset())));
            boolean last = offset == batch.lastOffset();
            if (last || type(batch.typeIds().get((int) (offset + 1 - batch.firstOffset()))) != type) {
                runs.add(new Run(runStart, offset, type));
                runStart = offset + 1;
            }
        }
        return runs;
    }

    /** The acknowledge type of an id, null for a gap (0). */
    private static AcknowledgeType type(byte id) {
        return id == 0 ? null : AcknowledgeType.forId(id);
    }

    /** How many transaction guards are held: for tests of their bound. */
    int transactionGuardCount() {
        return transactionGuards.size();
    }

    /** For tests: the live state machine of a share partition, or null. Not for concurrent use. */
    SharePartition partitionForTest(String groupId, TopicIdPartition topicPartition) {
        Live share = live.get(new Key(groupId, topicPartition));
        return share == null ? null : share.partition;
    }
}
