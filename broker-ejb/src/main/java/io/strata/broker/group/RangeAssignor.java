package io.strata.broker.group;

import org.apache.kafka.common.Uuid;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code range} assignor: each topic's partitions are cut into contiguous ranges, one per member subscribed to
 * it, in the same member order for every topic (static members by instance id, then the others by member id), the
 * first {@code partitions % members} ranges one longer. Members subscribed to co-partitioned topics (same partition
 * counts) therefore get the same partition numbers of each, which joins need. Stateless; thread-safe.
 */
final class RangeAssignor implements ConsumerGroupAssignor {

    static final String NAME = "range";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Map<String, Map<Uuid, Set<Integer>>> assign(List<Subscriber> members, Map<Uuid, Integer> partitionCounts) {
        List<Subscriber> ordered = new ArrayList<>(members);
        ordered.sort(Comparator.comparing((Subscriber m) -> m.instanceId() == null ? 1 : 0)
                .thenComparing(m -> m.instanceId() == null ? m.memberId() : m.instanceId()));
        Map<String, Map<Uuid, Set<Integer>>> result = new HashMap<>();
        for (Subscriber member : ordered) {
            result.put(member.memberId(), new HashMap<>());
        }
        for (Map.Entry<Uuid, Integer> topic : partitionCounts.entrySet()) {
            List<Subscriber> subscribed = ordered.stream().filter(m -> m.topics().contains(topic.getKey())).toList();
            if (subscribed.isEmpty()) {
                continue;
            }
            int partitions = topic.getValue();
            int base = partitions / subscribed.size();
            int longer = partitions % subscribed.size();
            int next = 0;
            for (int i = 0; i < subscribed.size(); i++) {
                int length = base + (i < longer ? 1 : 0);
                if (length == 0) {
                    continue;
                }
                Set<Integer> range = new TreeSet<>();
                for (int p = next; p < next + length; p++) {
                    range.add(p);
                }
                next += length;
                result.get(subscribed.get(i).memberId()).put(topic.getKey(), range);
            }
        }
        return result;
    }
}
