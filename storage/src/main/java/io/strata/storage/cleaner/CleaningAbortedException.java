package io.strata.storage.cleaner;

/** A cleaning stopped because the log changed under it or the cleaner is shutting down; nothing was replaced. */
final class CleaningAbortedException extends RuntimeException {
    CleaningAbortedException(String message) {
        super(message);
    }
}
