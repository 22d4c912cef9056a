package io.strata.broker.group;

import org.apache.kafka.common.Uuid;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The {@code uniform} assignor, Kafka's default for consumer-protocol groups: partitions spread as evenly as the
 * subscriptions allow (with the same subscriptions, member counts differ by at most one), and sticky: a member keeps
 * the partitions it had in the previous target unless balance needs them elsewhere.
 *
 * <p>It keeps every still-valid previous owner, gives each unowned partition to the least loaded member subscribed to
 * its topic, then moves partitions one at a time from a member to an eligible one with at least two fewer, until no
 * such move exists. Each move lowers the sum of squared loads, so the loop ends; it is also bounded by the partition
 * count times the member count. Stateless; thread-safe.
 */
final class UniformAssignor implements ConsumerGroupAssignor {

    static final String NAME = "uniform";

    @Override
    public String name() {
        return NAME;
    }

    private record Partition(Uuid topicId, int index) {
    }

    @Override
    public Map<String, Map<Uuid, Set<Integer>>> assign(List<Subscriber> members, Map<Uuid, Integer> partitionCounts) {
        List<Subscriber> sorted = new ArrayList<>(members);
        sorted.sort(Comparator.comparing(Subscriber::memberId));
        Map<String, Subscriber> byId = new HashMap<>();
        Map<String, List<Partition>> owned = new HashMap<>();
        for (Subscriber member : sorted) {
            byId.put(member.memberId(), member);
            owned.put(member.memberId(), new ArrayList<>());
        }
        Map<Partition, String> owner = new HashMap<>();
        for (Subscriber member : sorted) {
            member.previous().forEach((topicId, indexes) -> {
                Integer count = partitionCounts.get(topicId);
                if (count == null || !member.topics().contains(topicId)) {
                    return;
                }
                for (int index : indexes) {
                    Partition partition = new Partition(topicId, index);
                    if (index < count && !owner.containsKey(partition)) {
                        owner.put(partition, member.memberId());
                        owned.get(member.memberId()).add(partition);
                    }
                }
            });
        }
        Map<Uuid, List<String>> subscribers = new TreeMap<>();
        for (Subscriber member : sorted) {
            for (Uuid topicId : member.topics()) {
                if (partitionCounts.containsKey(topicId)) {
                    subscribers.computeIfAbsent(topicId, id -> new ArrayList<>()).add(member.memberId());
                }
            }
        }
        for (Map.Entry<Uuid, List<String>> topic : subscribers.entrySet()) {
            for (int index = 0; index < partitionCounts.get(topic.getKey()); index++) {
                Partition partition = new Partition(topic.getKey(), index);
                if (!owner.containsKey(partition)) {
                    String least = leastLoaded(topic.getValue(), owned);
                    owner.put(partition, least);
                    owned.get(least).add(partition);
                }
            }
        }
        balance(sorted, subscribers, owned, partitionCounts);
        Map<String, Map<Uuid, Set<Integer>>> result = new HashMap<>();
        for (Subscriber member : sorted) {
            Map<Uuid, Set<Integer>> partitions = new HashMap<>();
            for (Partition partition : owned.get(member.memberId())) {
                partitions.computeIfAbsent(partition.topicId(), id -> new TreeSet<>()).add(partition.index());
            }
            result.put(member.memberId(), partitions);
        }
        return result;
    }

    private static String leastLoaded(List<String> candidates, Map<String, List<Partition>> owned) {
        String least = null;
        for (String candidate : candidates) {
            if (least == null || owned.get(candidate).size() < owned.get(least).size()) {
                least = candidate;
            }
        }
        return least;
    }

    private static void balance(List<Subscriber> members, Map<Uuid, List<String>> subscribers,
                                Map<String, List<Partition>> owned, Map<Uuid, Integer> partitionCounts) {
        long movesMax = (long) partitionCounts.values().stream().mapToInt(Integer::intValue).sum()
                * Math.max(1, members.size());
        for (long moves = 0; moves < movesMax; moves++) {
            if (!moveOne(members, subscribers, owned)) {
                return;
            }
        }
    }

    /** Moves one partition from a member to an eligible one with at least two fewer; false if there is none. */
    private static boolean moveOne(List<Subscriber> members, Map<Uuid, List<String>> subscribers,
                                   Map<String, List<Partition>> owned) {
        List<Subscriber> byLoad = new ArrayList<>(members);
        byLoad.sort(Comparator.comparing((Subscriber m) -> -owned.get(m.memberId()).size())
                .thenComparing(Subscriber::memberId));
        for (Subscriber from : byLoad) {
            List<Partition> partitions = owned.get(from.memberId());
            for (int i = partitions.size() - 1; i >= 0; i--) {
                Partition partition = partitions.get(i);
                String to = leastLoaded(subscribers.get(partition.topicId()), owned);
                if (owned.get(to).size() + 1 < partitions.size()) {
                    partitions.remove(i);
                    owned.get(to).add(partition);
                    return true;
                }
            }
        }
        return false;
    }
}
