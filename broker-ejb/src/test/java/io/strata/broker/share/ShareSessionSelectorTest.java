package io.strata.broker.share;

import io.strata.broker.share.selector.MessageSelector;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A share session keeps the selector its opening request carried, for its life; another one is refused. */
@Timeout(30)
class ShareSessionSelectorTest {

    private static final TopicIdPartition P0 = new TopicIdPartition(Uuid.randomUuid(), 0, "t");

    private final ShareSessionCache cache = new ShareSessionCache(10, 1_000);

    @Test
    void theSelectorOfTheOpeningFetchStaysWithTheSession() throws Exception {
        MessageSelector red = MessageSelector.parse("colour = 'red'");

        assertThat(cache.fetch("g", "m", 0, List.of(P0), List.of(), red, "c1", 0).selector()).isSameAs(red);
        assertThat(cache.fetch("g", "m", 1, List.of(), List.of(), null, "c1", 1).selector()).isSameAs(red);
        ShareSessionCache.Outcome repeated = cache.fetch("g", "m", 2, List.of(), List.of(),
                MessageSelector.parse("colour = 'red'"), "c1", 2);
        assertThat(repeated.error()).isEqualTo(Errors.NONE);
        assertThat(repeated.selector()).isSameAs(red);
        assertThat(cache.fetch("g", "other", 0, List.of(P0), List.of(), "c1", 0).selector()).isNull();
    }

    @Test
    void anotherSelectorIsAnInvalidRequestThatLeavesTheSessionAsItWas() throws Exception {
        cache.fetch("g", "m", 0, List.of(P0), List.of(), MessageSelector.parse("colour = 'red'"), "c1", 0);

        ShareSessionCache.Outcome changed = cache.fetch("g", "m", 1, List.of(), List.of(P0),
                MessageSelector.parse("colour = 'blue'"), "c1", 1);

        assertThat(changed.error()).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(changed.message()).contains("colour = 'red'").contains("colour = 'blue'");
        assertThat(cache.expectedEpoch("g", "m")).isEqualTo(1);
        assertThat(cache.partitions("g", "m")).containsExactly(P0);
    }

    @Test
    void aSessionOpenedWithoutASelectorCannotTakeOneLater() throws Exception {
        cache.fetch("g", "m", 0, List.of(P0), List.of(), "c1", 0);

        ShareSessionCache.Outcome later = cache.fetch("g", "m", 1, List.of(), List.of(),
                MessageSelector.parse("colour = 'red'"), "c1", 1);

        assertThat(later.error()).isEqualTo(Errors.INVALID_REQUEST);
        assertThat(later.message()).contains("without a message selector");
    }

    @Test
    void reopeningTheSessionReplacesItsSelectorAndClosingIgnoresOne() throws Exception {
        cache.fetch("g", "m", 0, List.of(P0), List.of(), MessageSelector.parse("colour = 'red'"), "c1", 0);
        MessageSelector blue = MessageSelector.parse("colour = 'blue'");

        ShareSessionCache.Outcome reopened = cache.fetch("g", "m", 0, List.of(P0), List.of(), blue, "c1", 1);
        ShareSessionCache.Outcome closed = cache.fetch("g", "m", -1, List.of(), List.of(),
                MessageSelector.parse("colour = 'green'"), "c1", 2);

        assertThat(reopened.selector()).isSameAs(blue);
        assertThat(reopened.released()).containsExactly(P0);
        assertThat(closed.error()).isEqualTo(Errors.NONE);
        assertThat(closed.released()).containsExactly(P0);
    }
}
