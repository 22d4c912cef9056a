package io.strata.broker.transaction;

import io.strata.broker.transaction.TransactionRecords.Stored;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@code __transaction_state} record layout: Kafka's TransactionLogKey v0 and TransactionLogValue v0. */
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
    void aTornValueOrAnotherKeyTypeIsRefused() {
        byte[] value = TransactionRecords.value(new Stored(1, (short) 0, 1, TransactionState.EMPTY, Set.of(), 0, -1));

        assertThatThrownBy(() -> TransactionRecords.decodeValue(java.util.Arrays.copyOf(value, value.length - 3)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TransactionRecords.decodeKey(new byte[]{0, 1, 0, 0}))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
