package io.strata.broker.group;

import io.strata.broker.group.SimpleShareAssignor.Subscriber;
import org.apache.kafka.common.Uuid;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class SimpleShareAssignorTest {

    private static final Uuid T1 = new Uuid(1, 1);
    private static final Uuid T2 = new Uuid(2, 2);

    private static Subscriber member(String id, Set<Uuid> topics) {
        return new Subscriber(id, topics, Map.of());
    }

    private static Subscriber member(String id, Set<Uuid> topics, Map<Uuid, Set<Integer>> current) {
        return new Subscriber(id, topics, current);
    }

    private static int count(Map<Uuid, Set<Integer>> partitions) {
        return partitions.values().stream().mapToInt(Set::size).sum();
    }

    @Test
    void threeMembersOnOnePartitionAllReadIt() {
        Map<String, Map<Uuid, Set<Integer>>> target = SimpleShareAssignor.assign(List.of(member("a", Set.of(T1)),
                member("b", Set.of(T1)), member("c", Set.of(T1))), Map.of(T1, 1));

        assertThat(target).hasSize(3).allSatisfy((id, partitions) ->
                assertThat(partitions).isEqualTo(Map.of(T1, Set.of(0))));
    }

    @Test
    void twoMembersOnSixPartitionsSplitThemDisjointlyThreeEach() {
        Map<String, Map<Uuid, Set<Integer>>> target = SimpleShareAssignor.assign(List.of(member("a", Set.of(T1)),
                member("b", Set.of(T1))), Map.of(T1, 6));

        Set<Integer> a = target.get("a").get(T1);
        Set<Integer> b = target.get("b").get(T1);
        assertThat(a).hasSize(3);
        assertThat(b).hasSize(3).doesNotContainAnyElementsOf(a);
        Set<Integer> all = new HashSet<>(a);
        all.addAll(b);
        assertThat(all).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5);
    }

    @Test
    void moreMembersThanPartitionsGiveEachMemberOnePartitionAndSpreadThemEvenly() {
        List<Subscriber> members = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            members.add(member("m" + i, Set.of(T1)));
        }
        Map<String, Map<Uuid, Set<Integer>>> target = SimpleShareAssignor.assign(members, Map.of(T1, 2));

        Map<Integer, Integer> readers = new HashMap<>();
        target.values().forEach(partitions -> {
            assertThat(count(partitions)).isOne();
            partitions.get(T1).forEach(p -> readers.merge(p, 1, Integer::sum));
        });
        assertThat(readers.values()).containsExactlyInAnyOrder(3, 2);
    }

    @Test
    void aNewMemberTakesPartitionsFromOthersWhoKeepTheRest() {
        Map<Uuid, Set<Integer>> aHad = Map.of(T1, Set.of(0, 1, 2));
        Map<Uuid, Set<Integer>> bHad = Map.of(T1, Set.of(3, 4, 5));

        Map<String, Map<Uuid, Set<Integer>>> target = SimpleShareAssignor.assign(List.of(
                member("a", Set.of(T1), aHad), member("b", Set.of(T1), bHad), member("c", Set.of(T1))),
                Map.of(T1, 6));

        assertThat(target.get("a").get(T1)).hasSize(2).isSubsetOf(aHad.get(T1));
        assertThat(target.get("b").get(T1)).hasSize(2).isSubsetOf(bHad.get(T1));
        assertThat(target.get("c").get(T1)).hasSize(2).doesNotContainAnyElementsOf(target.get("a").get(T1))
                .doesNotContainAnyElementsOf(target.get("b").get(T1));
    }

    @Test
    void membersOfDifferentSubscriptionsGetOnlyTheirTopicsAndEveryPartitionIsServed() {
        Map<String, Map<Uuid, Set<Integer>>> target = SimpleShareAssignor.assign(List.of(
                member("a", Set.of(T1)), member("b", Set.of(T1, T2)), member("c", Set.of(T2))),
                Map.of(T1, 4, T2, 1));

        assertThat(target.get("a")).containsOnlyKeys(T1);
        assertThat(target.get("c")).containsOnlyKeys(T2);
        Set<Integer> t1 = new HashSet<>(target.get("a").get(T1));
        t1.addAll(target.get("b").getOrDefault(T1, Set.of()));
        assertThat(t1).containsExactlyInAnyOrder(0, 1, 2, 3);
        assertThat(target.get("a").get(T1)).hasSize(2);
        assertThat(target.get("c").get(T2)).containsExactly(0);
        assertThat(target.get("b").get(T2)).containsExactly(0);
    }

    @Test
    void aMemberWhoseTopicsDoNotExistIsGivenNothing() {
        Map<String, Map<Uuid, Set<Integer>>> target = SimpleShareAssignor.assign(List.of(member("a", Set.of())),
                Map.of());

        assertThat(target).containsOnlyKeys("a");
        assertThat(target.get("a")).isEmpty();
    }
}
