package io.strata.broker.share;

import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ShareSessionCacheTest {

    private static final Uuid TOPIC = Uuid.randomUuid();
    private static final TopicIdPartition P0 = new TopicIdPartition(TOPIC, 0, "t");
    private static final TopicIdPartition P1 = new TopicIdPartition(TOPIC, 1, "t");

    private final ShareSessionCache cache = new ShareSessionCache(2, 1_000);

    @Test
    void epochZeroOpensASessionWhoseNextEpochIsOne() {
        ShareSessionCache.Outcome opened = cache.fetch("g", "m", 0, List.of(P0), List.of(), "c1", 0);

        assertThat(opened.error()).isEqualTo(Errors.NONE);
        assertThat(opened.partitions()).containsExactly(P0);
        assertThat(cache.expectedEpoch("g", "m")).isEqualTo(1);
    }

    @Test
    void laterRequestsAddAndForgetPartitionsIncrementally() {
        cache.fetch("g", "m", 0, List.of(P0), List.of(), "c1", 0);

        ShareSessionCache.Outcome added = cache.fetch("g", "m", 1, List.of(P1), List.of(), "c1", 1);
        ShareSessionCache.Outcome forgot = cache.fetch("g", "m", 2, List.of(), List.of(P0), "c1", 2);

        assertThat(added.partitions()).containsExactly(P0, P1);
        assertThat(forgot.partitions()).containsExactly(P1);
        assertThat(forgot.released()).containsExactly(P0);
        assertThat(cache.expectedEpoch("g", "m")).isEqualTo(3);
    }

    @Test
    void aWrongEpochIsRefusedAndDoesNotMoveTheSession() {
        cache.fetch("g", "m", 0, List.of(P0), List.of(), "c1", 0);

        ShareSessionCache.Outcome wrong = cache.fetch("g", "m", 5, List.of(P1), List.of(), "c1", 1);

        assertThat(wrong.error()).isEqualTo(Errors.INVALID_SHARE_SESSION_EPOCH);
        assertThat(wrong.message()).contains("5").contains("expected 1");
        assertThat(cache.partitions("g", "m")).containsExactly(P0);
        assertThat(cache.expectedEpoch("g", "m")).isEqualTo(1);
    }

    @Test
    void aSessionThatDoesNotExistIsNotFound() {
        assertThat(cache.fetch("g", "m", 1, List.of(P0), List.of(), "c1", 0).error())
                .isEqualTo(Errors.SHARE_SESSION_NOT_FOUND);
        assertThat(cache.acknowledge("g", "m", 1, "c1", 0).error()).isEqualTo(Errors.SHARE_SESSION_NOT_FOUND);
        assertThat(cache.fetch("g", "m", -1, List.of(), List.of(), "c1", 0).error())
                .isEqualTo(Errors.SHARE_SESSION_NOT_FOUND);
    }

    @Test
    void epochMinusOneClosesTheSessionAndReleasesItsPartitions() {
        cache.fetch("g", "m", 0, List.of(P0, P1), List.of(), "c1", 0);

        ShareSessionCache.Outcome closed = cache.acknowledge("g", "m", -1, "c1", 1);

        assertThat(closed.error()).isEqualTo(Errors.NONE);
        assertThat(closed.released()).containsExactly(P0, P1);
        assertThat(cache.size()).isZero();
    }

    @Test
    void reopeningReplacesTheOldSessionAndReleasesItsPartitions() {
        cache.fetch("g", "m", 0, List.of(P0), List.of(), "c1", 0);

        ShareSessionCache.Outcome reopened = cache.fetch("g", "m", 0, List.of(P1), List.of(), "c1", 1);

        assertThat(reopened.released()).containsExactly(P0);
        assertThat(reopened.partitions()).containsExactly(P1);
        assertThat(cache.size()).isOne();
    }

    @Test
    void acknowledgeCannotOpenASessionButMovesItsEpoch() {
        assertThat(cache.acknowledge("g", "m", 0, "c1", 0).error()).isEqualTo(Errors.INVALID_SHARE_SESSION_EPOCH);
        cache.fetch("g", "m", 0, List.of(P0), List.of(), "c1", 0);

        assertThat(cache.acknowledge("g", "m", 1, "c1", 1).error()).isEqualTo(Errors.NONE);
        assertThat(cache.expectedEpoch("g", "m")).isEqualTo(2);
    }

    @Test
    void aFullCacheRefusesNewSessionsUntilOneIsIdleLongEnough() {
        cache.fetch("g", "a", 0, List.of(P0), List.of(), "c1", 0);
        cache.fetch("g", "b", 0, List.of(P0), List.of(), "c1", 500);

        ShareSessionCache.Outcome refused = cache.fetch("g", "c", 0, List.of(P0), List.of(), "c1", 900);
        ShareSessionCache.Outcome evicting = cache.fetch("g", "c", 0, List.of(P0), List.of(), "c1", 1_001);

        assertThat(refused.error()).isEqualTo(Errors.SHARE_SESSION_LIMIT_REACHED);
        assertThat(refused.message()).contains("group.share.max.share.sessions");
        assertThat(evicting.error()).isEqualTo(Errors.NONE);
        assertThat(cache.expectedEpoch("g", "a")).isEqualTo(-1);
        assertThat(cache.size()).isEqualTo(2);
    }

    @Test
    void idleSessionsAreRemovedWithTheirPartitions() {
        cache.fetch("g", "a", 0, List.of(P0), List.of(), "c1", 0);
        cache.fetch("g", "b", 0, List.of(P1), List.of(), "c1", 800);

        var removed = cache.removeIdle(1_500);

        assertThat(removed).containsOnlyKeys(new ShareSessionCache.Key("g", "a"));
        assertThat(removed.get(new ShareSessionCache.Key("g", "a"))).containsExactly(P0);
        assertThat(cache.size()).isOne();
    }

    @Test
    void aClosedConnectionTakesTheSessionsLastUsedOnIt() {
        cache.fetch("g", "a", 0, List.of(P0), List.of(), "c1", 0);
        cache.fetch("g", "b", 0, List.of(P1), List.of(), "c2", 0);
        cache.fetch("g", "b", 1, List.of(), List.of(), "c1", 1);

        var removed = cache.removeConnection("c1");

        assertThat(removed).containsOnlyKeys(new ShareSessionCache.Key("g", "a"), new ShareSessionCache.Key("g", "b"));
        assertThat(cache.size()).isZero();
        assertThat(cache.removeConnection("c2")).isEmpty();
    }

    @Test
    void theEpochWrapsFromMaxValueToOne() {
        assertThat(ShareSessionCache.nextEpoch(Integer.MAX_VALUE)).isEqualTo(1);
    }
}
