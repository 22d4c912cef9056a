package io.strata.broker.share;

/** Bytes that are not a share-partition state snapshot Strata can read: unknown version, truncated, or corrupt. */
public final class ShareStateFormatException extends RuntimeException {

    public ShareStateFormatException(String message) {
        super(message);
    }
}
