package io.strata.broker.transaction;

import io.strata.broker.transaction.TransactionVerifier.Question;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A question to this broker's coordinator answered CONCURRENT_TRANSACTIONS is asked again when the coordinator settles
 * the transactional id, not on a timer: the verifier here waits an hour for the fallback, so only the settle can
 * bring the second answer within the test's time. The coordinator is a hand-driven stand-in at the verifier's seam.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class TransactionVerifierSettledTest {

    private static final TopicPartition ORDERS_0 = new TopicPartition("orders", 0);
    private static final String TX = "settled-tx";
    private static final int LOCAL = 1;
    private static final long NEVER_MS = TimeUnit.HOURS.toMillis(1);

    private final AtomicInteger asked = new AtomicInteger();
    private final AtomicReference<Errors> state = new AtomicReference<>(Errors.CONCURRENT_TRANSACTIONS);
    private TransactionVerifier verifier;

    private TransactionVerifier verifier(TransactionVerifier.LocalCoordinator coordinator) {
        verifier = new TransactionVerifier(coordinator, id -> LOCAL, id -> null, LOCAL,
                Executors.defaultThreadFactory(), 10_000, NEVER_MS);
        return verifier;
    }

    private CompletableFuture<Map<TopicPartition, Errors>> answerOfState(Question question) {
        asked.incrementAndGet();
        return CompletableFuture.completedFuture(Map.of(ORDERS_0, state.get()));
    }

    @AfterEach
    void close() {
        if (verifier != null) {
            verifier.close();
        }
    }

    @Test
    void aQuestionAnsweredConcurrentTransactionsIsAskedAgainWhenTheCoordinatorSettlesItsId() throws Exception {
        verifier(this::answerOfState);

        CompletableFuture<Map<TopicPartition, Errors>> answer = verifier.verify(TX, 7, (short) 0, Set.of(ORDERS_0),
                true);
        await().atMost(30, TimeUnit.SECONDS).untilAsserted(() -> assertThat(asked).hasValue(1));
        state.set(Errors.NONE);
        verifier.settled("another-tx");
        verifier.settled(TX);

        assertThat(answer.get(30, TimeUnit.SECONDS)).containsExactly(Map.entry(ORDERS_0, Errors.NONE));
        assertThat(asked).as("asked once more, when settled").hasValue(2);
    }

    @Test
    void aSettleThatComesWhileTheQuestionIsBeingAnsweredIsNotMissed() throws Exception {
        AtomicReference<TransactionVerifier> self = new AtomicReference<>();
        self.set(verifier(question -> {
            CompletableFuture<Map<TopicPartition, Errors>> answer = answerOfState(question);
            if (asked.get() == 1) {
                // The markers are written, and the id settled, after the state was read for this answer.
                state.set(Errors.NONE);
                self.get().settled(TX);
            }
            return answer;
        }));

        assertThat(self.get().verify(TX, 7, (short) 0, Set.of(ORDERS_0), true).get(30, TimeUnit.SECONDS))
                .containsExactly(Map.entry(ORDERS_0, Errors.NONE));
        assertThat(asked).hasValue(2);
    }

    @Test
    void aQuestionWaitingForASettleIsAnsweredWhenTheVerifierCloses() throws Exception {
        verifier(this::answerOfState);
        CompletableFuture<Map<TopicPartition, Errors>> answer = verifier.verify(TX, 7, (short) 0, Set.of(ORDERS_0),
                false);
        await().atMost(30, TimeUnit.SECONDS).untilAsserted(() -> assertThat(asked).hasValue(1));

        verifier.close();

        // Closed before or after its round's answer was looked at: either way it is answered, not left waiting.
        assertThat(answer.get(30, TimeUnit.SECONDS).get(ORDERS_0))
                .isIn(Errors.COORDINATOR_NOT_AVAILABLE, Errors.CONCURRENT_TRANSACTIONS);
    }
}
