package io.strata.broker.share;

/**
 * Why a share group gave up on a record and wrote it to its dead-letter topic (KIP-1191): a member rejected it, or it
 * was delivered {@code share.delivery.count.limit} times without being accepted. The names are Kafka's causes; the
 * message is the text of the {@code __dlq.errors.message} header.
 */
public enum DeadLetterReason {
    CLIENT_REJECT("Offset rejected by client."),
    DELIVERY_COUNT_EXCEEDED("Offset delivery count exceeded the share.delivery.count.limit of the share group.");

    private final String message;

    DeadLetterReason(String message) {
        this.message = message;
    }

    /** The human-readable reason, for the {@code __dlq.errors.message} header. */
    public String message() {
        return message;
    }
}
