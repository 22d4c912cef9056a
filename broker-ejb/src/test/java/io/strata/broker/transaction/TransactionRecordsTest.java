package io.strata.broker.transaction;

import io.strata.broker.transaction.TransactionRecords.Stored;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@code __transaction_state} record layout: Kafka's TransactionLogKey v0 and TransactionLogValue v0 and v1. */
class TransactionRecordsTest {

    @Test
    void theKeyIsRecordTypeZeroThenTheTransactionalIdAsAShortString() {
        byte[] key = TransactionRecords.key("tx");

        assertThat(key).containsExactly(0, 0, 0, 2, 't', 'x');
        assertThat(TransactionRecords.decodeKey(key)).isEqualTo("tx");
    }

    @Test
    void aValueRoundTripsInKafkasVersionZeroLayout() {
        Stored stored = new Stored(42, (short) 3, 60_000, TransactionState.PREPARE_COMMIT,
                Set.of(new TopicPartition("orders", 1), new TopicPartition("orders", 4)), 2_000, 1_000);

        byte[] value = TransactionRecords.value(stored);

        ByteBuffer buffer = ByteBuffer.wrap(value);
        assertThat(buffer.getShort()).as("version").isZero();
        assertThat(buffer.getLong()).as("producer id").isEqualTo(42);
        assertThat(buffer.getShort()).as("epoch").isEqualTo((short) 3);
        assertThat(buffer.getInt()).as("timeout").isEqualTo(60_000);
        assertThat(buffer.get()).as("state PrepareCommit").isEqualTo((byte) 2);
        assertThat(buffer.getInt()).as("topics").isEqualTo(1);
        byte[] topic = new byte[buffer.getShort()];
        buffer.get(topic);
        assertThat(new String(topic, StandardCharsets.UTF_8)).isEqualTo("orders");
        assertThat(buffer.getInt()).as("partitions of the topic").isEqualTo(2);
        buffer.getInt();
        buffer.getInt();
        assertThat(buffer.getLong()).as("last update").isEqualTo(2_000);
        assertThat(buffer.getLong()).as("start").isEqualTo(1_000);
        assertThat(buffer.hasRemaining()).isFalse();
        assertThat(TransactionRecords.decodeValue(value)).isEqualTo(stored);
    }

    @Test
    void theFieldsOfTransactionVersion2AreWrittenAsKafkasVersionOneTaggedFields() {
        Stored stored = new Stored(42, Short.MAX_VALUE, 60_000, TransactionState.PREPARE_COMMIT,
                Set.of(new TopicPartition("orders", 1)), 2_000, 1_000, 7, 5000, (short) 2);

        byte[] value = TransactionRecords.value(stored);

        ByteBuffer expected = ByteBuffer.allocate(value.length);
        expected.putShort((short) 1).putLong(42).putShort(Short.MAX_VALUE).putInt(60_000).put((byte) 2);
        expected.put((byte) 2); // one topic, as a compact array: count + 1
        expected.put((byte) 7).put("orders".getBytes(StandardCharsets.UTF_8)); // compact string: length + 1
        expected.put((byte) 2).putInt(1); // one partition
        expected.put((byte) 0); // the topic entry's tagged fields
        expected.putLong(2_000).putLong(1_000);
        expected.put((byte) 3); // three tagged fields, by tag
        expected.put((byte) 0).put((byte) 8).putLong(7);
        expected.put((byte) 1).put((byte) 8).putLong(5000);
        expected.put((byte) 2).put((byte) 2).putShort((short) 2);
        assertThat(expected.hasRemaining()).isFalse();
        assertThat(value).containsExactly(expected.array());
        assertThat(TransactionRecords.decodeValue(value)).isEqualTo(stored);
    }

    @Test
    void aVersionOneValueWithTheDefaultsAndAnUnknownTagIsRead() {
        ByteBuffer kafkas = ByteBuffer.allocate(64);
        kafkas.putShort((short) 1).putLong(42).putShort((short) 3).putInt(60_000).put((byte) 4);
        kafkas.put((byte) 0); // a null partition array
        kafkas.putLong(2_000).putLong(1_000);
        kafkas.put((byte) 1).put((byte) 9).put((byte) 2).putShort((short) 5); // a tag of a later Kafka, skipped
        byte[] value = java.util.Arrays.copyOf(kafkas.array(), kafkas.position());

        assertThat(TransactionRecords.decodeValue(value)).isEqualTo(new Stored(42, (short) 3, 60_000,
                TransactionState.COMPLETE_COMMIT, Set.of(), 2_000, 1_000));
    }

    @Test
    void aValueWithoutTheFieldsOfVersion2StaysInVersionZero() {
        byte[] value = TransactionRecords.value(new Stored(1, (short) 0, 1, TransactionState.EMPTY, Set.of(), 0, -1));

        assertThat(ByteBuffer.wrap(value).getShort()).isZero();
    }

    @Test
    void aTornValueOrAnotherKeyTypeIsRefused() {
        byte[] value = TransactionRecords.value(new Stored(1, (short) 0, 1, TransactionState.EMPTY, Set.of(), 0, -1));

        assertThatThrownBy(() -> TransactionRecords.decodeValue(java.util.Arrays.copyOf(value, value.length - 3)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TransactionRecords.decodeKey(new byte[]{0, 1, 0, 0}))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
