package io.strata.broker.api;

/**
 * Strata's extensions of the Kafka protocol, each a tagged field on one of Kafka's own requests and a feature that
 * ApiVersions advertises (docs/protocol-extensions.md). Their tags lie in Strata's reserved range {@value #FIRST_TAG}
 * to {@value #LAST_TAG}: Kafka allocates tags per struct from 0 upward, so they cannot collide with a field Kafka
 * adds. kafka-clients keep a tag they do not know among a message's unknown tagged fields, so the broker reads an
 * extension from the parsed request and plain Kafka clients never send or see one. Each feature is advertised from
 * version {@value #FEATURE_VERSION} to its latest version ({@value #FEATURE_VERSION} unless its entry says otherwise),
 * only by a broker that has the extension; a Strata client checks it before using the extension.
 *
 * <p>Every tag and feature name of every extension lives here, one entry each. Constants only.
 */
public final class StrataExtensions {

    /** The first tag of Strata's reserved range. */
    public static final int FIRST_TAG = 32000;
    /** The last tag of Strata's reserved range. */
    public static final int LAST_TAG = 32099;
    /** The first version of every extension feature, and the last of those with one version only. */
    public static final short FEATURE_VERSION = 1;

    /**
     * ShareFetchRequest, top level: the share filter of the member's share session, a JMS message selector (JMS 3.1
     * section 3.8.1) over record headers, as a compact string. Sent on the fetch that opens the session (epoch 0); it
     * applies to every partition the session fetches at that leader for the session's life. A record that does not
     * match is skipped for that member, its delivery count unchanged. A selector that does not parse, or a later
     * fetch of the session carrying another selector, is refused with INVALID_REQUEST.
     */
    public static final int SHARE_FILTER_TAG = 32000;
    /** Advertised by brokers that apply {@link #SHARE_FILTER_TAG}. */
    public static final String SHARE_FILTER_FEATURE = "strata.share.filter";

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
     * Tag of the StateBatch of WriteShareGroupStateRequest and ReadShareGroupStateResponse (between brokers, to and
     * from the share coordinator), and of the batches of the ShareSnapshot and ShareUpdate records of
     * {@code __share_group_state}: the acknowledgement held pending on the batch's Acquired records in a transaction
     * ({@code producer_id} int64, {@code producer_epoch} int16, {@code acknowledge_type} int8 of 1 accept, 2 release
     * or 3 reject, {@code marker_search_offset} int64: 19 bytes). A batch without it has none pending. Kafka's tools
     * skip it as an unknown tagged field and see the records Acquired.
     */
    public static final int SHARE_STATE_PENDING_ACKNOWLEDGEMENT_TAG = 32003;

    /**
     * Feature of a broker that takes share acknowledgements inside a Kafka transaction: tags
     * {@link #SHARE_ACKNOWLEDGE_TRANSACTION_TAG} and {@link #SHARE_FETCH_ACKNOWLEDGE_TRANSACTION_TAG}. Advertised at
     * versions 1 to {@link #SHARE_TRANSACTIONAL_ACKNOWLEDGE_VERSION}: the wire is version 1's; version 2 says that
     * pending acknowledgements are stored ({@link #SHARE_STATE_PENDING_ACKNOWLEDGEMENT_TAG}) and survive a failover
     * of the share-partition leader, exactly once.
     */
    public static final String SHARE_TRANSACTIONAL_ACKNOWLEDGE_FEATURE = "strata.share.transactional.acknowledge";
    /** The highest version of {@link #SHARE_TRANSACTIONAL_ACKNOWLEDGE_FEATURE}: pending acknowledgements are durable. */
    public static final short SHARE_TRANSACTIONAL_ACKNOWLEDGE_VERSION = 2;

    /**
     * Dead-letter topics for share groups (KIP-1191 with Strata's additions). Configuration, not a tag: the group
     * config {@code errors.deadletterqueue.topic.name} names a group's dead-letter topic; records the group rejects or
     * gives up on at {@code share.delivery.count.limit} are written there, with {@code __dlq.errors.*} headers, at
     * least once. A client (the JMS adapter) checks this feature before relying on it, since Kafka brokers before
     * KIP-1191 accept no such group config.
     */
    public static final String SHARE_DEAD_LETTER_FEATURE = "strata.share.dead.letter";

    /**
     * Tag of EndTxnRequest (top level, version 5): prepare the transaction for a two-phase commit rather than end it.
     * The value is empty (zero bytes), and the request's {@code committed} must be true (a prepare is a vote to commit).
     * The coordinator stores the Ongoing transaction as {@code Prepared} at the same producer id and epoch and answers
     * once it is stored; EndTxn commit or abort at them ends it later, from any process. A Prepared transaction
     * outlives its timeout and coordinator restarts; InitProducerId version 6 with {@code Enable2Pc} and
     * {@code KeepPreparedTxn} (KIP-939's fields) hands its producer id and epoch to another process, and one without
     * {@code KeepPreparedTxn} is refused with INVALID_TXN_STATE. A value that is not empty, {@code committed} false,
     * or an EndTxn version below 5, is refused with INVALID_REQUEST.
     */
    public static final int TRANSACTION_PREPARE_TAG = 32004;

    /**
     * Feature of a broker whose transaction coordinator takes {@link #TRANSACTION_PREPARE_TAG} and KIP-939's
     * {@code KeepPreparedTxn}, and lists and describes the state {@code Prepared}: what an XA resource needs.
     */
    public static final String TRANSACTION_PREPARE_FEATURE = "strata.transaction.prepare";

    private StrataExtensions() {
    }
}
