package io.strata.jms.record;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Records as a consumer gets them, and messages of "another provider", for the codec's tests. */
final class Records {

    static final String TOPIC = "orders";

    private Records() {
    }

    /** The record a share consumer would get for what the codec encoded, at offset 42 of partition 0. */
    static ConsumerRecord<byte[], byte[]> consumed(EncodedRecord record, int deliveryCount) {
        long timestampMs = record.timestampMs() == null ? 1_000L : record.timestampMs();
        return consumed(record.key(), record.value(), record.headers(), timestampMs, Optional.of((short) deliveryCount));
    }

    static ConsumerRecord<byte[], byte[]> consumed(byte[] key, byte[] value, List<Header> headers, long timestampMs,
            Optional<Short> deliveryCount) {
        return new ConsumerRecord<>(TOPIC, 0, 42L, timestampMs, TimestampType.CREATE_TIME, -1, -1, key, value,
                new RecordHeaders(headers), Optional.empty(), deliveryCount);
    }

    static Header header(String key, String value) {
        return new RecordHeader(key, value == null ? null : value.getBytes(StandardCharsets.UTF_8));
    }

    static List<Header> headers(Header... headers) {
        return new ArrayList<>(List.of(headers));
    }

    static String text(byte[] value) {
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }

    /**
     * A message of another provider: it answers every call of {@code type}'s API by delegating to {@code delegate},
     * but is not one of Strata's classes, so the codec can only use the public API.
     */
    @SuppressWarnings("unchecked")
    static <T> T foreign(Class<T> type, Object delegate) {
        return (T) Proxy.newProxyInstance(Records.class.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
            try {
                return method.invoke(delegate, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        });
    }
}
