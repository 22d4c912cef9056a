package io.strata.broker.ejb;

import io.strata.broker.group.GroupCoordinator;
import io.strata.broker.group.OffsetAndMetadata;
import io.strata.broker.partition.Partition;
import io.strata.broker.server.BrokerMetrics;
import io.strata.broker.server.BrokerServer;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedScheduledExecutorService;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.ApiKeys;
import org.eclipse.microprofile.metrics.Counter;
import org.eclipse.microprofile.metrics.Metadata;
import org.eclipse.microprofile.metrics.MetricID;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.eclipse.microprofile.metrics.MetricUnits;
import org.eclipse.microprofile.metrics.Tag;
import org.eclipse.microprofile.metrics.Timer;

import java.time.Duration;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The broker's meters in MicroProfile Metrics (application scope, served by the server at {@code /metrics} in
 * Prometheus format): per API a timer of requests ({@code strata_requests_seconds_count}, {@code _sum}, quantiles);
 * counters of bytes in and out and records in; gauges of the request queue depth, the partition count, each
 * partition's log size, start and end offsets, each group's lag per partition, and the share groups' dead-letter
 * records written, archived without writing, and waiting ({@code strata_share_dead_letters_*}). Partitions and groups
 * come and go,
 * so their gauges are brought up to date every few seconds.
 *
 * <p>Thread-safe.
 */
@ApplicationScoped
public class BrokerMeters implements BrokerMetrics.Observer {

    private static final Logger LOG = Logger.getLogger(BrokerMeters.class.getName());
    private static final long REFRESH_SECONDS = 5;
    /** How long a metrics refresh waits for the group coordinator. */
    private static final long COORDINATOR_WAIT_MS = 5_000;

    @Inject
    MetricRegistry registry;

    @Resource
    ManagedScheduledExecutorService scheduler;

    private final Map<ApiKeys, Timer> requestTimers = new EnumMap<>(ApiKeys.class);
    private final Set<MetricID> partitionGauges = ConcurrentHashMap.newKeySet();
    private final Set<MetricID> lagGauges = ConcurrentHashMap.newKeySet();
    private Counter bytesIn;
    private Counter bytesOut;
    private Counter recordsIn;
    private volatile BrokerServer server;
    private ScheduledFuture<?> refresh;

    private static final String DEAD_LETTERS_WRITTEN = "strata.share.dead.letters.written";
    private static final String DEAD_LETTERS_SKIPPED = "strata.share.dead.letters.skipped";
    private static final String DEAD_LETTERS_PENDING = "strata.share.dead.letters.pending";

    /** The dead-letter writer's records written (0), archived without writing (1), or held now (2). */
    private static long deadLetters(BrokerServer broker, int which) {
        io.strata.broker.share.deadletter.DeadLetterTopicWriter writer = broker.deadLetterWriter();
        if (writer == null) {
            return 0;
        }
        return switch (which) {
            case 0 -> writer.written();
            case 1 -> writer.skipped();
            default -> writer.pending();
        };
    }

    /** Starts metering {@code broker}. */
    synchronized void bind(BrokerServer broker) {
        server = broker;
        bytesIn = registry.counter(Metadata.builder().withName("strata.bytes.in").withUnit(MetricUnits.BYTES)
                .withDescription("Bytes of record batches appended from clients").build());
        bytesOut = registry.counter(Metadata.builder().withName("strata.bytes.out").withUnit(MetricUnits.BYTES)
                .withDescription("Bytes of records sent to consumers").build());
        recordsIn = registry.counter(Metadata.builder().withName("strata.records.in")
                .withDescription("Records appended from clients").build());
        registry.gauge(Metadata.builder().withName("strata.request.queue.depth")
                .withDescription("Requests waiting for a handler thread").build(),
                () -> broker.requestChannel().queueDepth());
        registry.gauge(Metadata.builder().withName("strata.partitions")
                .withDescription("Partitions this broker hosts").build(),
                () -> broker.replicaManager().partitions().size());
        registry.gauge(Metadata.builder().withName(DEAD_LETTERS_WRITTEN)
                .withDescription("Records share groups gave up on, written to their dead-letter topics (KIP-1191)")
                .build(), () -> deadLetters(broker, 0));
        registry.gauge(Metadata.builder().withName(DEAD_LETTERS_SKIPPED)
                .withDescription("Records share groups gave up on and archived without a usable dead-letter topic")
                .build(), () -> deadLetters(broker, 1));
        registry.gauge(Metadata.builder().withName(DEAD_LETTERS_PENDING)
                .withDescription("Records waiting for their dead-letter write, held by the writer").build(),
                () -> deadLetters(broker, 2));
        broker.metrics().addObserver(this);
        refresh = scheduler.scheduleWithFixedDelay(this::refreshQuietly, 0, REFRESH_SECONDS, TimeUnit.SECONDS);
    }

    /** Stops metering {@code broker} and removes its meters. */
    synchronized void unbind(BrokerServer broker) {
        if (refresh != null) {
            refresh.cancel(false);
            refresh = null;
        }
        broker.metrics().removeObserver(this);
        server = null;
        partitionGauges.forEach(registry::remove);
        partitionGauges.clear();
        lagGauges.forEach(registry::remove);
        lagGauges.clear();
        for (String name : new String[]{"strata.request.queue.depth", "strata.partitions", DEAD_LETTERS_WRITTEN,
                DEAD_LETTERS_SKIPPED, DEAD_LETTERS_PENDING}) {
            registry.remove(name);
        }
    }

    @Override
    public void requestCompleted(ApiKeys api, long nanos) {
        Timer timer;
        synchronized (requestTimers) {
            timer = requestTimers.computeIfAbsent(api, key -> registry.timer(Metadata.builder()
                    .withName("strata.requests").withUnit(MetricUnits.NANOSECONDS)
                    .withDescription("Kafka protocol requests handled, by API").build(),
                    new Tag("api", key.name)));
        }
        timer.update(Duration.ofNanos(nanos));
    }

    @Override
    public void bytesIn(long bytes) {
        bytesIn.inc(bytes);
    }

    @Override
    public void bytesOut(long bytes) {
        bytesOut.inc(bytes);
    }

    @Override
    public void recordsIn(long records) {
        recordsIn.inc(records);
    }

    private void refreshQuietly() {
        try {
            refresh();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "Updating Strata's partition and group meters failed", e);
        }
    }

    /** Brings the per-partition and per-group gauges in line with the partitions and groups there are now. */
    void refresh() {
        BrokerServer broker = server;
        if (broker == null) {
            return;
        }
        Set<MetricID> wantedPartitions = new HashSet<>();
        for (Partition partition : broker.replicaManager().partitions()) {
            TopicPartition tp = partition.topicPartition();
            Tag[] tags = {new Tag("topic", tp.topic()), new Tag("partition", String.valueOf(tp.partition()))};
            wantedPartitions.add(partitionGauge(broker, "strata.log.size", MetricUnits.BYTES,
                    "Bytes of the partition's log on disk", tp, tags, p -> p.log().sizeInBytes()));
            wantedPartitions.add(partitionGauge(broker, "strata.log.end.offset", MetricUnits.NONE,
                    "The partition's log end offset", tp, tags, p -> p.log().logEndOffset()));
            wantedPartitions.add(partitionGauge(broker, "strata.log.start.offset", MetricUnits.NONE,
                    "The partition's first offset", tp, tags, p -> p.log().logStartOffset()));
        }
        retire(partitionGauges, wantedPartitions);

        Set<MetricID> wantedLags = new HashSet<>();
        GroupCoordinator groups = broker.groupCoordinator();
        Map<String, Map<TopicPartition, OffsetAndMetadata>> allOffsets;
        try {
            allOffsets = GroupCoordinator.await(groups.allOffsets(), COORDINATOR_WAIT_MS);
        } catch (RuntimeException e) {
            allOffsets = Map.of(); // the coordinator is busy or stopping: the next refresh tries again
        }
        for (Map.Entry<String, Map<TopicPartition, OffsetAndMetadata>> group : allOffsets.entrySet()) {
            for (Map.Entry<TopicPartition, OffsetAndMetadata> committed : group.getValue().entrySet()) {
                TopicPartition tp = committed.getKey();
                MetricID id = new MetricID("strata.group.lag", new Tag("group", group.getKey()),
                        new Tag("topic", tp.topic()), new Tag("partition", String.valueOf(tp.partition())));
                wantedLags.add(id);
                if (lagGauges.add(id)) {
                    String groupId = group.getKey();
                    registry.gauge(Metadata.builder().withName("strata.group.lag")
                            .withDescription("Records between a group's committed offset and the partition's end")
                            .build(), () -> lag(broker, groupId, tp), id.getTagsAsArray());
                }
            }
        }
        retire(lagGauges, wantedLags);
    }

    private MetricID partitionGauge(BrokerServer broker, String name, String unit, String description,
                                    TopicPartition tp, Tag[] tags, java.util.function.ToLongFunction<Partition> value) {
        MetricID id = new MetricID(name, tags);
        if (partitionGauges.add(id)) {
            registry.gauge(Metadata.builder().withName(name).withUnit(unit).withDescription(description).build(),
                    () -> {
                        Partition partition = broker.replicaManager().partition(tp);
                        return partition == null ? -1L : value.applyAsLong(partition);
                    }, tags);
        }
        return id;
    }

    private static long lag(BrokerServer broker, String groupId, TopicPartition tp) {
        OffsetAndMetadata committed;
        try {
            committed = GroupCoordinator.await(broker.groupCoordinator().fetchOffsets(groupId, java.util.List.of(tp)),
                    COORDINATOR_WAIT_MS).get(tp);
        } catch (RuntimeException e) {
            return -1; // not coordinated here now
        }
        Partition partition = broker.replicaManager().partition(tp);
        if (committed == null || partition == null) {
            return -1;
        }
        return Math.max(0, partition.highWatermark() - committed.offset());
    }

    private void retire(Set<MetricID> registered, Set<MetricID> wanted) {
        for (MetricID id : Set.copyOf(registered)) {
            if (!wanted.contains(id)) {
                registry.remove(id);
                registered.remove(id);
            }
        }
    }
}
