package io.strata.jms.share;

import io.strata.broker.it.TestBroker;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static io.strata.jms.share.ShareTestCluster.AT_MOST;
import static io.strata.jms.share.ShareTestCluster.pollUntil;
import static io.strata.jms.share.ShareTestCluster.prepare;
import static io.strata.jms.share.ShareTestCluster.settings;
import static io.strata.jms.share.ShareTestCluster.startOffset;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The engine against a real Strata broker: members of one share group split a partition's records, each delivered
 * once; accepted records move the group's start offset; a released record comes back one delivery higher, a rejected
 * one never; what a closing member held goes to the others.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class StrataShareConsumerTest {

    @TempDir
    static Path dir;
    static TestBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = TestBroker.start(dir, ShareTestCluster.FAST_SHARE_GROUPS);
    }

    @AfterAll
    static void stopBroker() {
        broker.close();
    }

    @Test
    void twoMembersSplitThePartitionEachRecordOnceAndAcceptingMovesTheStartOffset() throws Exception {
        prepare(broker, "split", "splitters", 0);
        // Small fetches and buffers, so that both members get a share of the 200 records.
        ShareConsumerSettings settings = settings(broker, "splitters", "split").withFetch(10, 1 << 20, 200)
                .withBuffer(10, 1 << 20);
        try (StrataShareConsumer first = StrataShareConsumer.open(settings);
             StrataShareConsumer second = StrataShareConsumer.open(settings)) {
            ShareTestCluster.produce(broker, "split", 200, i -> java.util.Map.of());
            List<List<ShareRecord>> perMember = List.of(new ArrayList<>(), new ArrayList<>());
            List<StrataShareConsumer> members = List.of(first, second);
            List<ShareRecord> all = pollUntil(members, (i, record) -> {
                perMember.get(i).add(record);
                members.get(i).acknowledge(record, AcknowledgeType.ACCEPT);
            }, records -> records.size() >= 200);

            assertThat(all).hasSize(200).extracting(ShareRecord::offset).doesNotHaveDuplicates();
            assertThat(all).allSatisfy(record -> assertThat(record.deliveryCount()).isEqualTo(1));
            assertThat(all).extracting(ShareTestCluster::value).contains("split-0", "split-199");
            assertThat(perMember).allSatisfy(records -> assertThat(records).isNotEmpty());
            assertThat(first.assignment()).extracting(p -> p.topic() + "-" + p.partition()).containsExactly("split-0");
            await().atMost(AT_MOST).until(() -> startOffset(broker, "splitters", "split") == 200);
        }
    }

    @Test
    void aReleasedRecordComesBackWithDeliveryCountTwoAndARejectedOneNever() throws Exception {
        prepare(broker, "released", "releasers", 2);
        try (StrataShareConsumer consumer = StrataShareConsumer.open(settings(broker, "releasers", "released"))) {
            List<ShareRecord> first = pollUntil(List.of(consumer), (i, r) -> { }, records -> records.size() == 2);
            assertThat(consumer.acknowledgeSync(List.of(first.get(0)), AcknowledgeType.RELEASE, AT_MOST))
                    .allSatisfy(result -> assertThat(result.error()).isEqualTo(Errors.NONE));
            assertThat(consumer.acknowledgeSync(List.of(first.get(1)), AcknowledgeType.REJECT, AT_MOST))
                    .allSatisfy(result -> assertThat(result.error()).isEqualTo(Errors.NONE));

            List<ShareRecord> again = pollUntil(List.of(consumer), (i, r) -> { }, records -> !records.isEmpty());
            assertThat(again).singleElement().satisfies(record -> {
                assertThat(record.offset()).isEqualTo(first.get(0).offset());
                assertThat(record.deliveryCount()).isEqualTo(2);
            });
            assertThat(consumer.acknowledgeSync(again, AcknowledgeType.ACCEPT, AT_MOST))
                    .singleElement().satisfies(result -> {
                        assertThat(result.succeeded()).as(result.message()).isTrue();
                        assertThat(result.offsets()).containsExactly(first.get(0).offset());
                    });
            // The rejected record is archived: nothing more comes, and the start offset passes both.
            assertThat(consumer.poll(10, Duration.ofSeconds(2))).isEmpty();
            await().atMost(AT_MOST).until(() -> startOffset(broker, "releasers", "released") == 2);
        }
    }

    @Test
    void recordsAClosingMemberDidNotAcknowledgeGoToTheOtherMember() throws Exception {
        prepare(broker, "handover", "handovers", 5);
        ShareConsumerSettings settings = settings(broker, "handovers", "handover");
        Set<Long> held = new HashSet<>();
        try (StrataShareConsumer leaving = StrataShareConsumer.open(settings)) {
            pollUntil(List.of(leaving), (i, record) -> held.add(record.offset()), records -> records.size() == 5);
        }
        try (StrataShareConsumer staying = StrataShareConsumer.open(settings)) {
            List<ShareRecord> got = pollUntil(List.of(staying), (i, record) -> staying.acknowledge(record,
                    AcknowledgeType.ACCEPT), records -> records.size() == 5);
            assertThat(got).extracting(ShareRecord::offset).containsExactlyInAnyOrderElementsOf(held);
            assertThat(got).allSatisfy(record -> assertThat(record.deliveryCount()).isEqualTo(2));
        }
    }

    @Test
    void anAcknowledgementOfARecordWhoseLockRanOutIsAnsweredInvalidRecordState() throws Exception {
        prepare(broker, "expired", "expirers", 1);
        ShareTestCluster.configure(broker, "expirers", java.util.Map.of("share.record.lock.duration.ms", "1000"));
        try (StrataShareConsumer consumer = StrataShareConsumer.open(settings(broker, "expirers", "expired"));
             StrataShareConsumer other = StrataShareConsumer.open(settings(broker, "expirers", "expired"))) {
            List<ShareRecord> got = pollUntil(List.of(consumer, other), (i, r) -> { }, records -> !records.isEmpty());
            ShareRecord record = got.get(0);
            // Once the lock ran out, the other member (or this one) gets the record again, delivery 2.
            List<ShareRecord> again = pollUntil(List.of(consumer, other), (i, r) -> { },
                    records -> records.stream().anyMatch(r -> r.offset() == record.offset()));
            assertThat(again.get(again.size() - 1).deliveryCount()).isGreaterThanOrEqualTo(2);
            List<AcknowledgementResult> results = consumer.acknowledgeSync(List.of(record), AcknowledgeType.ACCEPT,
                    AT_MOST);
            List<AcknowledgementResult> otherResults = other.acknowledgeSync(List.of(record),
                    AcknowledgeType.ACCEPT, AT_MOST);
            // Whoever holds it now accepts it; the member of delivery 1 no longer holds it.
            assertThat(List.of(results, otherResults)).anySatisfy(r -> assertThat(r).singleElement()
                    .satisfies(result -> assertThat(result.error()).isEqualTo(Errors.INVALID_RECORD_STATE)));
        }
    }
}
