package io.strata.bench.kafka;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The settings of one bin/bench-jms run, from command-line options and environment variables. Both brokers get the
 * same load. Immutable.
 *
 * @param brokers              which brokers to run, in order: "strata" (standalone) and "artemis", each at most once
 * @param cases                the cases to run, in the matrix's order
 * @param messages             measured messages per case, except persistent-sync cases
 * @param syncMessages         measured messages per persistent-sync case, whose one producer waits for each send
 * @param warmupMessages       messages per case before the measured ones, unmeasured; empty: a fifth of the case's
 * @param passMessages         messages per case (persistent-sync ones: in the ratio of their measured messages) of an
 *                             unmeasured first pass over all the cases on each broker, so that both JVMs have
 *                             compiled what every case runs before the first is measured, raised so that the pass
 *                             sends at least {@link #PASS_TOTAL_MIN} messages in all; 0: none
 * @param messageBytes         each message's body
 * @param window               sent messages not yet received the producer may have outstanding
 * @param strataCommand        shell command that starts Strata standalone; {@code {port}} and {@code {logDir}} are
 *                             filled in
 * @param artemisJournalBufferTimeoutNanos Artemis's journal-buffer-timeout; empty: Artemis's default
 * @param startTimeout         how long a broker may take to be ready
 * @param caseTimeout          how long one case's warm-up and measured phases may take together
 * @param primeTimeout         how long every consumer of a case may take to receive its first message
 * @param outputDir            where reports and logs go
 * @param scratchBase          where the brokers' data go; null for {@code strata.bench.dir} or the temporary directory
 */
record JmsBenchSettings(List<String> brokers, List<JmsCase> cases, int messages, int syncMessages,
                        Optional<Integer> warmupMessages, int passMessages, int messageBytes, int window, String strataCommand,
                        Optional<Integer> artemisJournalBufferTimeoutNanos, Duration startTimeout,
                        Duration caseTimeout, Duration primeTimeout, Path outputDir, Path scratchBase) {

    static final String STRATA = BenchSettings.STRATA;
    static final String ARTEMIS = ArtemisLauncher.NAME;
    static final List<String> BROKER_KINDS = List.of(STRATA, ARTEMIS);

    static final int MESSAGES_DEFAULT = 50_000;
    static final int SYNC_MESSAGES_DEFAULT = 4_000;
    /** The warm-up is this fraction of a case's measured messages unless {@code --warmup-messages} says otherwise. */
    static final int WARMUP_DIVISOR = 5;
    static final int WINDOW_DEFAULT = 1_000;
    static final int PASS_MESSAGES_DEFAULT = 10_000;
    /**
     * The first pass sends at least this many messages over the selected cases together (before the persistent-sync
     * ratio): measured on 2 cores, Strata's broker and client JVMs were still compiling after 40,000 transacted
     * messages (the broker's C2 thread its busiest, 3-5 times the CPU per message of a warm run), and warm after
     * about 400,000. A run of four cases with only 10,000 each measured compilation, not the broker.
     */
    static final int PASS_TOTAL_MIN = 400_000;
    /** The first pass's destinations and subscriptions are the cases' with this before their names. */
    static final String PASS_PREFIX = "first-pass-";

    /** Bounds that keep a typo from filling the heap (latencies are kept per message) or running for a day. */
    private static final int MESSAGES_MAX = 10_000_000;
    private static final int MESSAGE_BYTES_MAX = 1_048_576;
    private static final int WINDOW_MAX = 1_000_000;
    private static final long TIMEOUT_SECONDS_MAX = 3_600;

    static final String USAGE = String.join("\n",
            "Usage: bin/bench-jms [options]",
            "",
            "Drives Strata's JMS provider against Strata standalone, and Apache Artemis's JMS client against an",
            "embedded Apache Artemis (those --brokers names), one broker after the other, with the same JMS load",
            "from this JVM (only the ConnectionFactory differs), and prints per case messages/s end to end, p50/p99",
            "send-to-receive latency, and the broker's and the client JVM's CPU-seconds per million messages, with",
            "the strata/artemis ratio and the target it is held to (2x Artemis's messages/s for persistent and",
            "transacted cases, 1x for non-persistent ones).",
            "",
            "Cases: the send modes persistent-sync, persistent-async (CompletionListener), non-persistent and",
            "transacted (100 messages per commit, producer and consumers), each to a queue and to a topic with one",
            "shared durable subscription, each read by 1 and by 4 consumers: ids like persistent-async-shared-4.",
            "",
            "Options (defaults in brackets):",
            "  --brokers LIST        any of strata, artemis, run in the order given          [strata,artemis]",
            "  --cases LIST          case ids, or their starts up to a '-': persistent, transacted-queue,",
            "                        non-persistent-shared-4, ...                              [all 16]",
            "  --messages N          measured messages per case, except persistent-sync     [" + MESSAGES_DEFAULT + "]",
            "  --sync-messages N     measured messages per persistent-sync case             [" + SYNC_MESSAGES_DEFAULT
                    + "]",
            "  --warmup-messages N   messages per case before the measured ones  [a fifth of the case's messages]",
            "  --pass-messages N     messages per case of an unmeasured first pass over all the cases on each",
            "                        broker, so both JVMs have compiled what the cases run; raised until the",
            "                        pass sends " + String.format(java.util.Locale.ROOT, "%,d", PASS_TOTAL_MIN)
                    + " in all (persistent-sync cases: in the ratio of their",
            "                        measured messages; 0: none)                            ["
                    + PASS_MESSAGES_DEFAULT + "]",
            "  --message-bytes N     body of each message (a BytesMessage)                  [1024]",
            "  --window N            sent messages not yet received the producer may have outstanding, at",
            "                        least 100 (one transaction)                            [" + WINDOW_DEFAULT + "]",
            "  --strata-cmd CMD      shell command that starts Strata standalone; {port} and {logDir} are filled in",
            "                        [$" + BenchSettings.STRATA_COMMAND_ENV + ", else:",
            "                        " + BenchSettings.DEFAULT_STRATA_COMMAND + "]",
            "  --artemis-journal-buffer-timeout-ns N  Artemis's journal-buffer-timeout   [Artemis's default]",
            "  --start-timeout-s N   seconds a broker may take to be ready                  [120]",
            "  --case-timeout-s N    seconds a case's warm-up and measurement may take      [300]",
            "  --prime-timeout-s N   seconds until every consumer of a case got a first message [60]",
            "  --out DIR             where reports and logs go             [bench/target/bench-jms]",
            "  --scratch-dir DIR     where the brokers' data go, deleted at exit  [the system temp dir]");

    JmsBenchSettings {
        brokers = List.copyOf(brokers);
        cases = List.copyOf(cases);
        if (brokers.isEmpty() || !BROKER_KINDS.containsAll(brokers)
                || brokers.stream().distinct().count() != brokers.size()) {
            throw new IllegalArgumentException("--brokers takes any of " + String.join(", ", BROKER_KINDS)
                    + ", each at most once, comma-separated: " + brokers);
        }
        if (cases.isEmpty()) {
            throw new IllegalArgumentException("--cases selects no case");
        }
        if (brokers.contains(STRATA)) {
            StrataLauncher.requirePlaceholders(STRATA, strataCommand);
        }
        BenchSettings.requireInRange("--messages", messages, 1, MESSAGES_MAX);
        BenchSettings.requireInRange("--sync-messages", syncMessages, 1, MESSAGES_MAX);
        warmupMessages.ifPresent(count -> BenchSettings.requireInRange("--warmup-messages", count, 0, MESSAGES_MAX));
        BenchSettings.requireInRange("--pass-messages", passMessages, 0, MESSAGES_MAX);
        BenchSettings.requireInRange("--message-bytes", messageBytes, 1, MESSAGE_BYTES_MAX);
        BenchSettings.requireInRange("--window", window, JmsCase.MESSAGES_PER_TRANSACTION, WINDOW_MAX);
        artemisJournalBufferTimeoutNanos.ifPresent(nanos -> BenchSettings.requireInRange(
                "--artemis-journal-buffer-timeout-ns", nanos, 0, Integer.MAX_VALUE));
        BenchSettings.requireInRange("--start-timeout-s", startTimeout.toSeconds(), 1, TIMEOUT_SECONDS_MAX);
        BenchSettings.requireInRange("--case-timeout-s", caseTimeout.toSeconds(), 1, TIMEOUT_SECONDS_MAX);
        BenchSettings.requireInRange("--prime-timeout-s", primeTimeout.toSeconds(), 1, TIMEOUT_SECONDS_MAX);
    }

    /** Parses {@code args}; {@code environment} supplies {@value BenchSettings#STRATA_COMMAND_ENV}. */
    static JmsBenchSettings parse(String[] args, Map<String, String> environment) {
        List<String> brokers = BROKER_KINDS;
        List<JmsCase> cases = JmsCase.matrix();
        int messages = MESSAGES_DEFAULT;
        int syncMessages = SYNC_MESSAGES_DEFAULT;
        Optional<Integer> warmupMessages = Optional.empty();
        int passMessages = PASS_MESSAGES_DEFAULT;
        int messageBytes = 1024;
        int window = WINDOW_DEFAULT;
        String strataCommand = environment.getOrDefault(BenchSettings.STRATA_COMMAND_ENV,
                BenchSettings.DEFAULT_STRATA_COMMAND);
        Optional<Integer> journalBufferTimeout = Optional.empty();
        Duration startTimeout = Duration.ofSeconds(120);
        Duration caseTimeout = Duration.ofSeconds(300);
        Duration primeTimeout = Duration.ofSeconds(60);
        Path outputDir = Path.of("bench/target/bench-jms");
        Path scratchBase = null;

        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            if (option.equals("-h") || option.equals("--help")) {
                throw new BenchSettings.UsageRequested();
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("option " + option + " needs a value (or is unknown); see --help");
            }
            String value = args[++i];
            switch (option) {
                case "--brokers" -> brokers = BenchSettings.strings(value);
                case "--cases" -> cases = JmsCase.select(BenchSettings.strings(value));
                case "--messages" -> messages = integer(option, value);
                case "--sync-messages" -> syncMessages = integer(option, value);
                case "--warmup-messages" -> warmupMessages = Optional.of(integer(option, value));
                case "--pass-messages" -> passMessages = integer(option, value);
                case "--message-bytes" -> messageBytes = integer(option, value);
                case "--window" -> window = integer(option, value);
                case "--strata-cmd" -> strataCommand = value;
                case "--artemis-journal-buffer-timeout-ns" -> journalBufferTimeout = Optional.of(integer(option, value));
                case "--start-timeout-s" -> startTimeout = Duration.ofSeconds(integer(option, value));
                case "--case-timeout-s" -> caseTimeout = Duration.ofSeconds(integer(option, value));
                case "--prime-timeout-s" -> primeTimeout = Duration.ofSeconds(integer(option, value));
                case "--out" -> outputDir = Path.of(value);
                case "--scratch-dir" -> scratchBase = Path.of(value);
                default -> throw new IllegalArgumentException("unknown option " + option + "; see --help");
            }
        }
        return new JmsBenchSettings(brokers, cases, messages, syncMessages, warmupMessages, passMessages, messageBytes,
                window, strataCommand, journalBufferTimeout, startTimeout, caseTimeout, primeTimeout, outputDir, scratchBase);
    }

    /** Measured messages of {@code benchCase}. */
    int messagesOf(JmsCase benchCase) {
        return benchCase.mode() == JmsCase.SendMode.PERSISTENT_SYNC ? syncMessages : messages;
    }

    /** Warm-up messages of {@code benchCase}. */
    int warmupMessagesOf(JmsCase benchCase) {
        return warmupMessages.orElse(messagesOf(benchCase) / WARMUP_DIVISOR);
    }

    JmsLoad.Settings loadSettings(JmsCase benchCase) {
        return new JmsLoad.Settings(messagesOf(benchCase), warmupMessagesOf(benchCase), messageBytes, window,
                primeTimeout, caseTimeout);
    }

    /** The load of {@code benchCase} in the first pass: {@link #passMessagesOf}, no warm-up, destinations of its own. */
    JmsLoad.Settings passLoadSettings(JmsCase benchCase) {
        return new JmsLoad.Settings(passMessagesOf(benchCase), 0, messageBytes, window, primeTimeout, caseTimeout,
                PASS_PREFIX);
    }

    /**
     * The first pass's messages of {@code benchCase}: {@link #passMessages}, or the selected cases' share of
     * {@link #PASS_TOTAL_MIN} if that is more, in the ratio of its measured messages to the others'.
     */
    int passMessagesOf(JmsCase benchCase) {
        return (int) Math.max(1, (long) passMessagesPerCase() * messagesOf(benchCase) / messages);
    }

    /** The first pass's messages per case other than persistent-sync ones; 0 if there is no first pass. */
    int passMessagesPerCase() {
        return passMessages == 0 ? 0 : Math.max(passMessages, (PASS_TOTAL_MIN + cases.size() - 1) / cases.size());
    }

    private static int integer(String option, String value) {
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " takes a whole number: " + value);
        }
    }
}
