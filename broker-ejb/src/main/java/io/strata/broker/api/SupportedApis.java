package io.strata.broker.api;

import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersion;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersionCollection;
import org.apache.kafka.common.protocol.ApiKeys;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The APIs Strata implements, each over every version kafka-clients can parse unless a lower newest version is named
 * in {@link #LATEST}. ApiVersions advertises exactly these; a request for any other API or version is answered with
 * that API's UNSUPPORTED_VERSION error. Immutable.
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
            ApiKeys.DESCRIBE_TRANSACTIONS, ApiKeys.LIST_TRANSACTIONS,
            ApiKeys.CONSUMER_GROUP_HEARTBEAT, ApiKeys.CONSUMER_GROUP_DESCRIBE);

    /**
     * APIs implemented only up to a version below kafka-clients' newest. Transactions speak protocol version 1:
     * AddPartitionsToTxn v4+ is the brokers' verification of KIP-890, EndTxn v5 and TxnOffsetCommit v5 are
     * transaction version 2 (an epoch bump per transaction), which Strata does not advertise.
     */
    private static final Map<ApiKeys, Short> LATEST = Map.of(
            ApiKeys.ADD_PARTITIONS_TO_TXN, (short) 3,
            ApiKeys.END_TXN, (short) 4,
            ApiKeys.TXN_OFFSET_COMMIT, (short) 4);

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
        ApiVersionCollection versions = new ApiVersionCollection();
        for (ApiKeys key : IMPLEMENTED) {
            versions.add(new ApiVersion().setApiKey(key.id).setMinVersion(key.oldestVersion())
                    .setMaxVersion(latestVersion(key)));
        }
        return versions;
    }

    public static Set<ApiKeys> implemented() {
        return Set.copyOf(IMPLEMENTED);
    }
}
