package io.strata.broker.share;

import org.apache.kafka.common.header.Header;

import java.nio.ByteBuffer;

/**
 * What an acquisition filter sees of a record: enough for a JMS message selector (ARCHITECTURE.md, decision 10),
 * which reads headers and the timestamp, and sometimes the key.
 */
public interface ShareRecord {

    long offset();

    long timestampMs();

    /** The key, or null. */
    ByteBuffer key();

    Header[] headers();
}
