package io.strata.broker.share.deadletter;

import io.strata.broker.share.DeadLetterReason;
import io.strata.broker.share.DeadLetterWriter.DeadLetter;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DeadLetterRecordsTest {

    private static final TopicIdPartition SOURCE = new TopicIdPartition(Uuid.randomUuid(), 7, "orders");
    private static final DeadLetter LETTER = new DeadLetter("billing", SOURCE, 42, 5,
            DeadLetterReason.DELIVERY_COUNT_EXCEEDED);
    private static final SourceRecord RECORD = new SourceRecord(42, 1_700_000_000_000L, bytes("key"), bytes("value"),
            List.of(header("jms.type", "order"), header("trace", "t-1")));

    @Test
    void copyingKeepsKeyValueAndHeadersAndAddsTheContextHeaders() {
        ProducerRecord<byte[], byte[]> record = DeadLetterRecords.build(LETTER, "orders", RECORD, true, "dlq.orders",
                3, 1_800_000_000_000L);

        assertThat(record.topic()).isEqualTo("dlq.orders");
        assertThat(record.partition()).isEqualTo(3);
        assertThat(record.timestamp()).as("the time of the dead-letter write").isEqualTo(1_800_000_000_000L);
        assertThat(record.key()).isEqualTo(bytes("key"));
        assertThat(record.value()).isEqualTo(bytes("value"));
        assertThat(keys(record)).containsExactly("jms.type", "trace", DeadLetterRecords.TOPIC,
                DeadLetterRecords.PARTITION, DeadLetterRecords.OFFSET, DeadLetterRecords.GROUP,
                DeadLetterRecords.DELIVERY_COUNT, DeadLetterRecords.MESSAGE, DeadLetterRecords.REASON,
                DeadLetterRecords.TIMESTAMP);
        assertThat(value(record, "__dlq.errors.topic")).isEqualTo("orders");
        assertThat(value(record, "__dlq.errors.partition")).isEqualTo("7");
        assertThat(value(record, "__dlq.errors.offset")).isEqualTo("42");
        assertThat(value(record, "__dlq.errors.group")).isEqualTo("billing");
        assertThat(value(record, "__dlq.errors.delivery.count")).isEqualTo("5");
        assertThat(value(record, "__dlq.errors.message")).contains("delivery count");
        assertThat(value(record, "__strata.dlq.reason")).isEqualTo("DELIVERY_COUNT_EXCEEDED");
        assertThat(value(record, "__strata.dlq.timestamp")).isEqualTo("1700000000000");
        assertThat(value(record, "jms.type")).isEqualTo("order");
    }

    @Test
    void withoutCopyingOnlyTheContextHeadersAreWritten() {
        ProducerRecord<byte[], byte[]> record = DeadLetterRecords.build(new DeadLetter("billing", SOURCE, 42, 1,
                DeadLetterReason.CLIENT_REJECT), "orders", RECORD, false, "dlq.orders", 0, 5);

        assertThat(record.key()).isNull();
        assertThat(record.value()).isNull();
        assertThat(keys(record)).doesNotContain("jms.type", "trace").contains(DeadLetterRecords.TIMESTAMP);
        assertThat(value(record, "__dlq.errors.message")).isEqualTo("Offset rejected by client.");
        assertThat(value(record, "__strata.dlq.reason")).isEqualTo("CLIENT_REJECT");
    }

    @Test
    void aRecordTheLogNoLongerHoldsIsWrittenWithTheContextHeadersOnly() {
        ProducerRecord<byte[], byte[]> record = DeadLetterRecords.build(LETTER, "orders", null, true, "dlq.orders",
                0, 5);

        assertThat(record.key()).isNull();
        assertThat(record.value()).isNull();
        assertThat(keys(record)).contains(DeadLetterRecords.OFFSET).doesNotContain(DeadLetterRecords.TIMESTAMP);
    }

    @Test
    void theDeadLetterPartitionIsTheSourcePartitionModuloThePartitionCount() {
        assertThat(DeadLetterRecords.partitionFor(7, 3)).isEqualTo(1);
        assertThat(DeadLetterRecords.partitionFor(2, 3)).isEqualTo(2);
        assertThat(DeadLetterRecords.partitionFor(5, 1)).isZero();
        assertThatThrownBy(() -> DeadLetterRecords.partitionFor(0, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aSourceRecordOfAnotherOffsetIsRefused() {
        SourceRecord other = new SourceRecord(43, 0, null, null, List.of());
        assertThatThrownBy(() -> DeadLetterRecords.build(LETTER, "orders", other, true, "dlq.orders", 0, 5))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("43");
    }

    private static List<String> keys(ProducerRecord<byte[], byte[]> record) {
        List<String> keys = new ArrayList<>();
        record.headers().forEach(header -> keys.add(header.key()));
        return keys;
    }

    private static String value(ProducerRecord<byte[], byte[]> record, String key) {
        return new String(record.headers().lastHeader(key).value(), StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static Header header(String key, String value) {
        return new Header() {
            @Override
            public String key() {
                return key;
            }

            @Override
            public byte[] value() {
                return bytes(value);
            }
        };
    }
}
