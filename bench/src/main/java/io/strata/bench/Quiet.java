package io.strata.bench;

import java.util.logging.Level;
import java.util.logging.Logger;

/** Keeps the storage engine's INFO lines (segment rolled, log loaded) out of benchmark output. */
final class Quiet {

    private static final Logger STORAGE = Logger.getLogger("io.strata.storage");

    private Quiet() {
    }

    static void storageLogs() {
        STORAGE.setLevel(Level.WARNING);
    }
}
