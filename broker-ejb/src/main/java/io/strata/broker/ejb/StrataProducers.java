package io.strata.broker.ejb;

import io.strata.broker.local.Strata;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Dependent;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.enterprise.inject.spi.InjectionPoint;
import jakarta.inject.Inject;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.util.Properties;

/**
 * What applications in the server inject: the native API ({@code @Inject Strata strata}), and kafka-clients
 * {@code Producer}, {@code Consumer} (with {@link StrataGroup} for a group member) and {@code Admin} configured for
 * this broker, for code written against the Kafka API. Producers and consumers are made for each injection point and
 * closed with the bean that holds them; the Admin is shared.
 */
@ApplicationScoped
public class StrataProducers {

    @Inject
    BrokerService broker;

    @Produces
    @ApplicationScoped
    Strata strata() {
        return new StrataDelegate(broker);
    }

    @Produces
    @ApplicationScoped
    Admin admin() {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.server().bootstrapServers());
        properties.put(AdminClientConfig.CLIENT_ID_CONFIG, "strata-server-admin");
        return Admin.create(properties);
    }

    void closeAdmin(@Disposes Admin admin) {
        admin.close();
    }

    @Produces
    @Dependent
    Producer<String, String> stringProducer() {
        return producer(new StringSerializer());
    }

    @Produces
    @Dependent
    Producer<byte[], byte[]> bytesProducer() {
        return producer(new ByteArraySerializer());
    }

    void closeStringProducer(@Disposes Producer<String, String> producer) {
        producer.close();
    }

    void closeBytesProducer(@Disposes Producer<byte[], byte[]> producer) {
        producer.close();
    }

    private <T> Producer<T, T> producer(Serializer<T> serializer) {
        Properties properties = new Properties();
        properties.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.server().bootstrapServers());
        return new KafkaProducer<>(properties, serializer, serializer);
    }

    @Produces
    @Dependent
    Consumer<String, String> stringConsumer() {
        return consumer(null, new StringDeserializer());
    }

    @Produces
    @Dependent
    Consumer<byte[], byte[]> bytesConsumer() {
        return consumer(null, new ByteArrayDeserializer());
    }

    @Produces
    @Dependent
    @StrataGroup
    Consumer<String, String> stringGroupConsumer(InjectionPoint injectionPoint) {
        return consumer(group(injectionPoint), new StringDeserializer());
    }

    @Produces
    @Dependent
    @StrataGroup
    Consumer<byte[], byte[]> bytesGroupConsumer(InjectionPoint injectionPoint) {
        return consumer(group(injectionPoint), new ByteArrayDeserializer());
    }

    void closeStringConsumer(@Disposes Consumer<String, String> consumer) {
        consumer.close();
    }

    void closeBytesConsumer(@Disposes Consumer<byte[], byte[]> consumer) {
        consumer.close();
    }

    void closeStringGroupConsumer(@Disposes @StrataGroup Consumer<String, String> consumer) {
        consumer.close();
    }

    void closeBytesGroupConsumer(@Disposes @StrataGroup Consumer<byte[], byte[]> consumer) {
        consumer.close();
    }

    private static String group(InjectionPoint injectionPoint) {
        for (java.lang.annotation.Annotation qualifier : injectionPoint.getQualifiers()) {
            if (qualifier instanceof StrataGroup group && !group.value().isEmpty()) {
                return group.value();
            }
        }
        throw new IllegalArgumentException("@StrataGroup at " + injectionPoint.getMember() + " names no group");
    }

    private <T> Consumer<T, T> consumer(String group, Deserializer<T> deserializer) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.server().bootstrapServers());
        properties.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        if (group != null) {
            properties.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        }
        return new KafkaConsumer<>(properties, deserializer, deserializer);
    }
}
