package io.strata.broker.api;

import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersion;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersionCollection;
import org.apache.kafka.common.message.ApiVersionsResponseData.FinalizedFeatureKey;
import org.apache.kafka.common.message.ApiVersionsResponseData.FinalizedFeatureKeyCollection;
import org.apache.kafka.common.message.ApiVersionsResponseData.SupportedFeatureKey;
import org.apache.kafka.common.message.ApiVersionsResponseData.SupportedFeatureKeyCollection;
import org.apache.kafka.common.protocol.ApiKeys;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The APIs Strata implements, each over every version kafka-clients can parse unless a lower newest version is named
 * in {@link #LATEST}. ApiVersions advertises exactly these; a request for any other API or version is answered with
 * that API's UNSUPPORTED_VERSION error, and the features it lists ({@code transaction.version},
 * {@code share.version}, and Strata's own extensions, {@link StrataExtensions}). Immutable.
 */
public final class SupportedApis {

    private static final Set<ApiKeys> IMPLEMENTED = EnumSet.of(
            ApiKeys.API_VERSIONS, ApiKeys.METADATA, ApiKeys.PRODUCE, ApiKeys.FETCH, ApiKeys.LIST_OFFSETS,
            ApiKeys.INIT_PRODUCER_ID, ApiKeys.FIND_COORDINATOR, ApiKeys.JOIN_GROUP, ApiKeys.SYNC_GROUP,
            ApiKeys.HEARTBEAT, ApiKeys.LEAVE_GROUP, ApiKeys.OFFSET_COMMIT, ApiKeys.OFFSET_FETCH,
            ApiKeys.OFFSET_DELETE, ApiKeys.DESCRIBE_GROUPS, ApiKeys.LIST_GROUPS, ApiKeys.DELETE_GROUPS,
            ApiKeys.CREATE_TOPICS, ApiKeys.DELETE_TOPICS, ApiKeys.CREATE_PARTITIONS, ApiKeys.DESCRIBE_CONFIGS,
            ApiKeys.ALTER_CONFIGS, ApiKeys.INCREMENTAL_ALTER_CONFIGS, ApiKeys.DESCRIBE_CLUSTER,
            ApiKeys.DELETE_RECORDS, ApiKeys.OFFSET_FOR_LEADER_EPOCH, ApiKeys.ELECT_LEADERS,
            ApiKeys.ALTER_PARTITION_REASSIGNMENTS, ApiKeys.LIST_PARTITION_REASSIGNMENTS,
            ApiKeys.WRITE_TXN_MARKERS,
            ApiKeys.ADD_PARTITIONS_TO_TXN, ApiKeys.ADD_OFFSETS_TO_TXN, ApiKeys.END_TXN, ApiKeys.TXN_OFFSET_COMMIT,
            ApiKeys.DESCRIBE_TRANSACTIONS, ApiKeys.LIST_TRANSACTIONS, ApiKeys.DESCRIBE_PRODUCERS,
            ApiKeys.CONSUMER_GROUP_HEARTBEAT, ApiKeys.CONSUMER_GROUP_DESCRIBE,
            ApiKeys.SHARE_GROUP_HEARTBEAT, ApiKeys.SHARE_GROUP_DESCRIBE,
            ApiKeys.INITIALIZE_SHARE_GROUP_STATE, ApiKeys.READ_SHARE_GROUP_STATE, ApiKeys.WRITE_SHARE_GROUP_STATE,
            ApiKeys.DELETE_SHARE_GROUP_STATE, ApiKeys.READ_SHARE_GROUP_STATE_SUMMARY,
            ApiKeys.DESCRIBE_SHARE_GROUP_OFFSETS, ApiKeys.ALTER_SHARE_GROUP_OFFSETS, ApiKeys.DELETE_SHARE_GROUP_OFFSETS,
            ApiKeys.SHARE_FETCH, ApiKeys.SHARE_ACKNOWLEDGE, ApiKeys.SASL_HANDSHAKE, ApiKeys.SASL_AUTHENTICATE);

    /**
     * APIs implemented only up to a version below kafka-clients' newest. Every transaction API is implemented to its
     * newest version: transaction protocol version 2 (KIP-890: EndTxn v5, TxnOffsetCommit v5, Produce v12+ adding
     * partitions, AddPartitionsToTxn v4+ between brokers) is complete, and advertised as {@link #FEATURES}.
     */
    private static final Map<ApiKeys, Short> LATEST = Map.of();

    /** The finalized feature kafka-clients 4 reads to choose transaction protocol version 2 (KIP-890). */
    public static final String TRANSACTION_VERSION_FEATURE = "transaction.version";
    /** Transaction protocol version 2: supported from 0, finalized at 2. */
    public static final short TRANSACTION_VERSION = 2;
    /** The finalized feature that tells clients share groups (KIP-932) are available. */
    public static final String SHARE_VERSION_FEATURE = "share.version";
    /** Share groups, version 1: supported from 0, finalized at 1. */
    public static final short SHARE_VERSION = 1;
    /**
     * The epoch of the finalized features: fixed, since Strata's features never change while a broker runs. Clients
     * take a response's features only when its epoch is newer than the one they hold, which starts below 0.
     */
    public static final long FINALIZED_FEATURES_EPOCH = 1;

    private SupportedApis() {
    }

    public static boolean isImplemented(ApiKeys key) {
        return IMPLEMENTED.contains(key);
    }

    public static boolean isSupported(ApiKeys key, short version) {
        return isImplemented(key) && version >= key.oldestVersion() && version <= latestVersion(key);
    }

    /** The newest version of {@code key} Strata implements. */
    public static short latestVersion(ApiKeys key) {
        return LATEST.getOrDefault(key, key.latestVersion());
    }

    /** The ApiVersions answer: every implemented API with its version range. */
    public static ApiVersionCollection apiVersions() {
        return apiVersions(Set.of());
    }

    /** The ApiVersions answer of a broker that does not serve {@code withheld}, implemented as they are. */
    public static ApiVersionCollection apiVersions(Set<ApiKeys> withheld) {
        ApiVersionCollection versions = new ApiVersionCollection();
        for (ApiKeys key : IMPLEMENTED) {
            if (withheld.contains(key)) {
                continue;
            }
            versions.add(new ApiVersion().setApiKey(key.id).setMinVersion(key.oldestVersion())
                    .setMaxVersion(latestVersion(key)));
        }
        return versions;
    }

    /**
     * The features ApiVersions (version 3 and later) lists as supported by a broker that does not serve
     * {@code withheld}: Kafka's, and Strata's extensions ({@link StrataExtensions}) this broker serves, each from
     * version 1 to its latest (the share filter and dead-letter topics, 1 to 1, where ShareFetch is served;
     * transactional acknowledgements, 1 to 2, where ShareFetch and ShareAcknowledge are; prepared transactions, 1 to
     * 1, where EndTxn is). kafka-clients ignore
     * feature names they do not know.
     */
    public static SupportedFeatureKeyCollection supportedFeatures(Set<ApiKeys> withheld) {
        SupportedFeatureKeyCollection features = new SupportedFeatureKeyCollection();
        features.add(new SupportedFeatureKey().setName(TRANSACTION_VERSION_FEATURE).setMinVersion((short) 0)
                .setMaxVersion(TRANSACTION_VERSION));
        features.add(new SupportedFeatureKey().setName(SHARE_VERSION_FEATURE).setMinVersion((short) 0)
                .setMaxVersion(SHARE_VERSION));
        if (!withheld.contains(ApiKeys.END_TXN)) {
            features.add(strataFeature(StrataExtensions.TRANSACTION_PREPARE_FEATURE));
        }
        if (!withheld.contains(ApiKeys.SHARE_FETCH)) {
            features.add(strataFeature(StrataExtensions.SHARE_FILTER_FEATURE));
            features.add(strataFeature(StrataExtensions.SHARE_DEAD_LETTER_FEATURE));
            if (!withheld.contains(ApiKeys.SHARE_ACKNOWLEDGE)) {
                features.add(strataFeature(StrataExtensions.SHARE_TRANSACTIONAL_ACKNOWLEDGE_FEATURE)
                        .setMaxVersion(StrataExtensions.SHARE_TRANSACTIONAL_ACKNOWLEDGE_VERSION));
            }
        }
        return features;
    }

    /** The features ApiVersions lists as supported by a broker that serves every implemented API. */
    public static SupportedFeatureKeyCollection supportedFeatures() {
        return supportedFeatures(Set.of());
    }

    private static SupportedFeatureKey strataFeature(String name) {
        return new SupportedFeatureKey().setName(name).setMinVersion(StrataExtensions.FEATURE_VERSION)
                .setMaxVersion(StrataExtensions.FEATURE_VERSION);
    }

    /** The features ApiVersions (version 3 and later) lists as finalized, with their level. */
    public static FinalizedFeatureKeyCollection finalizedFeatures() {
        FinalizedFeatureKeyCollection features = new FinalizedFeatureKeyCollection();
        features.add(new FinalizedFeatureKey().setName(TRANSACTION_VERSION_FEATURE)
                .setMinVersionLevel(TRANSACTION_VERSION).setMaxVersionLevel(TRANSACTION_VERSION));
        features.add(new FinalizedFeatureKey().setName(SHARE_VERSION_FEATURE)
                .setMinVersionLevel(SHARE_VERSION).setMaxVersionLevel(SHARE_VERSION));
        return features;
    }

    public static Set<ApiKeys> implemented() {
        return Set.copyOf(IMPLEMENTED);
    }
}
