package io.strata.broker.api;

/**
 * Strata's extensions of the Kafka protocol, each a tagged field on one of Kafka's own requests and a feature that
 * ApiVersions lists as supported (version range 1-1) on a broker where the extension exists. Tags come from Strata's
 * reserved range {@value #FIRST_TAG}-{@value #LAST_TAG}: Kafka allocates tags from 0 upward per struct, so they do not
 * collide in practice. kafka-clients keep tags they do not know as unknown tagged fields both when parsing and when
 * writing, so a Strata client adds them to the request data before sending and the broker reads them from the parsed
 * request; plain Kafka clients never send them, and a broker answers extension fields only to a request that carried
 * one. docs/protocol-extensions.md describes each extension and its encoding. Every tag and feature name lives here,
 * one entry each. Constants only.
 */
public final class StrataExtensions {

    /** The first tag of Strata's reserved range. */
    public static final int FIRST_TAG = 32000;
    /** The last tag of Strata's reserved range. */
    public static final int LAST_TAG = 32099;

    /**
     * Tag of ShareAcknowledgeRequest (top level): the transaction its acknowledgements are made in
     * ({@code transactional_id} compact string, {@code producer_id} int64, {@code producer_epoch} int16; see
     * {@link AcknowledgementTransaction}). The acknowledgements are held pending until the transaction's marker.
     */
    public static final int SHARE_ACKNOWLEDGE_TRANSACTION_TAG = 32001;

    /**
     * Tag of ShareFetchRequest (top level): the transaction of the acknowledgements piggybacked on the fetch, encoded
     * as {@link #SHARE_ACKNOWLEDGE_TRANSACTION_TAG}.
     */
    public static final int SHARE_FETCH_ACKNOWLEDGE_TRANSACTION_TAG = 32002;

    /**
     * Feature (version 1-1) of a broker that takes share acknowledgements inside a Kafka transaction: tags
     * {@link #SHARE_ACKNOWLEDGE_TRANSACTION_TAG} and {@link #SHARE_FETCH_ACKNOWLEDGE_TRANSACTION_TAG}.
     */
    public static final String SHARE_TRANSACTIONAL_ACKNOWLEDGE_FEATURE = "strata.share.transactional.acknowledge";

    /** The only version of every Strata extension so far. */
    public static final short VERSION_1 = 1;

    private StrataExtensions() {
    }
}
