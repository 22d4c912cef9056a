package io.strata.cli;

import java.util.logging.ConsoleHandler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * The process's logging: kafka-clients logs through SLF4J into java.util.logging, and at its default levels it
 * prints its whole configuration and every failed connection attempt to standard error, which would bury the one
 * error line the command promises. So the log is off unless --verbose, which shows it at INFO.
 *
 * <p>Stateless; call once, from {@code main}, before any client is created.
 */
final class Logging {

    private Logging() {
    }

    static void configure(boolean verbose) {
        LogManager.getLogManager().reset();
        Logger root = Logger.getLogger("");
        if (!verbose) {
            root.setLevel(Level.OFF);
            return;
        }
        System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tT.%1$tL %4$s %3$s: %5$s%6$s%n");
        ConsoleHandler handler = new ConsoleHandler();
        handler.setFormatter(new SimpleFormatter());
        handler.setLevel(Level.ALL);
        root.setLevel(Level.INFO);
        root.addHandler(handler);
    }
}
