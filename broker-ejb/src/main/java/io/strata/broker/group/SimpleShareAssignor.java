package io.strata.broker.group;

import org.apache.kafka.common.Uuid;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Kafka's {@code simple} assignor of share groups (KIP-932): every subscribed partition goes to at least one member,
 * and, because records of a share partition are handed out one by one, a partition may go to several members. Balance
 * comes first: when there are at least as many partitions as members, each partition goes to exactly one member and
 * members' counts differ by at most one; when there are more members than partitions, each member gets exactly one
 * partition and partitions' member counts differ by at most one (three members on one partition all read it). Then
 * stickiness: a member keeps what it had as far as balance allows, so its in-flight records stay where they are.
 *
 * <p>When all members subscribe to the same topics the rule is applied to all their partitions at once (Kafka's
 * homogeneous case). Otherwise it is applied topic by topic among the members subscribed to it, which keeps every
 * partition served and each topic balanced (Kafka's heterogeneous case spreads by hashing and round-robin; the
 * guarantees a client sees are the same: every partition assigned, nobody assigned an unsubscribed topic).
 *
 * <p>Cost: O(members × partitions) per assignment, once per group epoch. Stateless; thread-safe.
 */
final class SimpleShareAssignor {

    static final String NAME = "simple";

    private SimpleShareAssignor() {
    }

    /** A member: the topics it subscribes to that exist, and its partitions in the current target assignment. */
    record Subscriber(String memberId, Set<Uuid> topicIds, Map<Uuid, Set<Integer>> current) {
    }

    /** One partition of a topic. */
    private record Slot(Uuid topicId, int partition) {
    }

    /**
     * The target assignment: every member to its partitions (an empty map for a member given none).
     *
     * @param partitionCounts the partition count of every subscribed topic
     */
    static Map<String, Map<Uuid, Set<Integer>>> assign(Collection<Subscriber> subscribers,
                                                       Map<Uuid, Integer> partitionCounts) {
        List<Subscriber> members = new ArrayList<>(subscribers);
        members.sort(Comparator.comparing(Subscriber::memberId));
        Map<String, Map<Uuid, Set<Integer>>> target = new LinkedHashMap<>();
        members.forEach(member -> target.put(member.memberId(), new TreeMap<>()));
        if (members.isEmpty()) {
            return target;
        }
        Set<Uuid> first = members.get(0).topicIds();
        boolean homogeneous = members.stream().allMatch(member -> member.topicIds().equals(first));
        if (homogeneous) {
            balance(members, slotsOf(first, partitionCounts), target);
            return target;
        }
        Set<Uuid> topics = new TreeSet<>();
        members.forEach(member -> topics.addAll(member.topicIds()));
        for (Uuid topicId : topics) {
            List<Subscriber> subscribed = members.stream().filter(m -> m.topicIds().contains(topicId)).toList();
            balance(subscribed, slotsOf(Set.of(topicId), partitionCounts), target);
        }
        return target;
    }

    private static List<Slot> slotsOf(Set<Uuid> topicIds, Map<Uuid, Integer> partitionCounts) {
        List<Slot> slots = new ArrayList<>();
        for (Uuid topicId : new TreeSet<>(topicIds)) {
            Integer count = partitionCounts.get(topicId);
            if (count == null) {
                throw new IllegalArgumentException("subscribed topic " + topicId + " has no partition count");
            }
            for (int partition = 0; partition < count; partition++) {
                slots.add(new Slot(topicId, partition));
            }
        }
        return slots;
    }

    /**
     * Spreads {@code slots} over {@code members} into {@code target}. Whichever side is larger gets one of the other
     * each; the smaller side's elements are shared out evenly, keeping current pairs first.
     */
    private static void balance(List<Subscriber> members, List<Slot> slots,
                                Map<String, Map<Uuid, Set<Integer>>> target) {
        if (slots.isEmpty() || members.isEmpty()) {
            return;
        }
        if (slots.size() >= members.size()) {
            spreadSlotsOverMembers(members, slots, target);
        } else {
            spreadMembersOverSlots(members, slots, target);
        }
    }

    /** Each slot to one member; each member gets ⌊slots/members⌋ or one more. */
    private static void spreadSlotsOverMembers(List<Subscriber> members, List<Slot> slots,
                                               Map<String, Map<Uuid, Set<Integer>>> target) {
        int quota = slots.size() / members.size();
        int extras = slots.size() % members.size();
        Map<String, Integer> counts = new HashMap<>();
        Set<Slot> free = new java.util.LinkedHashSet<>(slots);
        for (Subscriber member : members) {
            int kept = 0;
            for (Slot slot : currentSlots(member)) {
                boolean room = kept < quota || (kept == quota && extras > 0);
                if (!room || !free.remove(slot)) {
                    continue;
                }
                if (kept == quota) {
                    extras--;
                }
                kept++;
                give(target, member.memberId(), slot);
            }
            counts.put(member.memberId(), kept);
        }
        for (Slot slot : free) {
            Subscriber least = null;
            for (Subscriber member : members) {
                if (least == null || counts.get(member.memberId()) < counts.get(least.memberId())) {
                    least = member;
                }
            }
            counts.merge(least.memberId(), 1, Integer::sum);
            give(target, least.memberId(), slot);
        }
    }

    /** Each member to one slot; each slot gets ⌊members/slots⌋ members or one more. */
    private static void spreadMembersOverSlots(List<Subscriber> members, List<Slot> slots,
                                               Map<String, Map<Uuid, Set<Integer>>> target) {
        int quota = members.size() / slots.size();
        int extras = members.size() % slots.size();
        Map<Slot, Integer> counts = new LinkedHashMap<>();
        slots.forEach(slot -> counts.put(slot, 0));
        List<Subscriber> unplaced = new ArrayList<>();
        for (Subscriber member : members) {
            Slot kept = null;
            for (Slot slot : currentSlots(member)) {
                Integer count = counts.get(slot);
                if (count != null && (count < quota || (count == quota && extras > 0))) {
                    kept = slot;
                    break;
                }
            }
            if (kept == null) {
                unplaced.add(member);
                continue;
            }
            if (counts.get(kept) == quota) {
                extras--;
            }
            counts.merge(kept, 1, Integer::sum);
            give(target, member.memberId(), kept);
        }
        for (Subscriber member : unplaced) {
            Slot least = null;
            for (Map.Entry<Slot, Integer> slot : counts.entrySet()) {
                if (least == null || slot.getValue() < counts.get(least)) {
                    least = slot.getKey();
                }
            }
            counts.merge(least, 1, Integer::sum);
            give(target, member.memberId(), least);
        }
    }

    private static List<Slot> currentSlots(Subscriber member) {
        List<Slot> slots = new ArrayList<>();
        new TreeMap<>(member.current()).forEach((topicId, partitions) ->
                new TreeSet<>(partitions).forEach(partition -> slots.add(new Slot(topicId, partition))));
        return slots;
    }

    private static void give(Map<String, Map<Uuid, Set<Integer>>> target, String memberId, Slot slot) {
        target.get(memberId).computeIfAbsent(slot.topicId(), id -> new TreeSet<>()).add(slot.partition());
    }
}
