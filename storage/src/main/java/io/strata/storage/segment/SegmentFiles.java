package io.strata.storage.segment;

import java.nio.file.Path;

/**
 * The names of a segment's files: {@code <baseOffset>.log}, {@code .index}, {@code .timeindex} and
 * {@code .txnindex}, with the base
 * offset as 20 zero-padded digits so that names sort in offset order, as Kafka names them. A suffix marks a file in
 * transit: {@code .cleaned} (being written by the cleaner), {@code .swap} (about to replace segments),
 * {@code .deleted} (waiting for {@code file.delete.delay.ms}).
 */
public final class SegmentFiles {

    public static final String LOG = ".log";
    public static final String INDEX = ".index";
    public static final String TIME_INDEX = ".timeindex";
    public static final String TXN_INDEX = ".txnindex";
    public static final String CLEANED = ".cleaned";
    public static final String SWAP = ".swap";
    public static final String DELETED = ".deleted";

    private SegmentFiles() {
    }

    public static String baseName(long baseOffset) {
        if (baseOffset < 0) {
            throw new IllegalArgumentException("negative base offset " + baseOffset);
        }
        return String.format("%020d", baseOffset);
    }

    public static Path log(Path dir, long baseOffset, String suffix) {
        return dir.resolve(baseName(baseOffset) + LOG + suffix);
    }

    public static Path offsetIndex(Path dir, long baseOffset, String suffix) {
        return dir.resolve(baseName(baseOffset) + INDEX + suffix);
    }

    public static Path timeIndex(Path dir, long baseOffset, String suffix) {
        return dir.resolve(baseName(baseOffset) + TIME_INDEX + suffix);
    }

    public static Path transactionIndex(Path dir, long baseOffset, String suffix) {
        return dir.resolve(baseName(baseOffset) + TXN_INDEX + suffix);
    }

    /** The base offset in a file name such as {@code 00000000000000000042.log.swap}, or -1 if it is not one. */
    public static long baseOffsetOf(String fileName) {
        int dot = fileName.indexOf('.');
        if (dot != 20) {
            return -1;
        }
        for (int i = 0; i < dot; i++) {
            if (!Character.isDigit(fileName.charAt(i))) {
                return -1;
            }
        }
        try {
            return Long.parseLong(fileName.substring(0, dot));
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
