package io.strata.broker.share.coordinator;

import io.strata.broker.coordinator.CoordinatorRecord;
import io.strata.broker.share.AcknowledgeType;
import io.strata.broker.share.PendingAcknowledgement;
import io.strata.broker.share.RecordState;
import io.strata.broker.share.SharePartitionState.StateBatch;
import io.strata.broker.share.ShareStateFormatException;
import io.strata.broker.share.coordinator.ShareStateRecords.Snapshot;
import io.strata.broker.share.coordinator.ShareStateRecords.Update;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.ByteUtils;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The records of {@code __share_group_state} with the Strata tag that carries an acknowledgement pending in a
 * transaction: it round-trips, a record without it reads as before (and writes the same bytes as before), and a
 * malformed one is refused rather than taken.
 */
class ShareStateRecordsTest {

    private static final ShareStateKey KEY = new ShareStateKey("jobs", new Uuid(1, 2), 3);
    private static final PendingAcknowledgement PENDING =
            new PendingAcknowledgement(4242, (short) 7, AcknowledgeType.REJECT, 1_000_000_000_000L);

    private static List<StateBatch> batches() {
        return List.of(new StateBatch(10, 12, RecordState.ACKNOWLEDGED, 1),
                new StateBatch(13, 19, RecordState.ACQUIRED, 2, PENDING),
                new StateBatch(20, 20, RecordState.ACQUIRED, 1));
    }

    @Test
    void aPendingBatchRoundTripsThroughASnapshotAndAnUpdate() {
        Snapshot snapshot = new Snapshot(2, 3, 4, 10, 111, 222, batches());
        Update update = new Update(2, 4, -1, batches());

        ShareStateRecords.Decoded readSnapshot = ShareStateRecords.decode(ShareStateRecords.snapshot(KEY, snapshot));
        ShareStateRecords.Decoded readUpdate = ShareStateRecords.decode(ShareStateRecords.update(KEY, update));

        assertThat(readSnapshot.key()).isEqualTo(KEY);
        assertThat(readSnapshot.snapshot()).isEqualTo(snapshot);
        assertThat(readSnapshot.snapshot().batches().get(1).pending()).isEqualTo(PENDING);
        assertThat(readUpdate.update()).isEqualTo(update);
    }

    @Test
    void aRecordWithoutTheTagIsWrittenAndReadAsKafkaLaysItOut() {
        Snapshot plain = new Snapshot(0, 1, 2, 5, 7, 8, List.of(new StateBatch(5, 6, RecordState.ARCHIVED, 3)));

        byte[] value = ShareStateRecords.snapshot(KEY, plain).value();

        // int16 version 0, int32 x3, int64 x3, batches (varint 2), one batch with no tagged fields, no tagged fields.
        ByteBuffer expected = ByteBuffer.allocate(2 + 12 + 24 + 1 + 19 + 1 + 1).putShort((short) 0).putInt(0)
                .putInt(1).putInt(2).putLong(5).putLong(7).putLong(8).put((byte) 2).putLong(5).putLong(6)
                .put((byte) 4).putShort((short) 3).put((byte) 0).put((byte) 0);
        assertThat(HexFormat.of().formatHex(value)).isEqualTo(HexFormat.of().formatHex(expected.array()));
        assertThat(ShareStateRecords.decode(ShareStateRecords.snapshot(KEY, plain)).snapshot().batches().get(0)
                .pending()).isNull();
    }

    @Test
    void otherTaggedFieldsOfABatchAreSkippedAsKafkaToolsSkipOurs() {
        byte[] value = batchRecordValue(tagged(7, new byte[] {1, 2, 3}));

        StateBatch batch = ShareStateRecords.decode(new CoordinatorRecord(snapshotKey(), value)).snapshot()
                .batches().get(0);

        assertThat(batch).isEqualTo(new StateBatch(13, 19, RecordState.ACQUIRED, 2));
    }

    @Test
    void aPendingTagOfTheWrongSizeIsRefused() {
        byte[] value = batchRecordValue(tagged(PendingAcknowledgementTag.TAG,
                Arrays.copyOf(PendingAcknowledgementTag.encode(PENDING), 18)));

        assertThatThrownBy(() -> ShareStateRecords.decode(new CoordinatorRecord(snapshotKey(), value)))
                .isInstanceOf(ShareStateFormatException.class).hasMessageContaining("tag 32003")
                .hasMessageContaining("18 bytes, not 19");
    }

    @Test
    void aPendingTagNamingARenewOrANegativeProducerIsRefused() {
        byte[] renew = PendingAcknowledgementTag.encode(PENDING);
        renew[10] = AcknowledgeType.RENEW.id;
        byte[] negative = PendingAcknowledgementTag.encode(PENDING);
        negative[0] = (byte) 0x80;

        assertThatThrownBy(() -> ShareStateRecords.decode(new CoordinatorRecord(snapshotKey(),
                batchRecordValue(tagged(PendingAcknowledgementTag.TAG, renew)))))
                .isInstanceOf(ShareStateFormatException.class).hasMessageContaining("RENEW");
        assertThatThrownBy(() -> ShareStateRecords.decode(new CoordinatorRecord(snapshotKey(),
                batchRecordValue(tagged(PendingAcknowledgementTag.TAG, negative)))))
                .isInstanceOf(ShareStateFormatException.class).hasMessageContaining("bad producer");
    }

    @Test
    void aPendingTagOnRecordsThatAreNotAcquiredOrTwiceOnABatchIsRefused() {
        byte[] value = PendingAcknowledgementTag.encode(PENDING);
        byte[] onArchived = batchRecordValue(tagged(PendingAcknowledgementTag.TAG, value));
        onArchived[2 + 12 + 24 + 1 + 16] = RecordState.ARCHIVED.id;
        ByteBuffer twice = ByteBuffer.allocate(1 + 2 * (3 + 1 + 19));
        ByteUtils.writeUnsignedVarint(2, twice);
        for (int i = 0; i < 2; i++) {
            ByteUtils.writeUnsignedVarint(PendingAcknowledgementTag.TAG, twice);
            ByteUtils.writeUnsignedVarint(value.length, twice);
            twice.put(value);
        }

        assertThatThrownBy(() -> ShareStateRecords.decode(new CoordinatorRecord(snapshotKey(), onArchived)))
                .isInstanceOf(ShareStateFormatException.class).hasMessageContaining("only Acquired");
        assertThatThrownBy(() -> ShareStateRecords.decode(new CoordinatorRecord(snapshotKey(),
                batchRecordValue(Arrays.copyOf(twice.array(), twice.position())))))
                .isInstanceOf(ShareStateFormatException.class).hasMessageContaining("twice");
    }

    @Test
    void theTagTravelsOnTheStateBatchOfWriteAndReadShareGroupState() {
        org.apache.kafka.common.message.WriteShareGroupStateRequestData.StateBatch written =
                new org.apache.kafka.common.message.WriteShareGroupStateRequestData.StateBatch().setFirstOffset(13)
                        .setLastOffset(19).setDeliveryState(RecordState.ACQUIRED.id).setDeliveryCount((short) 2);
        written.unknownTaggedFields().addAll(PendingAcknowledgementTag.fields(PENDING));
        org.apache.kafka.common.message.WriteShareGroupStateRequestData request =
                new org.apache.kafka.common.message.WriteShareGroupStateRequestData().setGroupId("jobs").setTopics(
                        List.of(new org.apache.kafka.common.message.WriteShareGroupStateRequestData.WriteStateData()
                                .setTopicId(KEY.topicId()).setPartitions(List.of(
                                        new org.apache.kafka.common.message.WriteShareGroupStateRequestData
                                                .PartitionData().setStateBatches(List.of(written))))));

        ByteBuffer bytes = org.apache.kafka.common.protocol.MessageUtil.toByteBufferAccessor(request, (short) 0)
                .buffer();
        org.apache.kafka.common.message.WriteShareGroupStateRequestData parsed =
                new org.apache.kafka.common.message.WriteShareGroupStateRequestData(
                        new org.apache.kafka.common.protocol.ByteBufferAccessor(bytes), (short) 0);

        assertThat(PendingAcknowledgementTag.find(parsed.topics().get(0).partitions().get(0).stateBatches().get(0)
                .unknownTaggedFields())).isEqualTo(PENDING);
        assertThat(PendingAcknowledgementTag.fields(null)).isEmpty();
    }

    /** A snapshot record's value with one Acquired batch 13..19 (count 2) whose tagged fields are {@code fields}. */
    private static byte[] batchRecordValue(byte[] fields) {
        ByteBuffer buffer = ByteBuffer.allocate(2 + 12 + 24 + 1 + 19 + fields.length + 1).putShort((short) 0)
                .putInt(0).putInt(1).putInt(2).putLong(13).putLong(7).putLong(8).put((byte) 2).putLong(13)
                .putLong(19).put(RecordState.ACQUIRED.id).putShort((short) 2).put(fields).put((byte) 0);
        return buffer.array();
    }

    /** Tagged fields holding one field. */
    private static byte[] tagged(int tag, byte[] value) {
        ByteBuffer buffer = ByteBuffer.allocate(1 + 3 + 1 + value.length);
        ByteUtils.writeUnsignedVarint(1, buffer);
        ByteUtils.writeUnsignedVarint(tag, buffer);
        ByteUtils.writeUnsignedVarint(value.length, buffer);
        buffer.put(value);
        return Arrays.copyOf(buffer.array(), buffer.position());
    }

    private static byte[] snapshotKey() {
        return ShareStateRecords.snapshot(KEY, new Snapshot(0, 1, 2, 0, 0, 0, List.of())).key();
    }
}
