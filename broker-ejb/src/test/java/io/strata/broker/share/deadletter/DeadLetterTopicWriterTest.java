package io.strata.broker.share.deadletter;

import io.strata.broker.share.AutoOffsetReset;
import io.strata.broker.share.DeadLetterReason;
import io.strata.broker.share.DeadLetterWriter.DeadLetter;
import io.strata.broker.share.ShareGroupSettings;
import io.strata.broker.share.deadletter.DeadLetterTopics.TopicState;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Clock;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The broker's dead-letter writer with the producer, the log and the metadata at their seams: written once the send
 * is acknowledged, retried after a retriable failure, archived only when the group may not write its topic or the
 * write can never succeed, bounded, and the topic created when the broker allows it.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class DeadLetterTopicWriterTest {

    private static final TopicIdPartition SOURCE = new TopicIdPartition(Uuid.randomUuid(), 4, "orders");

    private final Map<String, TopicState> metadata = new ConcurrentHashMap<>(Map.of("dlq.orders",
            new TopicState(3, true)));
    private final FakeSender sender = new FakeSender();
    private volatile String groupTopic = "dlq.orders";
    private DeadLetterTopicWriter writer;

    /** Answers sends with the outcomes queued, or holds them when none is queued. */
    static final class FakeSender implements DeadLetterTopicWriter.Sender {
        final List<ProducerRecord<byte[], byte[]>> sent = new CopyOnWriteArrayList<>();
        final List<CompletableFuture<Void>> held = new CopyOnWriteArrayList<>();
        final Queue<RuntimeException> outcomes = new ArrayDeque<>();
        boolean answerAtOnce = true;

        @Override
        public synchronized CompletableFuture<Void> send(ProducerRecord<byte[], byte[]> record) {
            sent.add(record);
            if (!answerAtOnce) {
                CompletableFuture<Void> future = new CompletableFuture<>();
                held.add(future);
                return future;
            }
            RuntimeException failure = outcomes.poll();
            return failure == null ? CompletableFuture.completedFuture(null) : CompletableFuture.failedFuture(failure);
        }

        @Override
        public void close() {
        }
    }

    @AfterEach
    void close() {
        if (writer != null) {
            writer.close();
        }
    }

    private DeadLetterTopicWriter writer(boolean autoCreate, int maxPending, DeadLetterTopicWriter.SourceReader reader) {
        ShareGroupSettings settings = new ShareGroupSettings(30_000, 5, AutoOffsetReset.EARLIEST,
                IsolationLevel.READ_UNCOMMITTED);
        writer = new DeadLetterTopicWriter(group -> settings.withDeadLetterTopic(groupTopic, true),
                new DeadLetterTopics(metadata::get, "dlq.", autoCreate),
                topic -> metadata.put(topic, new TopicState(1, true)), reader, sender, maxPending, 1, 4,
                Executors.defaultThreadFactory(), Clock.systemUTC());
        return writer;
    }

    private static DeadLetterTopicWriter.SourceReader log() {
        return (tp, offset) -> new SourceRecord(offset, 1_000, "k".getBytes(), ("v" + offset).getBytes(), List.of());
    }

    private static DeadLetter letter(long offset) {
        return new DeadLetter("billing", SOURCE, offset, 5, DeadLetterReason.DELIVERY_COUNT_EXCEEDED);
    }

    @Test
    void aRecordIsWrittenToTheSourcePartitionModuloThePartitionsAndDoneOnceAcknowledged() throws Exception {
        writer(false, 10, log());

        writer.write(letter(7)).get(10, TimeUnit.SECONDS);

        assertThat(sender.sent).singleElement().satisfies(record -> {
            assertThat(record.topic()).isEqualTo("dlq.orders");
            assertThat(record.partition()).isEqualTo(1);
            assertThat(record.value()).isEqualTo("v7".getBytes());
        });
        assertThat(writer.written()).isEqualTo(1);
        assertThat(writer.pending()).isZero();
    }

    @Test
    void aRetriableFailureIsRetriedUntilTheWriteIsAcknowledged() throws Exception {
        writer(false, 10, log());
        sender.outcomes.add(new NotEnoughReplicasException("1 of 3 in sync"));
        sender.outcomes.add(new org.apache.kafka.common.errors.TimeoutException("no answer"));

        writer.write(letter(7)).get(10, TimeUnit.SECONDS);

        assertThat(sender.sent).hasSize(3);
        assertThat(writer.retries()).isEqualTo(2);
        assertThat(writer.written()).isEqualTo(1);
    }

    @Test
    void aWriteThatCanNeverSucceedIsArchivedWithoutRetrying() throws Exception {
        writer(false, 10, log());
        sender.outcomes.add(new RecordTooLargeException("too large for dlq.orders"));

        writer.write(letter(7)).get(10, TimeUnit.SECONDS);

        assertThat(sender.sent).hasSize(1);
        assertThat(writer.skipped()).isEqualTo(1);
        assertThat(writer.written()).isZero();
    }

    @Test
    void aGroupThatMayNotWriteItsTopicHasItsRecordsArchivedOnly() throws Exception {
        metadata.put("dlq.orders", new TopicState(3, false));
        writer(false, 10, log());

        writer.write(letter(7)).get(10, TimeUnit.SECONDS);
        groupTopic = "dlq.missing";
        writer.write(letter(8)).get(10, TimeUnit.SECONDS);

        assertThat(sender.sent).isEmpty();
        assertThat(writer.skipped()).isEqualTo(2);
    }

    @Test
    void aMissingTopicIsCreatedWhenTheBrokerAllowsIt() throws Exception {
        groupTopic = "dlq.new";
        writer(true, 10, log());

        writer.write(letter(7)).get(10, TimeUnit.SECONDS);

        assertThat(metadata).containsKey("dlq.new");
        assertThat(sender.sent).singleElement().satisfies(record -> assertThat(record.topic()).isEqualTo("dlq.new"));
    }

    @Test
    void theWriterHoldsAtMostItsBoundAndRefusesBeyond() throws Exception {
        sender.answerAtOnce = false;
        writer(false, 2, log());
        CompletableFuture<Void> first = writer.write(letter(1));
        CompletableFuture<Void> second = writer.write(letter(2));

        assertThat(first).isNotNull();
        assertThat(second).isNotNull();
        assertThat(writer.write(letter(3))).as("full").isNull();

        org.awaitility.Awaitility.await().until(() -> sender.held.size() == 2);
        sender.held.get(0).complete(null);
        first.get(10, TimeUnit.SECONDS);
        assertThat(writer.write(letter(3))).isNotNull();
    }

    @Test
    void aSourcePartitionNoLongerLedHereFailsTheWriteForTheNextLeader() {
        writer(false, 10, (tp, offset) -> {
            throw new NotLeaderOrFollowerException("not the leader of " + tp);
        });

        assertThatThrownBy(() -> writer.write(letter(7)).get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(NotLeaderOrFollowerException.class);
        assertThat(sender.sent).isEmpty();
    }

    @Test
    void closingFailsWhatIsHeld() {
        sender.answerAtOnce = false;
        writer(false, 10, log());
        sender.outcomes.clear();
        writer.close();

        assertThatThrownBy(() -> writer.write(letter(1)).get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(IllegalStateException.class);
    }
}
