package io.strata.bench.kafka;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One cell of bin/bench-jms's matrix: how the producer sends, where to, and how many consumers read. Its id, e.g.
 * {@code persistent-async-shared-4}, names its destination on the broker and selects it with {@code --cases}.
 * Immutable.
 *
 * @param mode        how the one producer sends
 * @param destination a queue, or a topic read through one shared durable subscription
 * @param consumers   consumers on the queue or the subscription, each with a connection of its own
 */
record JmsCase(SendMode mode, DestinationKind destination, int consumers) {

    /** Messages per transaction in {@link SendMode#TRANSACTED}, for the producer and each consumer alike. */
    static final int MESSAGES_PER_TRANSACTION = 100;

    static final List<Integer> CONSUMER_COUNTS = List.of(1, 4);
    static final int CONSUMERS_MAX = 64;

    /** How the producer sends, each mode with the throughput target the benchmark holds Strata to. */
    enum SendMode {
        PERSISTENT_SYNC("persistent-sync", "PERSISTENT, send() returns when the broker has it", 2.0),
        PERSISTENT_ASYNC("persistent-async", "PERSISTENT, send(message, CompletionListener)", 2.0),
        NON_PERSISTENT("non-persistent", "NON_PERSISTENT, send()", 1.0),
        TRANSACTED("transacted", "PERSISTENT, transacted sessions, " + MESSAGES_PER_TRANSACTION
                + " messages per commit on both sides", 2.0);

        private final String id;
        private final String label;
        private final double targetRatio;

        SendMode(String id, String label, double targetRatio) {
            this.id = id;
            this.label = label;
            this.targetRatio = targetRatio;
        }

        String id() {
            return id;
        }

        String label() {
            return label;
        }

        /** Strata's messages/s over Artemis's that the benchmark's target asks for. */
        double targetRatio() {
            return targetRatio;
        }

        boolean persistent() {
            return this != NON_PERSISTENT;
        }
    }

    /** Where the producer sends and the consumers read. */
    enum DestinationKind {
        QUEUE("queue", "queue"),
        SHARED_SUBSCRIPTION("shared", "topic, one shared durable subscription");

        private final String id;
        private final String label;

        DestinationKind(String id, String label) {
            this.id = id;
            this.label = label;
        }

        String id() {
            return id;
        }

        String label() {
            return label;
        }
    }

    JmsCase {
        if (consumers < 1 || consumers > CONSUMERS_MAX) {
            throw new IllegalArgumentException("consumers must be between 1 and " + CONSUMERS_MAX + ": " + consumers);
        }
    }

    /** Every mode, each with a queue then a shared subscription, each with 1 then 4 consumers. */
    static List<JmsCase> matrix() {
        List<JmsCase> cases = new ArrayList<>();
        for (SendMode mode : SendMode.values()) {
            for (DestinationKind destination : DestinationKind.values()) {
                for (int consumers : CONSUMER_COUNTS) {
                    cases.add(new JmsCase(mode, destination, consumers));
                }
            }
        }
        return List.copyOf(cases);
    }

    /**
     * The cases of {@link #matrix} that {@code selectors} name, in the matrix's order: each selector is a case id, or
     * the start of ids up to a "-" ({@code transacted}, {@code persistent}, {@code non-persistent-queue}).
     */
    static List<JmsCase> select(List<String> selectors) {
        List<JmsCase> all = matrix();
        for (String selector : selectors) {
            if (all.stream().noneMatch(benchCase -> benchCase.matches(selector))) {
                throw new IllegalArgumentException("--cases: " + selector + " names no case; the cases are "
                        + all.stream().map(JmsCase::id).toList());
            }
        }
        return all.stream().filter(benchCase -> selectors.stream().anyMatch(benchCase::matches)).toList();
    }

    private boolean matches(String selector) {
        String id = id();
        return id.equals(selector) || id.startsWith(selector + "-");
    }

    String id() {
        return mode.id() + "-" + destination.id() + "-" + consumers;
    }

    String label() {
        return String.format(Locale.ROOT, "%s: %s; %s, %d consumer%s", id(), mode.label(), destination.label(),
                consumers, consumers == 1 ? "" : "s");
    }

    /** The queue's or topic's name on the broker; each case has its own, so no case reads another's leftovers. */
    String destinationName() {
        return "bench-jms-" + id();
    }

    /**
     * The shared durable subscription's name, also one per case: Artemis names a shared subscription's queue after the
     * subscription alone (without a client id), and refuses a second subscription of that name on another topic.
     */
    String subscriptionName() {
        return destinationName() + "-sub";
    }
}
