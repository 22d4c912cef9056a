package io.strata.jms.client;

import io.strata.jms.destination.StrataQueue;
import io.strata.jms.record.MessageRecordCodec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The priority a consumer orders by, read from the header alone, is the one the delivered message has. */
class JmsPriorityTest {

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"0", "1", "4", "8", "9", "09", "+8", "10", "-1", "high", "", " 8", "4294967297"})
    void thePriorityReadFromTheHeaderIsTheDecodedMessagesPriority(String header) throws Exception {
        RecordHeaders headers = new RecordHeaders();
        if (header != null) {
            headers.add(new RecordHeader(MessageRecordCodec.PRIORITY_HEADER, header.getBytes(StandardCharsets.UTF_8)));
        }
        ConsumerRecord<byte[], byte[]> record = new ConsumerRecord<>("orders", 0, 7, 0, TimestampType.CREATE_TIME, -1,
                -1, null, null, headers, Optional.empty(), Optional.empty());

        int decoded = new MessageRecordCodec().decode(record, new StrataQueue("orders")).getJMSPriority();

        assertThat(JmsPriority.of(record)).isEqualTo(decoded).isBetween(0, 9);
    }
}
