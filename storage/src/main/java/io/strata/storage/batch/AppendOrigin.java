package io.strata.storage.batch;

/** Who is appending, which decides what is checked and whether offsets are assigned. */
public enum AppendOrigin {
    /** A producer: every record is checked, offsets and (for LogAppendTime) timestamps are assigned. */
    CLIENT,
    /** The broker itself (group coordinator, transaction markers): as {@link #CLIENT}, but control batches are allowed. */
    COORDINATOR,
    /** A follower copying its leader: batches keep the leader's offsets and are checked for integrity only. */
    REPLICATION
}
