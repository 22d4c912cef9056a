package io.strata.broker.network;

import io.strata.storage.file.FileRegion;
import org.apache.kafka.common.network.TransferableChannel;
import org.apache.kafka.common.record.internal.DefaultRecordsSend;
import org.apache.kafka.common.record.internal.RecordsSend;
import org.apache.kafka.common.record.internal.TransferableRecords;

import java.io.IOException;

/**
 * Record batches in a log file, as the records field of a fetch response: kafka-clients' response writer sends them
 * with {@link TransferableChannel#transferFrom}, so they go from the page cache to the socket without passing through
 * the heap. The file region must be closed once the response is written; {@link #region()} is what to close.
 *
 * <p>Not thread-safe: one response, one network thread.
 */
public final class StoredRecords implements TransferableRecords {

    private final FileRegion region;

    public StoredRecords(FileRegion region) {
        this.region = region;
    }

    public FileRegion region() {
        return region;
    }

    @Override
    public int sizeInBytes() {
        return region.sizeInBytes();
    }

    @Override
    public RecordsSend<? extends TransferableRecords> toSend() {
        return new DefaultRecordsSend<>(this);
    }

    @Override
    public int writeTo(TransferableChannel channel, int position, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        return (int) channel.transferFrom(region.channel(), region.position() + position, length);
    }
}
