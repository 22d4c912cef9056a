package io.strata.storage.cleaner;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * The cleaner's map from key to the latest offset seen for it, in a fixed amount of memory: each slot holds the
 * key's 16-byte MD5 digest and an 8-byte offset, found by linear probing. Keys themselves are not stored, so a map of
 * 128 MiB covers over five million keys whatever their size; two keys sharing a digest is a 2^-128 event.
 *
 * <p>Not thread-safe: each cleaner thread has its own.
 */
final class OffsetMap {

    private static final int DIGEST_BYTES = 16;
    private static final int SLOT_BYTES = DIGEST_BYTES + 8;

    private final ByteBuffer slots;
    private final int slotCount;
    private final MessageDigest md5;
    private final byte[] digest = new byte[DIGEST_BYTES];
    private final byte[] probe = new byte[DIGEST_BYTES];
    private int entries;
    private long latestOffset = -1;

    OffsetMap(int memoryBytes) {
        this.slotCount = memoryBytes / SLOT_BYTES;
        if (slotCount < 2) {
            throw new IllegalArgumentException("an offset map of " + memoryBytes + " bytes holds fewer than 2 keys");
        }
        this.slots = ByteBuffer.allocate(slotCount * SLOT_BYTES);
        try {
            this.md5 = MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no MD5", e);
        }
    }

    int slots() {
        return slotCount;
    }

    int size() {
        return entries;
    }

    /** The largest offset put into the map, or -1. */
    long latestOffset() {
        return latestOffset;
    }

    void updateLatestOffset(long offset) {
        latestOffset = Math.max(latestOffset, offset);
    }

    void clear() {
        Arrays.fill(slots.array(), (byte) 0);
        entries = 0;
        latestOffset = -1;
    }

    /** Records {@code offset} as the latest for {@code key}. The map must not be full. */
    void put(ByteBuffer key, long offset) {
        if (entries >= slotCount) {
            throw new IllegalStateException("offset map is full at " + entries + " keys");
        }
        hash(key);
        int slot = findSlot();
        int position = slot * SLOT_BYTES;
        if (isEmpty(position)) {
            slots.put(position, digest);
            entries++;
        }
        slots.putLong(position + DIGEST_BYTES, offset);
        latestOffset = Math.max(latestOffset, offset);
    }

    /** The latest offset recorded for {@code key}, or -1. */
    long get(ByteBuffer key) {
        hash(key);
        int position = findSlot() * SLOT_BYTES;
        return isEmpty(position) ? -1 : slots.getLong(position + DIGEST_BYTES);
    }

    /** The slot holding the current digest, or the empty slot where it would go. */
    private int findSlot() {
        int slot = Math.floorMod(ByteBuffer.wrap(digest).getInt(), slotCount);
        while (true) {
            int position = slot * SLOT_BYTES;
            if (isEmpty(position)) {
                return slot;
            }
            slots.get(position, probe);
            if (Arrays.equals(probe, digest)) {
                return slot;
            }
            slot = slot + 1 == slotCount ? 0 : slot + 1;
        }
    }

    /** A slot is empty when its digest is all zeros; a real all-zero digest is not expected to occur. */
    private boolean isEmpty(int position) {
        return slots.getLong(position) == 0 && slots.getLong(position + 8) == 0;
    }

    private void hash(ByteBuffer key) {
        md5.reset();
        md5.update(key.duplicate());
        try {
            md5.digest(digest, 0, DIGEST_BYTES);
        } catch (java.security.DigestException e) {
            throw new IllegalStateException(e);
        }
    }
}
