package io.strata.broker.api;

import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersion;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersionCollection;
import org.apache.kafka.common.protocol.ApiKeys;

import java.util.EnumSet;
import java.util.Set;

/**
 * The APIs Strata implements, each over every version kafka-clients can parse. ApiVersions advertises exactly these;
 * a request for any other API is answered with that API's UNSUPPORTED_VERSION error. Immutable.
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
            ApiKeys.WRITE_TXN_MARKERS);

    private SupportedApis() {
    }

    public static boolean isImplemented(ApiKeys key) {
        return IMPLEMENTED.contains(key);
    }

    public static boolean isSupported(ApiKeys key, short version) {
        return isImplemented(key) && version >= key.oldestVersion() && version <= key.latestVersion();
    }

    /** The ApiVersions answer: every implemented API with its version range. */
    public static ApiVersionCollection apiVersions() {
        ApiVersionCollection versions = new ApiVersionCollection();
        for (ApiKeys key : IMPLEMENTED) {
            versions.add(new ApiVersion().setApiKey(key.id).setMinVersion(key.oldestVersion())
                    .setMaxVersion(key.latestVersion()));
        }
        return versions;
    }

    public static Set<ApiKeys> implemented() {
        return Set.copyOf(IMPLEMENTED);
    }
}
