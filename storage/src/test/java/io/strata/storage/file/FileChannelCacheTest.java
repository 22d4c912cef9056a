package io.strata.storage.file;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FileChannelCacheTest {

    @TempDir
    Path dir;

    private CachedFile file(FileChannelCache cache, String name) throws IOException {
        Path path = dir.resolve(name);
        Files.write(path, name.getBytes());
        return cache.file(path);
    }

    @Test
    void keepsNoMoreIdleFilesOpenThanItsBound() throws IOException {
        FileChannelCache cache = new FileChannelCache(3);
        List<CachedFile> files = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            files.add(file(cache, "f" + i));
        }
        for (CachedFile file : files) {
            try (Lease lease = file.acquire()) {
                assertThat(lease.channel().size()).isEqualTo(file.path().getFileName().toString().length());
            }
        }

        assertThat(cache.openFiles()).isEqualTo(3);
        assertThat(cache.opensTotal()).isEqualTo(10);
    }

    @Test
    void closesTheLeastRecentlyUsedIdleFileFirst() throws IOException {
        FileChannelCache cache = new FileChannelCache(2);
        CachedFile a = file(cache, "a");
        CachedFile b = file(cache, "b");
        CachedFile c = file(cache, "c");
        a.acquire().close();
        b.acquire().close();
        a.acquire().close();

        c.acquire().close();
        a.acquire().close();

        assertThat(cache.opensTotal()).isEqualTo(3);
    }

    @Test
    void aLeasedFileIsNeverClosedUnderItsHolder() throws IOException {
        FileChannelCache cache = new FileChannelCache(1);
        CachedFile held = file(cache, "held");
        try (Lease lease = held.acquire()) {
            for (int i = 0; i < 5; i++) {
                file(cache, "other" + i).acquire().close();
            }
            held.close();
            ByteBuffer buffer = ByteBuffer.allocate(4);
            assertThat(lease.channel().read(buffer, 0)).isEqualTo(4);
        }
        assertThatThrownBy(held::acquire).isInstanceOf(IllegalStateException.class);
        assertThat(cache.openFiles()).isLessThanOrEqualTo(1);
    }

    @Test
    void aFileOpenedWhileEveryOtherIsLeasedIsUsable() throws IOException {
        FileChannelCache cache = new FileChannelCache(2);
        try (Lease first = file(cache, "first").acquire(); Lease second = file(cache, "second").acquire();
             Lease third = file(cache, "third").acquire()) {
            ByteBuffer buffer = ByteBuffer.allocate(5);
            assertThat(third.channel().read(buffer, 0)).isEqualTo(5);
            assertThat(first.channel().isOpen()).isTrue();
            assertThat(second.channel().isOpen()).isTrue();
        }
        assertThat(cache.openFiles()).isLessThanOrEqualTo(2);
    }

    @Test
    void aChannelClosedByAnInterruptIsOpenedAgain() throws IOException {
        FileChannelCache cache = new FileChannelCache(4);
        CachedFile file = file(cache, "interrupted");
        try (Lease lease = file.acquire()) {
            lease.channel().close();
        }
        try (Lease lease = file.acquire()) {
            assertThat(lease.channel().isOpen()).isTrue();
        }
    }
}
