package io.strata.broker.share.deadletter;

import io.strata.broker.share.DeadLetterWriter;
import io.strata.broker.share.ShareGroupSettings;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;

import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Writes the records share groups gave up on to their dead-letter topics (KIP-1191), one thread for the whole broker.
 *
 * <p>For each record it reads the group's settings and decides ({@link DeadLetterTopics}) whether the group may write
 * its dead-letter topic, creating the topic when the broker allows; reads the record from the source partition's log;
 * builds the dead-letter record ({@link DeadLetterRecords}) for partition {@code source partition % partitions}; and
 * sends it through {@link Sender}, in the broker an idempotent producer with {@code acks=all}. The write is done once
 * the in-sync replicas of the dead-letter partition have it. A retriable failure (no leader yet, not enough replicas,
 * a timeout) is retried after a backoff that doubles up to {@code retryBackoffMaxMs}, for as long as it takes: the
 * record stays Archiving meanwhile, holding its share partition's start offset back, and removing the group's
 * dead-letter topic config lets it go. A group that may not write its topic (missing and not to be created, not
 * allowed, misnamed) has its records archived only, with one warning per group, topic and problem. A failure that
 * cannot pass by retrying (a record too large for the topic) is logged at ERROR and the record archived.
 *
 * <p>Bounds: at most {@code maxPending} records are held, queued, being sent or waiting to be retried; beyond that
 * {@link #write} answers null and the share partition offers the record again later. The problems already warned
 * of are kept up to {@link #WARNED_MAX}.
 *
 * <p>Thread-safe.
 */
public final class DeadLetterTopicWriter implements DeadLetterWriter, AutoCloseable {

    private static final System.Logger LOG = System.getLogger(DeadLetterTopicWriter.class.getName());
    static final int WARNED_MAX = 10_000;

    /** Sends a dead-letter record; the future completes once the in-sync replicas have it. Thread-safe. */
    public interface Sender extends AutoCloseable {
        CompletableFuture<Void> send(ProducerRecord<byte[], byte[]> record);

        @Override
        void close();
    }

    /** Reads the record at an offset of a partition this broker leads, or null when the log no longer has it. */
    @FunctionalInterface
    public interface SourceReader {
        SourceRecord read(TopicIdPartition topicPartition, long offset);
    }

    /** Creates a dead-letter topic that allows dead-lettering; throws the protocol's exception if it cannot. */
    @FunctionalInterface
    public interface TopicCreator {
        void create(String topic);
    }

    private final Function<String, ShareGroupSettings> settings;
    private final DeadLetterTopics topics;
    private final TopicCreator creator;
    private final SourceReader reader;
    private final Sender sender;
    private final int maxPending;
    private final long retryBackoffMs;
    private final long retryBackoffMaxMs;
    private final Clock clock;
    private final ScheduledThreadPoolExecutor executor;
    private final AtomicInteger pending = new AtomicInteger();
    private final Set<String> warned = ConcurrentHashMap.newKeySet();
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private final AtomicLong retries = new AtomicLong();
    private volatile boolean closed;

    public DeadLetterTopicWriter(Function<String, ShareGroupSettings> settings, DeadLetterTopics topics,
                                 TopicCreator creator, SourceReader reader, Sender sender, int maxPending,
                                 long retryBackoffMs, long retryBackoffMaxMs, ThreadFactory threads, Clock clock) {
        if (maxPending < 1) {
            throw new IllegalArgumentException("max pending dead letters must be positive, got " + maxPending);
        }
        if (retryBackoffMs < 1 || retryBackoffMaxMs < retryBackoffMs) {
            throw new IllegalArgumentException("bad retry backoff " + retryBackoffMs + ".." + retryBackoffMaxMs);
        }
        this.settings = Objects.requireNonNull(settings);
        this.topics = Objects.requireNonNull(topics);
        this.creator = Objects.requireNonNull(creator);
        this.reader = Objects.requireNonNull(reader);
        this.sender = Objects.requireNonNull(sender);
        this.maxPending = maxPending;
        this.retryBackoffMs = retryBackoffMs;
        this.retryBackoffMaxMs = retryBackoffMaxMs;
        this.clock = clock;
        this.executor = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = threads.newThread(runnable);
            thread.setName("strata-share-dead-letters");
            thread.setDaemon(true);
            return thread;
        });
        executor.setRemoveOnCancelPolicy(true);
    }

    @Override
    public CompletableFuture<Void> write(DeadLetter letter) {
        Objects.requireNonNull(letter, "letter");
        if (closed) {
            return CompletableFuture.failedFuture(new IllegalStateException("the dead-letter writer is closed"));
        }
        if (pending.incrementAndGet() > maxPending) {
            pending.decrementAndGet();
            return null;
        }
        Attempt attempt = new Attempt(letter);
        // The caller sees the write done only once it no longer counts as pending.
        CompletableFuture<Void> done = attempt.done.whenComplete((ignored, failure) -> pending.decrementAndGet());
        run(attempt, 0);
        return done;
    }

    /** Records written and acknowledged so far. */
    public long written() {
        return written.get();
    }

    /** Records archived without being written, their group having no usable dead-letter topic. */
    public long skipped() {
        return skipped.get();
    }

    /** Writes retried after a retriable failure. */
    public long retries() {
        return retries.get();
    }

    /** Records held now: queued, being written, or waiting to be retried. */
    public int pending() {
        return pending.get();
    }

    /** Stops: what is held fails, and stays Archiving for the next leader or start. */
    @Override
    public void close() {
        closed = true;
        executor.shutdownNow();
        try {
            sender.close();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Closing the dead-letter producer failed", e);
        }
    }

    /** One record on its way: the future the share partition waits on, and the backoff of its next retry. */
    private static final class Attempt {
        final DeadLetter letter;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        long backoffMs;

        Attempt(DeadLetter letter) {
            this.letter = letter;
        }
    }

    private void run(Attempt attempt, long delayMs) {
        try {
            if (delayMs == 0) {
                executor.execute(() -> process(attempt));
            } else {
                executor.schedule(() -> process(attempt), delayMs, TimeUnit.MILLISECONDS);
            }
        } catch (RejectedExecutionException e) {
            attempt.done.completeExceptionally(new IllegalStateException("the dead-letter writer is closed"));
        }
    }

    private void process(Attempt attempt) {
        DeadLetter letter = attempt.letter;
        try {
            ShareGroupSettings group = settings.apply(letter.groupId());
            String sourceTopic = letter.topicPartition().topic();
            DeadLetterTopics.Decision decision = topics.decide(letter.groupId(), sourceTopic,
                    group.deadLetterTopic());
            if (decision instanceof DeadLetterTopics.Skip skip) {
                warnOnce(letter.groupId() + "|" + skip.problem(), "Share group " + letter.groupId()
                        + " archives the records it gives up on without dead-lettering them: " + skip.problem());
                skipped.incrementAndGet();
                attempt.done.complete(null);
            } else if (decision instanceof DeadLetterTopics.Create create) {
                createTopic(attempt, create.topic());
            } else if (decision instanceof DeadLetterTopics.Write target) {
                send(attempt, group, target);
            }
        } catch (RuntimeException e) {
            // The source partition moved or its log failed: its next leader writes the record.
            attempt.done.completeExceptionally(e);
        }
    }

    private void createTopic(Attempt attempt, String topic) {
        try {
            creator.create(topic);
            LOG.log(Level.INFO, "Created dead-letter topic {0} for share group {1}", topic,
                    attempt.letter.groupId());
            run(attempt, 0);
        } catch (TopicExistsException e) {
            run(attempt, 0);
        } catch (RuntimeException e) {
            retry(attempt, "creating dead-letter topic " + topic + " failed: " + e.getMessage());
        }
    }

    private void send(Attempt attempt, ShareGroupSettings group, DeadLetterTopics.Write target) {
        DeadLetter letter = attempt.letter;
        SourceRecord source = reader.read(letter.topicPartition(), letter.offset());
        ProducerRecord<byte[], byte[]> record = DeadLetterRecords.build(letter, letter.topicPartition().topic(),
                source, group.deadLetterCopyRecord(), target.topic(),
                DeadLetterRecords.partitionFor(letter.topicPartition().partition(), target.partitionCount()),
                clock.millis());
        sender.send(record).whenComplete((ignored, failure) -> {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                    ? failure.getCause() : failure;
            if (cause == null) {
                written.incrementAndGet();
                attempt.done.complete(null);
            } else if (cause instanceof RetriableException) {
                retry(attempt, "writing offset " + letter.offset() + " of " + letter.topicPartition() + " to "
                        + target.topic() + " failed: " + cause);
            } else {
                LOG.log(Level.ERROR, "Share group {0} archives offset {1} of {2} without dead-lettering it: writing"
                        + " it to {3} failed and cannot succeed by retrying: {4}", letter.groupId(), letter.offset(),
                        letter.topicPartition(), target.topic(), cause.toString());
                skipped.incrementAndGet();
                attempt.done.complete(null);
            }
        });
    }

    private void retry(Attempt attempt, String why) {
        if (closed) {
            attempt.done.completeExceptionally(new IllegalStateException("the dead-letter writer is closed"));
            return;
        }
        attempt.backoffMs = attempt.backoffMs == 0 ? retryBackoffMs
                : Math.min(retryBackoffMaxMs, attempt.backoffMs * 2);
        retries.incrementAndGet();
        LOG.log(attempt.backoffMs == retryBackoffMaxMs ? Level.WARNING : Level.DEBUG,
                "Dead-lettering for share group {0}: {1}; retrying in {2} ms", attempt.letter.groupId(), why,
                attempt.backoffMs);
        run(attempt, attempt.backoffMs);
    }

    private void warnOnce(String key, String message) {
        if (warned.size() >= WARNED_MAX) {
            warned.clear();
        }
        if (warned.add(key)) {
            LOG.log(Level.WARNING, message);
        }
    }
}
