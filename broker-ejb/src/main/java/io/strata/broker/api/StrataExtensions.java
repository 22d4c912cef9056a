package io.strata.broker.api;

/**
 * Strata's extensions of the Kafka protocol, in one place: the tagged-field numbers they use in Kafka's own requests
 * (Strata's reserved range {@value #TAG_MIN}..{@value #TAG_MAX}; Kafka numbers the tags of each struct from 0 up) and
 * the features ApiVersions advertises for them, each {@code strata.<name>} with versions 1-1, listed only by a broker
 * that has the extension. A Strata client checks the feature before it uses the extension; kafka-clients ignore
 * feature names they do not know, and never send the tags. docs/protocol-extensions.md describes each.
 *
 * <p>Constants only.
 */
public final class StrataExtensions {

    /** The first tag of Strata's reserved range. */
    public static final int TAG_MIN = 32000;
    /** The last tag of Strata's reserved range. */
    public static final int TAG_MAX = 32099;
    /** The one version of every Strata feature so far. */
    public static final short FEATURE_VERSION = 1;

    /**
     * Dead-letter topics for share groups (KIP-1191 with Strata's additions). Configuration, not a tag: the group
     * config {@code errors.deadletterqueue.topic.name} names a group's dead-letter topic; records the group rejects or
     * gives up on at {@code share.delivery.count.limit} are written there, with {@code __dlq.errors.*} headers, at
     * least once. A client (the JMS adapter) checks this feature before relying on it, since Kafka brokers before
     * KIP-1191 accept no such group config.
     */
    public static final String SHARE_DEAD_LETTER_FEATURE = "strata.share.dead.letter";

    private StrataExtensions() {
    }
}
