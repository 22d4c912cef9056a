package io.strata.broker.metadata;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Metadata records with the version the controller gave them, as the metadata log and the cluster's shared map keep
 * them: {@code v=<version>\n} followed by the record, or by nothing for a deleted key (a tombstone, kept so that an
 * older copy of the key, on a broker that was away, cannot bring it back). A record written without a version, by an
 * earlier Strata, has version 0.
 */
public final class VersionedRecords {

    private static final byte[] PREFIX = "v=".getBytes(StandardCharsets.US_ASCII);

    private VersionedRecords() {
    }

    /** A record's value and version; {@code value} is {@code null} for a deleted key. */
    public record Versioned(long version, byte[] value) {
        public boolean deleted() {
            return value == null;
        }
    }

    public static byte[] encode(long version, byte[] value) {
        byte[] header = ("v=" + version + "\n").getBytes(StandardCharsets.US_ASCII);
        byte[] body = value == null ? new byte[0] : value;
        byte[] out = Arrays.copyOf(header, header.length + body.length + (value == null ? 0 : 1));
        if (value != null) {
            out[header.length] = '+';
            System.arraycopy(body, 0, out, header.length + 1, body.length);
        }
        return out;
    }

    public static Versioned decode(byte[] stored) {
        if (stored == null) {
            return new Versioned(0, null);
        }
        if (stored.length < PREFIX.length || stored[0] != PREFIX[0] || stored[1] != PREFIX[1]) {
            return new Versioned(0, stored);
        }
        int newline = 2;
        while (newline < stored.length && stored[newline] != '\n') {
            newline++;
        }
        long version = Long.parseLong(new String(stored, 2, newline - 2, StandardCharsets.US_ASCII));
        if (newline + 1 >= stored.length) {
            return new Versioned(version, null);
        }
        return new Versioned(version, Arrays.copyOfRange(stored, newline + 2, stored.length));
    }

    /** The image the latest value of each record describes, tombstones skipped. */
    public static MetadataImage image(Map<String, Versioned> records) {
        MetadataImage image = MetadataImage.EMPTY;
        for (Map.Entry<String, Versioned> record : records.entrySet()) {
            if (!record.getValue().deleted()) {
                image = apply(image, record.getKey(), record.getValue().value());
            }
        }
        return image;
    }

    /** {@code image} with record {@code key} set to {@code value} ({@code null}: deleted). */
    public static MetadataImage apply(MetadataImage image, String key, byte[] value) {
        String topicName = MetadataRecords.topicName(key);
        if (topicName != null) {
            return value == null ? image.withoutTopic(topicName)
                    : image.withTopic(MetadataRecords.decodeTopic(topicName, value));
        }
        String groupId = MetadataRecords.groupId(key);
        if (groupId != null) {
            return image.withGroupConfigs(groupId, value == null ? Map.of() : MetadataRecords.decodeGroupConfigs(value));
        }
        int brokerId = MetadataRecords.brokerId(key);
        if (brokerId >= 0) {
            return image.withIncarnation(brokerId, value == null ? null : MetadataRecords.decodeIncarnation(value));
        }
        if (key.equals(MetadataRecords.CLUSTER_KEY)) {
            return value == null ? image : image.withClusterId(MetadataRecords.decodeClusterId(value));
        }
        if (key.equals(MetadataRecords.PRODUCER_IDS_KEY)) {
            return value == null ? image : image.withNextProducerId(MetadataRecords.decodeNextProducerId(value));
        }
        return image;
    }

    /** Decodes every record of a log read. */
    public static Map<String, Versioned> decodeAll(Map<String, byte[]> stored) {
        Map<String, Versioned> out = new LinkedHashMap<>();
        stored.forEach((key, value) -> out.put(key, decode(value)));
        return out;
    }

    static Map<String, byte[]> single(String key, byte[] value) {
        Map<String, byte[]> records = new HashMap<>();
        records.put(key, value);
        return records;
    }
}
