package io.strata.broker.group;

import org.apache.kafka.common.Uuid;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A member of a consumer-protocol (KIP-848) group, speaking that protocol or, in a mixed group, the classic one (then
 * with {@link ClassicMetadata}): who it is (member id chosen by the client, optional static instance
 * id, rack, client id and host), what it subscribes to (topic names and a broker-side regular expression), the server
 * assignor it asks for, its rebalance timeout, its epoch and previous epoch, its reconciliation state, the partitions
 * it may use now and those it must revoke first.
 *
 * <p>Partitions are kept by topic id, as the heartbeat carries them. Not thread-safe: confined to the coordinator
 * runtime's thread, as its group. {@link #copy()} gives an independent member, so that a reconciliation can be
 * computed beside the current state and compared with it.
 */
final class ConsumerGroupMember {

    /** The epoch a static member leaving for a while sends, and keeps while it is away (its partitions stay put). */
    static final int LEAVE_STATIC_EPOCH = -2;
    static final int LEAVE_EPOCH = -1;

    /** Where the member is in reaching its target assignment, as Kafka's CurrentAssignmentBuilder names them. */
    enum State {
        /** It has every partition of its target it can have, at the target's epoch. */
        STABLE,
        /** It must give up partitions before it moves to a newer epoch. */
        UNREVOKED_PARTITIONS,
        /** It is at the target's epoch, but some of its target partitions are still owned by others. */
        UNRELEASED_PARTITIONS
    }

    final String memberId;
    String instanceId;
    String rackId;
    String clientId = "";
    String clientHost = "";
    List<String> subscribedTopicNames = List.of();
    /** Java regular expression over topic names (Kafka uses RE2J; the common syntax is the same), or null. */
    String subscribedTopicRegex;
    String serverAssignor;
    int rebalanceTimeoutMs = -1;
    int memberEpoch;
    int previousMemberEpoch;
    State state = State.STABLE;
    Map<Uuid, Set<Integer>> assigned = new HashMap<>();
    Map<Uuid, Set<Integer>> pendingRevocation = new HashMap<>();
    /** For a member speaking the classic protocol inside a consumer group: what its JoinGroup said; else null. */
    ClassicMetadata classic;

    /**
     * What a classic-protocol member of a consumer group said in its JoinGroup: its session timeout and the protocols
     * (assignor names) it supports with their metadata (its subscription), in its order of preference. The consumer
     * group answers it with the first one; a downgrade to a classic group chooses among them.
     */
    record ClassicMetadata(int sessionTimeoutMs, Map<String, byte[]> protocols) {
        ClassicMetadata {
            if (protocols.isEmpty()) {
                throw new IllegalArgumentException("a classic member supports at least one protocol");
            }
            protocols = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(protocols));
        }

        /** The protocol the member is answered with: the first it supports. */
        String protocolName() {
            return protocols.keySet().iterator().next();
        }

        byte[] metadata() {
            return protocols.get(protocolName());
        }

        @Override
        public boolean equals(Object other) {
            if (!(other instanceof ClassicMetadata that) || sessionTimeoutMs != that.sessionTimeoutMs
                    || !protocols.keySet().equals(that.protocols.keySet())) {
                return false;
            }
            for (Map.Entry<String, byte[]> protocol : protocols.entrySet()) {
                if (!java.util.Arrays.equals(protocol.getValue(), that.protocols.get(protocol.getKey()))) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(sessionTimeoutMs, protocols.keySet());
        }
    }

    ConsumerGroupMember(String memberId) {
        this.memberId = memberId;
    }

    ConsumerGroupMember copy() {
        return copyAs(memberId);
    }

    /** A copy under another member id: a static member's new incarnation takes its predecessor's place. */
    ConsumerGroupMember copyAs(String newMemberId) {
        ConsumerGroupMember copy = new ConsumerGroupMember(newMemberId);
        copy.instanceId = instanceId;
        copy.rackId = rackId;
        copy.clientId = clientId;
        copy.clientHost = clientHost;
        copy.subscribedTopicNames = subscribedTopicNames;
        copy.subscribedTopicRegex = subscribedTopicRegex;
        copy.serverAssignor = serverAssignor;
        copy.rebalanceTimeoutMs = rebalanceTimeoutMs;
        copy.memberEpoch = memberEpoch;
        copy.previousMemberEpoch = previousMemberEpoch;
        copy.state = state;
        copy.assigned = copyOf(assigned);
        copy.pendingRevocation = copyOf(pendingRevocation);
        copy.classic = classic;
        return copy;
    }

    boolean isStatic() {
        return instanceId != null;
    }

    /** Whether the member speaks the classic protocol (JoinGroup, SyncGroup, Heartbeat) inside a consumer group. */
    boolean usesClassicProtocol() {
        return classic != null;
    }

    /** Whether a static member said it leaves for a while ({@link #LEAVE_STATIC_EPOCH}). */
    boolean hasLeftTemporarily() {
        return memberEpoch == LEAVE_STATIC_EPOCH;
    }

    void updateEpoch(int epoch) {
        previousMemberEpoch = memberEpoch;
        memberEpoch = epoch;
    }

    /** A deep copy of partitions by topic id, sorted, without empty topics. */
    static Map<Uuid, Set<Integer>> copyOf(Map<Uuid, Set<Integer>> partitions) {
        Map<Uuid, Set<Integer>> copy = new HashMap<>();
        partitions.forEach((topicId, indexes) -> {
            if (!indexes.isEmpty()) {
                copy.put(topicId, new TreeSet<>(indexes));
            }
        });
        return copy;
    }

    static int count(Map<Uuid, Set<Integer>> partitions) {
        int count = 0;
        for (Set<Integer> indexes : partitions.values()) {
            count += indexes.size();
        }
        return count;
    }
}
