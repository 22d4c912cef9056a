package io.strata.jms.share;

/**
 * The Strata protocol extensions this engine uses (docs/protocol-extensions.md), as a client outside the broker knows
 * them: the tags it adds to Kafka's share requests and the features a broker advertises in ApiVersions when it serves
 * them. The broker's registry ({@code io.strata.broker.api.StrataExtensions}) is the source; the JMS adapter may not
 * depend on the broker, so the numbers are repeated here and a test pins them against the registry. Constants only.
 */
final class StrataFeatures {

    /** ShareFetchRequest, top level: the share filter (a JMS message selector) of the session it opens. */
    static final int SHARE_FILTER_TAG = 32000;
    /** ShareAcknowledgeRequest, top level: the transaction its acknowledgements are made in. */
    static final int SHARE_ACKNOWLEDGE_TRANSACTION_TAG = 32001;
    /** ShareFetchRequest, top level: the transaction of the acknowledgements it piggybacks. */
    static final int SHARE_FETCH_ACKNOWLEDGE_TRANSACTION_TAG = 32002;

    /** Advertised by a broker that applies {@link #SHARE_FILTER_TAG}. */
    static final String SHARE_FILTER_FEATURE = "strata.share.filter";
    /** Advertised by a broker that takes {@link #SHARE_ACKNOWLEDGE_TRANSACTION_TAG} and its ShareFetch twin. */
    static final String SHARE_TRANSACTIONAL_ACKNOWLEDGE_FEATURE = "strata.share.transactional.acknowledge";
    /** The version of both features this engine speaks. */
    static final short FEATURE_VERSION = 1;

    /** The longest selector a broker takes, in characters (docs/protocol-extensions.md, share filters). */
    static final int SELECTOR_LENGTH_MAX = 16384;

    private StrataFeatures() {
    }
}
