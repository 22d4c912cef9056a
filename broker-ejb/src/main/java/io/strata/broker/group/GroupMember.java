package io.strata.broker.group;

import org.apache.kafka.common.message.JoinGroupResponseData;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A member of a classic group: who it is (member id, optional static instance id, client id and host), its timeouts,
 * the protocols it supports with their metadata (for consumers, their subscription), its assignment, and the
 * responses it waits for during a rebalance.
 *
 * <p>Not thread-safe: confined to the coordinator runtime's thread, as its group.
 */
final class GroupMember {

    final String memberId;
    final String groupInstanceId;
    final String clientId;
    final String clientHost;
    int rebalanceTimeoutMs;
    int sessionTimeoutMs;
    String protocolType;
    /** Protocol name to metadata, in the member's order of preference. */
    Map<String, byte[]> protocols;
    byte[] assignment = new byte[0];
    Consumer<JoinGroupResponseData> awaitingJoin;
    Consumer<SyncResult> awaitingSync;
    long lastHeartbeatMs;
    boolean isNew;

    GroupMember(String memberId, String groupInstanceId, String clientId, String clientHost, int rebalanceTimeoutMs,
                int sessionTimeoutMs, String protocolType, Map<String, byte[]> protocols) {
        this.memberId = memberId;
        this.groupInstanceId = groupInstanceId;
        this.clientId = clientId;
        this.clientHost = clientHost;
        this.rebalanceTimeoutMs = rebalanceTimeoutMs;
        this.sessionTimeoutMs = sessionTimeoutMs;
        this.protocolType = protocolType;
        this.protocols = new LinkedHashMap<>(protocols);
    }

    boolean isStatic() {
        return groupInstanceId != null;
    }

    boolean matches(Map<String, byte[]> otherProtocols) {
        if (!protocols.keySet().equals(otherProtocols.keySet())) {
            return false;
        }
        for (Map.Entry<String, byte[]> protocol : protocols.entrySet()) {
            if (!java.util.Arrays.equals(protocol.getValue(), otherProtocols.get(protocol.getKey()))) {
                return false;
            }
        }
        return true;
    }

    byte[] metadata(String protocol) {
        byte[] metadata = protocols.get(protocol);
        return metadata == null ? new byte[0] : metadata;
    }
}
