package io.strata.broker.partition;

import io.strata.broker.metadata.IsrChange;
import io.strata.broker.metadata.MetadataImage;
import io.strata.broker.metadata.MetadataListener;
import io.strata.broker.metadata.PartitionAssignment;
import io.strata.broker.metadata.TopicImage;
import io.strata.storage.config.LogConfig;
import io.strata.storage.log.LogDirectory;
import io.strata.storage.log.PartitionLog;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.ObjIntConsumer;
import java.util.function.Function;

/**
 * The partitions this broker holds a replica of, kept in step with the metadata: when a topic is created or grows,
 * the partitions assigned here get a log (in the least loaded log directory); when one is deleted, its logs go with
 * it; when settings change, the logs take them.
 *
 * <p>Each partition directory records its topic's id in {@code partition.metadata}, as Kafka does, so that a log left
 * by a deleted topic is never served under a new topic of the same name.
 *
 * <p>Thread-safe. Metadata changes arrive one at a time; lookups and appends run concurrently with them.
 */
public final class ReplicaManager implements MetadataListener, Partition.Listener, AutoCloseable {

    /** Copies the partitions this broker follows from their leaders. */
    public interface Followers {
        void follow(TopicPartition tp, int leaderId, int leaderEpoch);

        void unfollow(TopicPartition tp);
    }

    /**
     * Asks the controller for ISR changes, at most {@link IsrChange#MAX_PER_REQUEST} in one request; returns one error
     * per change, in order, {@code Errors.NONE} for each that was made.
     */
    public interface IsrChanges {
        List<Errors> alterPartitions(List<IsrChange> changes);
    }

    /** An ISR change a partition this broker leads asked for, waiting for the next request to the controller. */
    private record QueuedIsrChange(Partition partition, PartitionAssignment basedOn, List<Integer> isr) {
    }

    private static final System.Logger LOG = System.getLogger(ReplicaManager.class.getName());
    private static final String PARTITION_METADATA = "partition.metadata";

    private final int brokerId;
    private final List<LogDirectory> logDirectories;
    private final Function<Map<String, String>, LogConfig> logConfigs;
    private final ConcurrentHashMap<TopicPartition, Partition> partitions = new ConcurrentHashMap<>();
    /** The last ISR change refused per partition, so that a leader retrying it does not fill the log. */
    private final ConcurrentHashMap<TopicPartition, String> lastIsrRefusals = new ConcurrentHashMap<>();
    private final List<ObjIntConsumer<TopicPartition>> appendListeners = new CopyOnWriteArrayList<>();
    private final List<ObjIntConsumer<TopicPartition>> highWatermarkListeners = new CopyOnWriteArrayList<>();
    private final java.time.Clock clock;
    private volatile Followers followers = NO_FOLLOWERS;
    private volatile IsrChanges isrChanges;
    /**
     * ISR changes asked for and not sent yet; guarded by itself. A partition asks for its next change only once the
     * last one is answered, so this holds at most one per partition led here.
     */
    private final ArrayDeque<QueuedIsrChange> queuedIsrChanges = new ArrayDeque<>();
    /** Whether a task sending the queued ISR changes is scheduled or running; guarded by queuedIsrChanges. */
    private boolean sendingIsrChanges;
    private volatile java.util.concurrent.Executor isrExecutor = Runnable::run;
    private volatile java.util.function.IntPredicate liveBrokers = id -> true;
    /** Topics whose last application failed, applied again at the next update; guarded by this manager's monitor. */
    private Set<String> failedTopics = new HashSet<>();
    /** The metadata this manager applied last; guarded by its monitor. */
    private MetadataImage applied = MetadataImage.EMPTY;
    private final List<java.util.function.BiConsumer<LogDirectory, Boolean>> logDirectoryFailureListeners =
            new CopyOnWriteArrayList<>();

    private static final Followers NO_FOLLOWERS = new Followers() {
        @Override
        public void follow(TopicPartition tp, int leaderId, int leaderEpoch) {
            LOG.log(Level.WARNING, "{0} is led by broker {1}, but this broker has no replica fetchers", tp, leaderId);
        }

        @Override
        public void unfollow(TopicPartition tp) {
        }
    };

    /**
     * @param logConfigs the full settings of a topic with the given overrides
     */
    /** Whether this broker may lead, for a metadata image (see {@link #leadOnlyWhen}); guarded by this. */
    private java.util.function.Predicate<MetadataImage> mayLead = image -> true;
    /** Whether it could, in the image applied last; guarded by this. */
    private boolean leading = true;

    public ReplicaManager(int brokerId, List<LogDirectory> logDirectories,
                          Function<Map<String, String>, LogConfig> logConfigs, java.time.Clock clock) {
        this.brokerId = brokerId;
        this.clock = clock;
        this.logDirectories = List.copyOf(logDirectories);
        this.logConfigs = logConfigs;
        for (LogDirectory directory : this.logDirectories) {
            directory.onOffline(failure -> logDirectoryFailed(directory, failure.describe()));
        }
    }

    /**
     * Told when a log directory goes offline, with whether every log directory of this broker is offline now: the
     * broker then stops, as Kafka's does, so that the cluster moves its partitions to other replicas.
     */
    public void addLogDirectoryFailureListener(java.util.function.BiConsumer<LogDirectory, Boolean> listener) {
        logDirectoryFailureListeners.add(listener);
    }

    /**
     * A log directory went offline (an I/O error on one of its logs): its partitions stop following their leaders, and
     * produces waiting for acks=all on them are answered now instead of at their timeout; every later request for them
     * is answered KAFKA_STORAGE_ERROR by the logs themselves.
     */
    private void logDirectoryFailed(LogDirectory directory, String reason) {
        int stopped = 0;
        for (Partition partition : partitions.values()) {
            if (directory.get(partition.topicPartition()).orElse(null) == partition.log()) {
                followers.unfollow(partition.topicPartition());
                partition.removed(reason);
                stopped++;
            }
        }
        boolean allOffline = logDirectories.stream().allMatch(LogDirectory::isOffline);
        LOG.log(Level.ERROR, "{0}: {1} partition(s) are no longer served from this broker{2}", reason, stopped,
                allOffline ? "; every log directory is offline" : "");
        for (java.util.function.BiConsumer<LogDirectory, Boolean> listener : logDirectoryFailureListeners) {
            listener.accept(directory, allOffline);
        }
    }

    public int brokerId() {
        return brokerId;
    }

    /** The partition, if this broker holds a replica of it. */
    public Partition partition(TopicPartition topicPartition) {
        return partitions.get(topicPartition);
    }

    public Collection<Partition> partitions() {
        return partitions.values();
    }

    public List<LogDirectory> logDirectories() {
        return logDirectories;
    }

    /** Told of each append (partition and bytes), for requests waiting on new data. */
    public void addAppendListener(ObjIntConsumer<TopicPartition> listener) {
        appendListeners.add(listener);
    }

    public void removeAppendListener(ObjIntConsumer<TopicPartition> listener) {
        appendListeners.remove(listener);
    }

    public void notifyAppended(TopicPartition topicPartition, int bytes) {
        for (ObjIntConsumer<TopicPartition> listener : appendListeners) {
            listener.accept(topicPartition, bytes);
        }
    }

    /** Told when a partition's high watermark moves up (partition and bytes newly readable), for waiting fetches. */
    public void addHighWatermarkListener(ObjIntConsumer<TopicPartition> listener) {
        highWatermarkListeners.add(listener);
    }

    /**
     * Makes this broker a member of a cluster: partitions it follows are fetched by {@code fetchers}, ISR changes its
     * partitions ask for go to the controller through {@code changes}, run on {@code executor}, and
     * {@code liveBrokers} says which brokers are members now.
     */
    public void joinCluster(Followers fetchers, IsrChanges changes, java.util.concurrent.Executor executor,
                            java.util.function.IntPredicate liveBrokers) {
        this.followers = fetchers;
        this.isrChanges = changes;
        this.isrExecutor = executor;
        this.liveBrokers = liveBrokers;
    }

    /**
     * Lets this broker lead only while {@code acknowledged} holds for the metadata image: in a cluster, while the
     * controller has acknowledged the incarnation this broker runs as. Until then a partition the metadata says it
     * leads is held as if it had no leader: the assignment may be its previous run's, from before a crash that cost
     * it records, or a disk that was replaced.
     */
    public synchronized void leadOnlyWhen(java.util.function.Predicate<MetadataImage> acknowledged) {
        this.mayLead = acknowledged;
    }

    /** Whether this broker may lead now: the controller has acknowledged this run of it (see {@link #leadOnlyWhen}). */
    public synchronized boolean mayLead() {
        return leading;
    }

    @Override
    public boolean isLive(int brokerId) {
        return liveBrokers.test(brokerId);
    }

    @Override
    public void onHighWatermark(TopicPartition partition, long bytes) {
        int reported = (int) Math.max(1, Math.min(Integer.MAX_VALUE, bytes));
        for (ObjIntConsumer<TopicPartition> listener : highWatermarkListeners) {
            listener.accept(partition, reported);
        }
    }

    /**
     * Queues the change for the controller. One task at a time sends them: the changes asked for while a request is
     * in flight go together in the next one (up to {@link IsrChange#MAX_PER_REQUEST}), so that a restarted broker
     * returning to every ISR costs a few requests and commits, not one per partition.
     */
    @Override
    public void requestIsrChange(Partition partition, PartitionAssignment basedOn, List<Integer> newIsr) {
        if (isrChanges == null) {
            partition.isrChangeFailed(basedOn, newIsr);
            return;
        }
        synchronized (queuedIsrChanges) {
            queuedIsrChanges.add(new QueuedIsrChange(partition, basedOn, List.copyOf(newIsr)));
            if (sendingIsrChanges) {
                return;
            }
            sendingIsrChanges = true;
        }
        try {
            isrExecutor.execute(this::sendQueuedIsrChanges);
        } catch (RuntimeException e) {
            // Not scheduled (the executor is shut down): the changes queued are answered as failed.
            for (QueuedIsrChange change : takeQueuedIsrChanges(Integer.MAX_VALUE, true)) {
                change.partition().isrChangeFailed(change.basedOn(), change.isr());
            }
            throw e;
        }
    }

    /** Sends the queued ISR changes, a bounded batch per request, until none is left. */
    private void sendQueuedIsrChanges() {
        boolean drained = false;
        try {
            List<QueuedIsrChange> batch;
            while (!(batch = takeQueuedIsrChanges(IsrChange.MAX_PER_REQUEST, false)).isEmpty()) {
                sendIsrChanges(batch);
            }
            drained = true;
        } finally {
            if (!drained) {
                // Failed with an Error: the next change asked for schedules a new task.
                synchronized (queuedIsrChanges) {
                    sendingIsrChanges = false;
                }
            }
        }
    }

    /**
     * Takes up to {@code max} queued changes; when there are none (or with {@code stop}), the sending task ends, in
     * the same step, so that a change queued after it is sent by a new one.
     */
    private List<QueuedIsrChange> takeQueuedIsrChanges(int max, boolean stop) {
        synchronized (queuedIsrChanges) {
            List<QueuedIsrChange> taken = new ArrayList<>(Math.min(max, queuedIsrChanges.size()));
            while (taken.size() < max && !queuedIsrChanges.isEmpty()) {
                taken.add(queuedIsrChanges.poll());
            }
            if (taken.isEmpty() || stop) {
                sendingIsrChanges = false;
            }
            return taken;
        }
    }

    /** One request to the controller; each partition is told its own answer. */
    private void sendIsrChanges(List<QueuedIsrChange> batch) {
        List<IsrChange> changes = new ArrayList<>(batch.size());
        for (QueuedIsrChange queued : batch) {
            TopicPartition tp = queued.partition().topicPartition();
            changes.add(new IsrChange(tp.topic(), tp.partition(), brokerId, queued.basedOn().leaderEpoch(),
                    queued.basedOn().partitionEpoch(), queued.isr()));
        }
        List<Errors> errors;
        try {
            errors = isrChanges.alterPartitions(changes);
            if (errors.size() != changes.size()) {
                throw new IllegalStateException("the controller answered " + errors.size() + " of " + changes.size()
                        + " ISR changes");
            }
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Asking the controller to change the ISR of {0} partition(s) failed: {1}",
                    changes.size(), e.toString());
            errors = java.util.Collections.nCopies(changes.size(), Errors.UNKNOWN_SERVER_ERROR);
        }
        for (int i = 0; i < batch.size(); i++) {
            isrChangeAnswered(batch.get(i), errors.get(i));
        }
    }

    private void isrChangeAnswered(QueuedIsrChange change, Errors error) {
        TopicPartition tp = change.partition().topicPartition();
        if (error == Errors.NONE) {
            lastIsrRefusals.remove(tp);
            return;
        }
        // The same refusal again (the leader retries while a broker is not back) is logged once.
        String refusal = change.isr() + " " + error;
        boolean repeated = refusal.equals(lastIsrRefusals.put(tp, refusal));
        LOG.log(repeated ? Level.DEBUG : Level.INFO, "The ISR change of {0} to {1} was refused: {2}", tp,
                change.isr(), error);
        change.partition().isrChangeFailed(change.basedOn(), change.isr());
    }

    /** Asks, for every partition this broker leads, that followers lagging over {@code maxLagMs} leave the ISR. */
    public void shrinkIsrs(long maxLagMs) {
        long now = clock.millis();
        for (Partition partition : partitions.values()) {
            partition.maybeShrinkIsr(now, maxLagMs);
        }
    }

    /**
     * Applies the assignments of the partitions this broker holds a replica of. Each partition is applied on its own:
     * one that fails is logged and the others still are, so that no partition is left following a leader that is gone.
     */
    @Override
    public synchronized void onMetadataUpdate(MetadataImage previousImage, MetadataImage current) {
        // Only what changed since the image this manager applied last (not the listener's "previous", so that an
        // update it never heard of is still applied): a metadata change touches one or a few topics, and a broker may
        // hold tens of thousands of partitions. Topics whose last application failed are tried again.
        MetadataImage previous = applied;
        applied = current;
        boolean couldLead = leading;
        leading = mayLead.test(current);
        if (couldLead != leading) {
            LOG.log(Level.INFO, leading ? "Broker {0} leads what the metadata gives it: the controller acknowledged"
                    + " this run of it" : "Broker {0} leads nothing until the controller acknowledges this run of it",
                    brokerId);
        }
        Set<String> retry = failedTopics;
        failedTopics = new HashSet<>();
        for (TopicImage topic : current.topics()) {
            TopicImage before = previous.topic(topic.name());
            if ((before == topic || topic.equals(before)) && !retry.contains(topic.name())
                    && couldLead == leading) {
                continue;
            }
            applyTopic(topic, before == null ? 0 : before.partitionCount());
        }
        for (TopicImage gone : previous.topics()) {
            if (current.topic(gone.name()) == null) {
                removeTopicReplicas(gone.name(), Set.of(), gone.partitionCount(), "its topic was deleted");
            }
        }
        for (String name : retry) {
            if (current.topic(name) == null && previous.topic(name) == null) {
                removeTopicReplicas(name, Set.of(), -1, "its topic was deleted");
            }
        }
    }

    /**
     * Applies every partition of {@code topic} this broker holds a replica of, and drops those it no longer holds
     * ({@code previousCount}: how many partitions the topic had before).
     */
    private void applyTopic(TopicImage topic, int previousCount) {
        LogConfig config = logConfigs.apply(topic.configs());
        Set<Integer> held = new HashSet<>();
        for (int p = 0; p < topic.partitionCount(); p++) {
            PartitionAssignment assignment = topic.partitions().get(p);
            if (!assignment.isReplica(brokerId)) {
                continue;
            }
            held.add(p);
            TopicPartition tp = new TopicPartition(topic.name(), p);
            try {
                apply(tp, topic.id(), assignment, config);
            } catch (RuntimeException e) {
                failedTopics.add(topic.name());
                LOG.log(Level.ERROR, "Applying the assignment " + assignment + " of " + tp + " failed; its "
                        + "replica on broker " + brokerId + " is applied again at the next metadata update", e);
            }
        }
        removeTopicReplicas(topic.name(), held, Math.max(previousCount, topic.partitionCount()), "it moved away");
    }

    /**
     * Drops this broker's replicas of {@code topic} other than those of partitions {@code kept}, looking at partitions
     * 0 to {@code partitionCount} - 1, or at every replica held when the count is not known (-1).
     */
    private void removeTopicReplicas(String topic, Set<Integer> kept, int partitionCount, String reason) {
        List<TopicPartition> candidates = new java.util.ArrayList<>();
        if (partitionCount < 0) {
            partitions.keySet().stream().filter(tp -> tp.topic().equals(topic)).forEach(candidates::add);
        } else {
            for (int p = 0; p < partitionCount; p++) {
                candidates.add(new TopicPartition(topic, p));
            }
        }
        for (TopicPartition tp : candidates) {
            if (partitions.containsKey(tp) && !kept.contains(tp.partition())) {
                try {
                    followers.unfollow(tp);
                    removePartition(tp, reason);
                } catch (RuntimeException e) {
                    failedTopics.add(topic);
                    LOG.log(Level.ERROR, "Removing the replica of " + tp + " from broker " + brokerId + " failed", e);
                }
            }
        }
    }

    /**
     * Applies one partition's assignment, and points its fetcher at the leader. Fetching stops before this broker
     * leads, and starts after it follows, so the fetchers never act on a term the partition has not entered; a fetch
     * already in flight is refused by the partition itself (see {@link Partition#appendAsFollower}).
     */
    private void apply(TopicPartition tp, Uuid topicId, PartitionAssignment given, LogConfig config) {
        PartitionAssignment assignment = given.leader() == brokerId && !leading
                ? new PartitionAssignment(given.replicas(), given.isr(), -1, given.leaderEpoch(),
                        given.partitionEpoch(), given.addingReplicas(), given.removingReplicas())
                : given;
        Partition existing = partitions.get(tp);
        // A replica whose log directory failed fetches nothing: every append would fail, and its leader must not
        // count it as catching up.
        boolean follows = assignment.leader() != brokerId && assignment.leader() >= 0
                && (existing == null || !existing.log().health().isOffline());
        if (existing != null && existing.topicId().equals(topicId)) {
            if (!Partition.startsNewTerm(existing.assignment(), assignment)) {
                existing.update(topicId, assignment, config, clock.millis());
                return;
            }
            if (!follows) {
                followers.unfollow(tp);
            }
            try {
                existing.update(topicId, assignment, config, clock.millis());
            } finally {
                // Even if the update failed halfway, the replica must not keep fetching from the leader that is gone.
                if (follows) {
                    followers.follow(tp, assignment.leader(), assignment.leaderEpoch());
                }
            }
            return;
        }
        followers.unfollow(tp);
        if (existing != null) {
            removePartition(tp, "its topic was recreated");
        }
        partitions.put(tp, createPartition(tp, topicId, assignment, config));
        if (follows) {
            followers.follow(tp, assignment.leader(), assignment.leaderEpoch());
        }
    }

    /**
     * Notes logs in the log directories that belong to no topic in the metadata: they are neither served nor
     * deleted, so that a lost metadata log never costs data.
     */
    public void reportStrayLogs(MetadataImage image) {
        for (LogDirectory directory : logDirectories) {
            for (PartitionLog log : directory.all()) {
                if (!partitions.containsKey(log.topicPartition())) {
                    LOG.log(Level.WARNING, "The log of {0} in {1} belongs to no known topic; it is kept but not served",
                            log.topicPartition(), directory.path());
                }
            }
        }
    }

    private Partition createPartition(TopicPartition tp, Uuid topicId, PartitionAssignment assignment,
                                      LogConfig config) {
        PartitionLog log = existingLog(tp);
        if (log != null) {
            Uuid recorded = recordedTopicId(log.dir());
            if (recorded != null && !recorded.equals(topicId)) {
                LOG.log(Level.WARNING, "Deleting the log of {0}: it belongs to an earlier topic {1}, not {2}", tp,
                        recorded, topicId);
                directoryOf(log).delete(tp);
                log = null;
            } else {
                log.updateConfig(config);
            }
        }
        if (log == null) {
            log = leastLoadedDirectory().getOrCreate(tp, config);
        }
        recordTopicId(log.dir(), topicId);
        return new Partition(tp, topicId, brokerId, assignment, log, this, clock.millis());
    }

    private void removePartition(TopicPartition tp, String reason) {
        Partition removed = partitions.remove(tp);
        if (removed != null) {
            removed.removed(reason);
            directoryOf(removed.log()).delete(tp);
            LOG.log(Level.INFO, "Removed the replica of {0}: {1}", tp, reason);
        }
    }

    private PartitionLog existingLog(TopicPartition tp) {
        for (LogDirectory directory : logDirectories) {
            PartitionLog log = directory.get(tp).orElse(null);
            if (log != null) {
                return log;
            }
        }
        return null;
    }

    private LogDirectory directoryOf(PartitionLog log) {
        for (LogDirectory directory : logDirectories) {
            if (directory.get(log.topicPartition()).orElse(null) == log) {
                return directory;
            }
        }
        throw new IllegalStateException("no log directory holds " + log);
    }

    private LogDirectory leastLoadedDirectory() {
        LogDirectory best = logDirectories.get(0);
        for (LogDirectory directory : logDirectories) {
            if (directory.all().size() < best.all().size()) {
                best = directory;
            }
        }
        return best;
    }

    private static Uuid recordedTopicId(Path dir) {
        try {
            for (String line : Files.readAllLines(dir.resolve(PARTITION_METADATA), StandardCharsets.UTF_8)) {
                if (line.startsWith("topic_id:")) {
                    return Uuid.fromString(line.substring("topic_id:".length()).trim());
                }
            }
            return null;
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | IllegalArgumentException e) {
            LOG.log(Level.WARNING, "Cannot read {0}: {1}", dir.resolve(PARTITION_METADATA), e.getMessage());
            return null;
        }
    }

    private static void recordTopicId(Path dir, Uuid topicId) {
        Path file = dir.resolve(PARTITION_METADATA);
        try {
            if (!topicId.equals(recordedTopicId(dir))) {
                writeAtomically(file, "version: 0\ntopic_id: " + topicId + "\n");
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "Cannot write " + file, e);
        }
    }

    /**
     * Replaces {@code file} with {@code text} so that a crash leaves either the old file or the new one, never a torn
     * one: a torn {@code partition.metadata} loses the topic id that keeps a deleted topic's log from being served
     * under a new topic of the same name. The temporary file is written in the same directory (a move across file
     * systems is not atomic) and forced before the move, and the directory after it, so the rename survives a power
     * loss. A temporary file left by a crash ends in {@code .tmp}, which the log loader deletes.
     */
    private static void writeAtomically(Path file, String text) throws IOException {
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer bytes = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) {
                channel.write(bytes);
            }
            channel.force(true);
        }
        Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel directory = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            directory.force(true);
        }
    }

    /** Forgets idle producers of every partition. */
    public void expireProducers(long nowMs, long expirationMs) {
        for (Partition partition : partitions.values()) {
            partition.expireProducers(nowMs, expirationMs);
        }
    }

    /** Writes producer state snapshots and closes the logs cleanly. */
    @Override
    public void close() {
        for (Partition partition : partitions.values()) {
            partition.snapshotProducerState();
        }
        for (LogDirectory directory : logDirectories) {
            directory.close();
        }
    }
}
