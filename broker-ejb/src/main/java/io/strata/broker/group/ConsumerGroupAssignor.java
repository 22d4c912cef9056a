package io.strata.broker.group;

import org.apache.kafka.common.Uuid;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A server-side assignor of consumer-protocol groups: from the members' subscriptions and the partition counts of the
 * topics they subscribe to, the target assignment of every member. {@code group.consumer.assignors} names those a
 * broker offers; a member may ask for one by name, otherwise the first is used.
 *
 * <p>Implementations are stateless and thread-safe; an assignment is a pure function of its inputs.
 */
interface ConsumerGroupAssignor {

    /** One member as an assignor sees it: its subscribed topics (by id) and its partitions in the last target. */
    record Subscriber(String memberId, String instanceId, Set<Uuid> topics, Map<Uuid, Set<Integer>> previous) {
    }

    /** The name members ask for in {@code ServerAssignor}, and {@code group.consumer.assignors} lists. */
    String name();

    /**
     * The target assignment: for each member id, its partitions by topic id. Every partition of a topic someone
     * subscribes to is given to exactly one member subscribed to that topic.
     *
     * @param members         the members, in no particular order
     * @param partitionCounts the partition count of every subscribed topic that exists, by topic id
     */
    Map<String, Map<Uuid, Set<Integer>>> assign(List<Subscriber> members, Map<Uuid, Integer> partitionCounts);

    /** The assignor of that name ({@code uniform}, {@code range}, or Kafka's class names of them), or null. */
    static ConsumerGroupAssignor named(String name) {
        return switch (name) {
            case UniformAssignor.NAME, "org.apache.kafka.coordinator.group.assignor.UniformAssignor" ->
                    new UniformAssignor();
            case RangeAssignor.NAME, "org.apache.kafka.coordinator.group.assignor.RangeAssignor" -> new RangeAssignor();
            default -> null;
        };
    }
}
