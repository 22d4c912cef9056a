package io.strata.broker.group;

import io.strata.broker.group.ConsumerGroupAssignor.Subscriber;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The server-side assignors of consumer-protocol groups, on their own. */
class ConsumerGroupAssignorTest {

    private static final Uuid ORDERS = Uuid.randomUuid();
    private static final Uuid PAYMENTS = Uuid.randomUuid();

    private static Subscriber member(String id, Set<Uuid> topics, Map<Uuid, Set<Integer>> previous) {
        return new Subscriber(id, null, topics, previous);
    }

    private static int count(Map<Uuid, Set<Integer>> partitions) {
        return ConsumerGroupMember.count(partitions);
    }

    /** Every partition of every topic exactly once. */
    private static void assertEveryPartitionOnce(Map<String, Map<Uuid, Set<Integer>>> assignment,
                                                 Map<Uuid, Integer> counts) {
        Map<Uuid, List<Integer>> seen = new HashMap<>();
        assignment.values().forEach(partitions -> partitions.forEach((topic, indexes) ->
                seen.computeIfAbsent(topic, t -> new ArrayList<>()).addAll(indexes)));
        counts.forEach((topic, count) -> assertThat(seen.get(topic)).hasSize(count).doesNotHaveDuplicates());
    }

    @Test
    void uniformSpreadsPartitionsEvenly() {
        Map<Uuid, Integer> counts = Map.of(ORDERS, 7, PAYMENTS, 3);
        List<Subscriber> members = List.of(member("a", Set.of(ORDERS, PAYMENTS), Map.of()),
                member("b", Set.of(ORDERS, PAYMENTS), Map.of()), member("c", Set.of(ORDERS, PAYMENTS), Map.of()));

        Map<String, Map<Uuid, Set<Integer>>> assignment = new UniformAssignor().assign(members, counts);

        assertEveryPartitionOnce(assignment, counts);
        assertThat(assignment.values()).extracting(ConsumerGroupAssignorTest::count)
                .allSatisfy(n -> assertThat(n).isBetween(3, 4));
    }

    @Test
    void uniformIsStickyWhenAMemberJoins() {
        Map<Uuid, Integer> counts = Map.of(ORDERS, 6);
        Map<String, Map<Uuid, Set<Integer>>> before = new UniformAssignor().assign(
                List.of(member("a", Set.of(ORDERS), Map.of()), member("b", Set.of(ORDERS), Map.of())), counts);

        Map<String, Map<Uuid, Set<Integer>>> after = new UniformAssignor().assign(List.of(
                member("a", Set.of(ORDERS), before.get("a")), member("b", Set.of(ORDERS), before.get("b")),
                member("c", Set.of(ORDERS), Map.of())), counts);

        assertEveryPartitionOnce(after, counts);
        assertThat(after.values()).extracting(ConsumerGroupAssignorTest::count).containsOnly(2);
        assertThat(before.get("a").get(ORDERS)).containsAll(after.get("a").get(ORDERS));
        assertThat(before.get("b").get(ORDERS)).containsAll(after.get("b").get(ORDERS));
    }

    @Test
    void uniformGivesATopicOnlyToItsSubscribers() {
        Map<Uuid, Integer> counts = Map.of(ORDERS, 4, PAYMENTS, 4);
        List<Subscriber> members = List.of(member("a", Set.of(ORDERS), Map.of()),
                member("b", Set.of(ORDERS, PAYMENTS), Map.of()), member("c", Set.of(PAYMENTS), Map.of()));

        Map<String, Map<Uuid, Set<Integer>>> assignment = new UniformAssignor().assign(members, counts);

        assertEveryPartitionOnce(assignment, counts);
        assertThat(assignment.get("a")).containsOnlyKeys(ORDERS);
        assertThat(assignment.get("c")).containsOnlyKeys(PAYMENTS);
        assertThat(assignment.values()).extracting(ConsumerGroupAssignorTest::count)
                .allSatisfy(n -> assertThat(n).isBetween(2, 3));
    }

    @Test
    void uniformDropsPartitionsOfTopicsNoLongerSubscribed() {
        Map<Uuid, Integer> counts = Map.of(ORDERS, 2);
        Map<String, Map<Uuid, Set<Integer>>> assignment = new UniformAssignor().assign(List.of(
                member("a", Set.of(ORDERS), Map.of(PAYMENTS, Set.of(0), ORDERS, Set.of(0, 1)))), counts);

        assertThat(assignment.get("a")).isEqualTo(Map.of(ORDERS, Set.of(0, 1)));
    }

    @Test
    void rangeGivesCoPartitionedTopicsTheSamePartitionNumbers() {
        Map<Uuid, Integer> counts = Map.of(ORDERS, 5, PAYMENTS, 5);
        List<Subscriber> members = List.of(member("b", Set.of(ORDERS, PAYMENTS), Map.of()),
                member("a", Set.of(ORDERS, PAYMENTS), Map.of()));

        Map<String, Map<Uuid, Set<Integer>>> assignment = new RangeAssignor().assign(members, counts);

        assertEveryPartitionOnce(assignment, counts);
        assertThat(assignment.get("a").get(ORDERS)).containsExactly(0, 1, 2);
        assertThat(assignment.get("b").get(ORDERS)).containsExactly(3, 4);
        for (String member : List.of("a", "b")) {
            assertThat(assignment.get(member).get(PAYMENTS)).isEqualTo(assignment.get(member).get(ORDERS));
        }
        Set<Integer> all = new HashSet<>(assignment.get("a").get(ORDERS));
        all.addAll(assignment.get("b").get(ORDERS));
        assertThat(all).hasSize(5);
    }

    @Test
    void assignorsAreFoundByTheirShortAndKafkaNames() {
        assertThat(ConsumerGroupAssignor.named("uniform")).isInstanceOf(UniformAssignor.class);
        assertThat(ConsumerGroupAssignor.named("org.apache.kafka.coordinator.group.assignor.RangeAssignor"))
                .isInstanceOf(RangeAssignor.class);
        assertThat(ConsumerGroupAssignor.named("sticky")).isNull();
    }

    @Test
    @org.junit.jupiter.api.Timeout(10)
    void uniformBalancesThousandsOfPartitionsAndMovesOnlyTheNewcomersShareWhenAMemberJoins() {
        Map<Uuid, Integer> counts = Map.of(ORDERS, 2000, PAYMENTS, 1000);
        List<Subscriber> members = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            members.add(member("m" + i, Set.of(ORDERS, PAYMENTS), Map.of()));
        }
        Map<String, Map<Uuid, Set<Integer>>> before = new UniformAssignor().assign(members, counts);
        List<Subscriber> grown = new ArrayList<>();
        for (Subscriber member : members) {
            grown.add(member(member.memberId(), member.topics(), before.get(member.memberId())));
        }
        grown.add(member("newcomer", Set.of(ORDERS, PAYMENTS), Map.of()));

        Map<String, Map<Uuid, Set<Integer>>> after = new UniformAssignor().assign(grown, counts);

        assertEveryPartitionOnce(after, counts);
        assertThat(after.values()).extracting(ConsumerGroupAssignorTest::count)
                .allSatisfy(n -> assertThat(n).isBetween(29, 30));
        int moved = 0;
        for (Subscriber member : members) {
            Map<Uuid, Set<Integer>> kept = after.get(member.memberId());
            for (Map.Entry<Uuid, Set<Integer>> topic : before.get(member.memberId()).entrySet()) {
                for (int partition : topic.getValue()) {
                    if (!kept.getOrDefault(topic.getKey(), Set.of()).contains(partition)) {
                        moved++;
                    }
                }
            }
        }
        assertThat(moved).as("only the newcomer's share moves").isEqualTo(count(after.get("newcomer")));
    }
}
