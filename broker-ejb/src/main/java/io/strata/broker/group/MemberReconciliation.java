package io.strata.broker.group;

import io.strata.broker.group.ConsumerGroupMember.State;
import org.apache.kafka.common.Uuid;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiFunction;

/**
 * Moves one consumer-protocol member towards its target assignment, incrementally: partitions it keeps stay, those it
 * must give up are revoked first (the member stays at its epoch, {@link State#UNREVOKED_PARTITIONS}, until its
 * heartbeat no longer lists them), and a partition of its target is handed to it only once no other member owns it
 * (until then it waits at the new epoch, {@link State#UNRELEASED_PARTITIONS}). So no partition is ever owned by two
 * members at once. The rules are Kafka's (its CurrentAssignmentBuilder), written anew.
 *
 * <p>A pure function of its inputs: it returns a new member and changes nothing. Thread-safe.
 */
final class MemberReconciliation {

    private MemberReconciliation() {
    }

    /**
     * The member after this heartbeat.
     *
     * @param member       the member as it is
     * @param targetEpoch  the epoch of the group's target assignment
     * @param target       the member's partitions in the target assignment
     * @param ownerEpoch   the epoch of the member owning a partition now (assigned or pending revocation), or -1
     * @param owned        the partitions the member says it owns, or null if its heartbeat did not say
     */
    static ConsumerGroupMember reconcile(ConsumerGroupMember member, int targetEpoch, Map<Uuid, Set<Integer>> target,
                                         BiFunction<Uuid, Integer, Integer> ownerEpoch,
                                         Map<Uuid, Set<Integer>> owned) {
        switch (member.state) {
            case STABLE:
                return member.memberEpoch == targetEpoch ? member.copy()
                        : next(member, member.memberEpoch, targetEpoch, target, ownerEpoch, owned);
            case UNREVOKED_PARTITIONS:
                if (ownsAny(owned, member.pendingRevocation)) {
                    return member.copy();
                }
                return next(member, member.memberEpoch + 1, targetEpoch, target, ownerEpoch, owned);
            case UNRELEASED_PARTITIONS:
                return next(member, member.memberEpoch, targetEpoch, target, ownerEpoch, owned);
            default:
                throw new IllegalStateException("member " + member.memberId + " is in unknown state " + member.state);
        }
    }

    private static ConsumerGroupMember next(ConsumerGroupMember member, int epochWhileRevoking, int targetEpoch,
                                            Map<Uuid, Set<Integer>> target,
                                            BiFunction<Uuid, Integer, Integer> ownerEpoch,
                                            Map<Uuid, Set<Integer>> owned) {
        Map<Uuid, Set<Integer>> kept = new HashMap<>();
        Map<Uuid, Set<Integer>> revoking = new HashMap<>();
        Map<Uuid, Set<Integer>> gained = new HashMap<>();
        boolean unreleased = false;
        Set<Uuid> topics = new HashSet<>(target.keySet());
        topics.addAll(member.assigned.keySet());
        for (Uuid topicId : topics) {
            Set<Integer> wanted = target.getOrDefault(topicId, Set.of());
            Set<Integer> current = member.assigned.getOrDefault(topicId, Set.of());
            Set<Integer> keep = new TreeSet<>(current);
            keep.retainAll(wanted);
            Set<Integer> revoke = new TreeSet<>(current);
            revoke.removeAll(keep);
            Set<Integer> gain = new TreeSet<>(wanted);
            gain.removeAll(keep);
            unreleased |= gain.removeIf(partition -> ownerEpoch.apply(topicId, partition) != -1);
            putIfAny(kept, topicId, keep);
            putIfAny(revoking, topicId, revoke);
            putIfAny(gained, topicId, gain);
        }
        ConsumerGroupMember next = member.copy();
        if (!revoking.isEmpty() && ownsAny(owned, revoking)) {
            next.state = State.UNREVOKED_PARTITIONS;
            if (epochWhileRevoking != member.memberEpoch) {
                next.updateEpoch(epochWhileRevoking);
            }
            next.assigned = kept;
            next.pendingRevocation = revoking;
            return next;
        }
        gained.forEach((topicId, partitions) -> kept.computeIfAbsent(topicId, id -> new TreeSet<>())
                .addAll(partitions));
        next.state = unreleased ? State.UNRELEASED_PARTITIONS : State.STABLE;
        if (targetEpoch != member.memberEpoch) {
            next.updateEpoch(targetEpoch);
        }
        next.assigned = kept;
        next.pendingRevocation = new HashMap<>();
        return next;
    }

    /** Whether the member still owns any of {@code partitions}; not knowing what it owns counts as owning. */
    private static boolean ownsAny(Map<Uuid, Set<Integer>> owned, Map<Uuid, Set<Integer>> partitions) {
        if (owned == null) {
            return true;
        }
        for (Map.Entry<Uuid, Set<Integer>> topic : owned.entrySet()) {
            Set<Integer> candidates = partitions.getOrDefault(topic.getKey(), Set.of());
            for (Integer partition : topic.getValue()) {
                if (candidates.contains(partition)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static void putIfAny(Map<Uuid, Set<Integer>> into, Uuid topicId, Set<Integer> partitions) {
        if (!partitions.isEmpty()) {
            into.put(topicId, partitions);
        }
    }
}
