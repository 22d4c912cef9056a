package io.strata.broker.group;

import org.apache.kafka.common.Uuid;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A member of a share group (KIP-932): its id (chosen by the client), epoch and the one before it, where it runs, the
 * topics it subscribes to by name, and the partitions it is assigned. A share group has no revocation: a member's
 * assignment is the group's target assignment for it as soon as it heartbeats, since records of a share partition are
 * acquired one by one and several members may read a partition at once.
 *
 * <p>Never modified once built (the group replaces a member to change it); confined to the coordinator runtime's
 * thread with its group.
 */
record ShareGroupMember(String memberId, int memberEpoch, int previousMemberEpoch, String rackId, String clientId,
                        String clientHost, List<String> subscribedTopicNames, Map<Uuid, Set<Integer>> assigned) {

    /** The epoch a member sends to leave the group. */
    static final int LEAVE_EPOCH = -1;

    ShareGroupMember {
        if (memberId == null || memberId.isEmpty()) {
            throw new IllegalArgumentException("a share group member needs an id");
        }
        subscribedTopicNames = List.copyOf(subscribedTopicNames);
        assigned = ConsumerGroupMember.copyOf(assigned);
    }

    ShareGroupMember withEpoch(int epoch, Map<Uuid, Set<Integer>> partitions) {
        int previous = epoch == memberEpoch ? previousMemberEpoch : memberEpoch;
        return new ShareGroupMember(memberId, epoch, previous, rackId, clientId, clientHost, subscribedTopicNames,
                partitions);
    }
}
