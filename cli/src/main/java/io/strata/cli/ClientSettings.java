package io.strata.cli;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/**
 * The kafka-clients settings every command builds its Admin, Producer or Consumer from. Three layers, later ones
 * winning: the command line's defaults (client id, timeouts from --request-timeout-ms), the --command-config file
 * (security settings and any other client property), and what the command itself needs (serializers, acks, group).
 * The bootstrap servers come from --bootstrap-server, else STRATA_BOOTSTRAP_SERVERS, else the file, else
 * localhost:9092.
 *
 * <p>Immutable; thread-safe. Each call returns a new {@link Properties} or client.
 */
public final class ClientSettings {

    public static final String DEFAULT_BOOTSTRAP_SERVERS = "localhost:9092";
    public static final String BOOTSTRAP_ENV = "STRATA_BOOTSTRAP_SERVERS";
    private static final String CLIENT_ID = "strata-cli";
    /** Kafka's own default request timeout; a longer --request-timeout-ms only lengthens the overall wait. */
    private static final int REQUEST_TIMEOUT_MS_MAX = 30_000;

    private final String bootstrapServers;
    private final Properties fileProperties;
    private final int requestTimeoutMs;

    private ClientSettings(String bootstrapServers, Properties fileProperties, int requestTimeoutMs) {
        this.bootstrapServers = bootstrapServers;
        this.fileProperties = fileProperties;
        this.requestTimeoutMs = requestTimeoutMs;
    }

    /**
     * @param bootstrapFlag --bootstrap-server, or null when not given
     * @param commandConfig --command-config, or null when not given
     */
    public static ClientSettings resolve(String bootstrapFlag, Path commandConfig, int requestTimeoutMs,
                                         Map<String, String> env) {
        if (requestTimeoutMs < 1) {
            throw new CliException("--request-timeout-ms must be at least 1, got " + requestTimeoutMs);
        }
        Properties file = commandConfig == null ? new Properties() : load(commandConfig);
        String bootstrap = firstNonBlank(bootstrapFlag, env.get(BOOTSTRAP_ENV),
                file.getProperty(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG), DEFAULT_BOOTSTRAP_SERVERS);
        return new ClientSettings(bootstrap, file, requestTimeoutMs);
    }

    public String bootstrapServers() {
        return bootstrapServers;
    }

    public int requestTimeoutMs() {
        return requestTimeoutMs;
    }

    public Properties adminProperties() {
        Properties properties = new Properties();
        properties.put(AdminClientConfig.CLIENT_ID_CONFIG, CLIENT_ID);
        // Both, because the Admin client stretches default.api.timeout.ms up to request.timeout.ms.
        properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, requestTimeoutMs);
        properties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, requestTimeoutMs);
        return withFileAndBootstrap(properties);
    }

    public Admin createAdmin() {
        return Admin.create(adminProperties());
    }

    /** Producer settings with byte-array serializers; {@code overrides} are the command's own and win. */
    public Properties producerProperties(Map<String, ?> overrides) {
        Properties properties = new Properties();
        properties.put(ProducerConfig.CLIENT_ID_CONFIG, CLIENT_ID);
        // max.block.ms bounds the wait for metadata and buffer space, which is where an absent broker shows.
        properties.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, requestTimeoutMs);
        properties.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(requestTimeoutMs, REQUEST_TIMEOUT_MS_MAX));
        Properties merged = withFileAndBootstrap(properties);
        merged.putAll(overrides);
        merged.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        merged.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return merged;
    }

    public KafkaProducer<byte[], byte[]> createProducer(Map<String, ?> overrides) {
        return new KafkaProducer<>(producerProperties(overrides));
    }

    /** Consumer settings with byte-array deserializers and no auto-commit; {@code overrides} win. */
    public Properties consumerProperties(Map<String, ?> overrides) {
        Properties properties = new Properties();
        properties.put(ConsumerConfig.CLIENT_ID_CONFIG, CLIENT_ID);
        properties.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, requestTimeoutMs);
        properties.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, Math.min(requestTimeoutMs, REQUEST_TIMEOUT_MS_MAX));
        // The commands commit exactly what they printed or counted; auto-commit would also commit fetched-but-unused
        // records when --max-messages stops in the middle of a batch.
        properties.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        Properties merged = withFileAndBootstrap(properties);
        merged.putAll(overrides);
        merged.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        merged.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return merged;
    }

    public KafkaConsumer<byte[], byte[]> createConsumer(Map<String, ?> overrides) {
        return new KafkaConsumer<>(consumerProperties(overrides));
    }

    private Properties withFileAndBootstrap(Properties defaults) {
        defaults.putAll(fileProperties);
        defaults.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return defaults;
    }

    private static Properties load(Path file) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IOException | IllegalArgumentException e) {
            throw new CliException("cannot read --command-config file '" + file + "': " + describe(e), e);
        }
        return properties;
    }

    private static String describe(Exception e) {
        String message = e.getMessage();
        return message == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + " " + message;
    }

    private static String firstNonBlank(String... candidates) {
        for (String candidate : candidates) {
            if (candidate != null && !candidate.isBlank()) {
                return candidate.trim();
            }
        }
        throw new IllegalStateException("no candidate given, not even the default");
    }
}
