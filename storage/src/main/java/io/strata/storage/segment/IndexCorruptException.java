package io.strata.storage.segment;

import java.io.IOException;

/** An index file is damaged; the segment rebuilds the index from its log. */
public final class IndexCorruptException extends IOException {
    public IndexCorruptException(String message) {
        super(message);
    }
}
