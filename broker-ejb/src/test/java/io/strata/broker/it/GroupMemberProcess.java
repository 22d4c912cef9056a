package io.strata.broker.it;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Properties;

/**
 * A consumer group member in its own JVM, for tests that kill it: subscribes, consumes and commits after every poll,
 * printing {@code ASSIGNED <partitions>} on each assignment and {@code COMMITTED <count>} after each commit.
 *
 * <p>Arguments: bootstrap servers, group, topic, session timeout in ms, and optionally the group protocol (classic,
 * or consumer, whose session timeout is the broker's).
 */
public final class GroupMemberProcess {

    private GroupMemberProcess() {
    }

    public static void main(String[] args) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        properties.put(ConsumerConfig.GROUP_ID_CONFIG, args[1]);
        String protocol = args.length > 4 ? args[4] : "classic";
        properties.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol);
        if (protocol.equals("classic")) {
            properties.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, args[3]);
            properties.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "300");
        }
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(properties)) {
            consumer.subscribe(List.of(args[2]), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    System.out.println("ASSIGNED " + consumer.assignment());
                    System.out.flush();
                }
            });
            long committed = 0;
            while (true) {
                ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(100));
                if (!records.isEmpty()) {
                    consumer.commitSync();
                    committed += records.count();
                    System.out.println("COMMITTED " + committed);
                    System.out.flush();
                }
            }
        }
    }
}
