package io.strata.storage.cleaner;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OffsetMapTest {

    private static ByteBuffer key(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void remembersTheLatestOffsetOfEachKey() {
        OffsetMap map = new OffsetMap(24 * 1000);
        for (int i = 0; i < 5000; i++) {
            map.put(key("k" + (i % 500)), i);
        }

        assertThat(map.size()).isEqualTo(500);
        for (int k = 0; k < 500; k++) {
            assertThat(map.get(key("k" + k))).isEqualTo(4500 + k);
        }
        assertThat(map.get(key("absent"))).isEqualTo(-1);
        assertThat(map.latestOffset()).isEqualTo(4999);
    }

    @Test
    void refusesToOverfillAndClearsCompletely() {
        OffsetMap map = new OffsetMap(24 * 4);
        for (int i = 0; i < 4; i++) {
            map.put(key("k" + i), i);
        }
        assertThatThrownBy(() -> map.put(key("k9"), 9)).isInstanceOf(IllegalStateException.class);

        map.clear();

        assertThat(map.size()).isZero();
        assertThat(map.get(key("k1"))).isEqualTo(-1);
        assertThat(map.latestOffset()).isEqualTo(-1);
    }
}
