package io.strata.jms.share;

import org.apache.kafka.clients.CommonClientConfigs;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;

/**
 * What a {@link StrataShareConsumer} is: its share group, the topics it subscribes to, its message selector (null:
 * none), the kafka-clients connection properties ({@code bootstrap.servers}, {@code security.protocol},
 * {@code sasl.*}, {@code ssl.*}, {@code client.id}, {@code request.timeout.ms}, ... with kafka-clients' consumer
 * defaults), and the engine's bounds:
 *
 * <ul>
 *   <li>{@code bufferedRecordsMax} / {@code bufferedBytesMax}: records fetched and not yet polled. A fetch asks for
 *       no more than the room left; records a leader gives beyond it are released at once.</li>
 *   <li>{@code fetchMaxRecords}, {@code fetchMaxBytes}: one ShareFetch's {@code max_records} (and
 *       {@code batch_size}) and {@code max_bytes}; at most one fetch per partition leader is in flight, so the
 *       bytes in flight are at most {@code fetchMaxBytes} per leader.</li>
 *   <li>{@code fetchMaxWaitMs}: how long a leader may hold a fetch that found nothing (long polling); also the
 *       longest an explicit acknowledgement waits for the fetch before it at the same leader. While the caller holds
 *       records without an outcome, fetches wait less (see {@code LeaderSession}), so that the acknowledgement of
 *       them, a transacted session's commit, is not held by a long poll.</li>
 *   <li>{@code pendingAcknowledgementsMax}: acknowledgements given with {@code acknowledge} and not yet sent; one
 *       more is refused with {@link IllegalStateException}.</li>
 *   <li>{@code openTimeout}: how long {@code open} waits for the group to take the member; {@code closeTimeout}: how
 *       long {@code close} waits for the last acknowledgements and the leave.</li>
 * </ul>
 *
 * Immutable; the {@code with} methods return a copy.
 */
public final class ShareConsumerSettings {

    private final String groupId;
    private final List<String> topics;
    private final String selector;
    private final Properties clientProperties;
    private final int bufferedRecordsMax;
    private final long bufferedBytesMax;
    private final int fetchMaxRecords;
    private final int fetchMaxBytes;
    private final int fetchMaxWaitMs;
    private final int pendingAcknowledgementsMax;
    private final Duration openTimeout;
    private final Duration closeTimeout;

    private ShareConsumerSettings(String groupId, List<String> topics, String selector, Properties clientProperties,
                                  int bufferedRecordsMax, long bufferedBytesMax, int fetchMaxRecords,
                                  int fetchMaxBytes, int fetchMaxWaitMs, int pendingAcknowledgementsMax,
                                  Duration openTimeout, Duration closeTimeout) {
        this.groupId = requireText(groupId, "group id");
        this.topics = List.copyOf(topics);
        if (this.topics.isEmpty()) {
            throw new IllegalArgumentException("a share consumer subscribes to at least one topic");
        }
        this.topics.forEach(topic -> requireText(topic, "topic"));
        if (selector != null && (selector.isBlank() || selector.length() > StrataFeatures.SELECTOR_LENGTH_MAX)) {
            throw new IllegalArgumentException("a message selector must not be blank and has at most "
                    + StrataFeatures.SELECTOR_LENGTH_MAX + " characters; got " + selector.length());
        }
        this.selector = selector;
        this.clientProperties = new Properties();
        this.clientProperties.putAll(clientProperties);
        if (!this.clientProperties.containsKey(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)) {
            throw new IllegalArgumentException("the client properties name no bootstrap.servers");
        }
        this.bufferedRecordsMax = positive(bufferedRecordsMax, "bufferedRecordsMax");
        this.bufferedBytesMax = positive(bufferedBytesMax, "bufferedBytesMax");
        this.fetchMaxRecords = positive(fetchMaxRecords, "fetchMaxRecords");
        this.fetchMaxBytes = positive(fetchMaxBytes, "fetchMaxBytes");
        if (fetchMaxWaitMs < 0) {
            throw new IllegalArgumentException("fetchMaxWaitMs " + fetchMaxWaitMs + " is negative");
        }
        this.fetchMaxWaitMs = fetchMaxWaitMs;
        this.pendingAcknowledgementsMax = positive(pendingAcknowledgementsMax, "pendingAcknowledgementsMax");
        this.openTimeout = Objects.requireNonNull(openTimeout, "openTimeout");
        this.closeTimeout = Objects.requireNonNull(closeTimeout, "closeTimeout");
    }

    /**
     * Settings with the defaults: 500 records and 16 MiB buffered, fetches of up to 500 records and 8 MiB waiting up
     * to 500 ms, 100,000 pending acknowledgements, 60 s to open, 30 s to close.
     */
    public static ShareConsumerSettings of(String bootstrapServers, String groupId, List<String> topics) {
        Properties properties = new Properties();
        properties.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, requireText(bootstrapServers,
                "bootstrap.servers"));
        return new ShareConsumerSettings(groupId, topics, null, properties, 500, 16L << 20, 500, 8 << 20, 500,
                100_000, Duration.ofSeconds(60), Duration.ofSeconds(30));
    }

    /** The same settings with a JMS message selector, applied by the broker (Strata's share filter). */
    public ShareConsumerSettings withSelector(String messageSelector) {
        return new ShareConsumerSettings(groupId, topics, messageSelector, clientProperties, bufferedRecordsMax,
                bufferedBytesMax, fetchMaxRecords, fetchMaxBytes, fetchMaxWaitMs, pendingAcknowledgementsMax,
                openTimeout, closeTimeout);
    }

    /** The same settings with these kafka-clients properties added (security, timeouts, client id). */
    public ShareConsumerSettings withClientProperties(Map<String, ?> properties) {
        Properties merged = new Properties();
        merged.putAll(clientProperties);
        merged.putAll(properties);
        return new ShareConsumerSettings(groupId, topics, selector, merged, bufferedRecordsMax, bufferedBytesMax,
                fetchMaxRecords, fetchMaxBytes, fetchMaxWaitMs, pendingAcknowledgementsMax, openTimeout,
                closeTimeout);
    }

    /** The same settings with other buffer bounds. */
    public ShareConsumerSettings withBuffer(int recordsMax, long bytesMax) {
        return new ShareConsumerSettings(groupId, topics, selector, clientProperties, recordsMax, bytesMax,
                fetchMaxRecords, fetchMaxBytes, fetchMaxWaitMs, pendingAcknowledgementsMax, openTimeout,
                closeTimeout);
    }

    /** The same settings with other fetch sizes and wait. */
    public ShareConsumerSettings withFetch(int maxRecords, int maxBytes, int maxWaitMs) {
        return new ShareConsumerSettings(groupId, topics, selector, clientProperties, bufferedRecordsMax,
                bufferedBytesMax, maxRecords, maxBytes, maxWaitMs, pendingAcknowledgementsMax, openTimeout,
                closeTimeout);
    }

    /** The same settings with another bound on acknowledgements not yet sent. */
    public ShareConsumerSettings withPendingAcknowledgementsMax(int max) {
        return new ShareConsumerSettings(groupId, topics, selector, clientProperties, bufferedRecordsMax,
                bufferedBytesMax, fetchMaxRecords, fetchMaxBytes, fetchMaxWaitMs, max, openTimeout, closeTimeout);
    }

    /** The same settings with other open and close timeouts. */
    public ShareConsumerSettings withTimeouts(Duration open, Duration close) {
        return new ShareConsumerSettings(groupId, topics, selector, clientProperties, bufferedRecordsMax,
                bufferedBytesMax, fetchMaxRecords, fetchMaxBytes, fetchMaxWaitMs, pendingAcknowledgementsMax, open,
                close);
    }

    public String groupId() {
        return groupId;
    }

    public List<String> topics() {
        return topics;
    }

    /** The message selector, or null. */
    public String selector() {
        return selector;
    }

    /** A copy of the kafka-clients properties. */
    public Properties clientProperties() {
        Properties copy = new Properties();
        copy.putAll(clientProperties);
        return copy;
    }

    public int bufferedRecordsMax() {
        return bufferedRecordsMax;
    }

    public long bufferedBytesMax() {
        return bufferedBytesMax;
    }

    public int fetchMaxRecords() {
        return fetchMaxRecords;
    }

    public int fetchMaxBytes() {
        return fetchMaxBytes;
    }

    public int fetchMaxWaitMs() {
        return fetchMaxWaitMs;
    }

    public int pendingAcknowledgementsMax() {
        return pendingAcknowledgementsMax;
    }

    public Duration openTimeout() {
        return openTimeout;
    }

    public Duration closeTimeout() {
        return closeTimeout;
    }

    private static String requireText(String value, String what) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("the " + what + " is missing");
        }
        return value;
    }

    private static int positive(int value, String what) {
        if (value <= 0) {
            throw new IllegalArgumentException(what + " must be positive; got " + value);
        }
        return value;
    }

    private static long positive(long value, String what) {
        if (value <= 0) {
            throw new IllegalArgumentException(what + " must be positive; got " + value);
        }
        return value;
    }
}
