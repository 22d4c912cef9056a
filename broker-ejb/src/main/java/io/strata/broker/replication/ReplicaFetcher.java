package io.strata.broker.replication;

import io.strata.broker.config.Endpoint;
import io.strata.broker.partition.Partition;
import io.strata.broker.partition.ReplicaManager;
import io.strata.storage.log.LeaderEpochCache;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.InvalidMetadataException;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FetchResponse;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.IntFunction;

/**
 * Copies the partitions this broker follows from one leader: a loop of replica fetches (Fetch v12, with this broker's
 * id as replica id and each partition's last fetched epoch), each of which tells the leader how far this replica has
 * got. Fetched batches are appended as they are; the leader's high watermark is taken as far as the log reaches.
 * When the leader answers that the log diverged (the records after some offset were written under a leader epoch the
 * leader does not have), the log is truncated there and fetching goes on from the new end.
 *
 * <p>What a response brings is applied only if this broker still follows the same leader at the epoch the fetch was
 * asked under; the partition checks that again under its append lock, and a refused response is dropped (see
 * {@link Partition#appendAsFollower}).
 *
 * <p>Thread-safety: the partition set is changed under the object's monitor by the replica manager; the loop runs
 * on its own thread.
 */
final class ReplicaFetcher implements Runnable {

    private static final System.Logger LOG = System.getLogger(ReplicaFetcher.class.getName());
    private static final short FETCH_VERSION = 12;

    private final int brokerId;
    private final int leaderId;
    private final ReplicaManager replicas;
    private final IntFunction<Endpoint> endpoints;
    private final ReplicationSettings settings;
    private final BrokerChannel channel;
    /** Each followed partition's leader epoch, and until when it rests after an error. */
    private final Map<TopicPartition, long[]> partitions = new LinkedHashMap<>();
    private volatile boolean running = true;
    private Thread thread;

    ReplicaFetcher(int brokerId, int leaderId, ReplicaManager replicas, IntFunction<Endpoint> endpoints,
                   ReplicationSettings settings) {
        this.brokerId = brokerId;
        this.leaderId = leaderId;
        this.replicas = replicas;
        this.endpoints = endpoints;
        this.settings = settings;
        this.channel = new BrokerChannel("strata-replica-" + brokerId, settings.socketTimeoutMs(),
                settings.localAddress());
    }

    void start(Thread thread) {
        this.thread = thread;
        thread.start();
    }

    synchronized void follow(TopicPartition tp, int leaderEpoch) {
        long[] state = partitions.get(tp);
        if (state == null || state[0] != leaderEpoch) {
            partitions.put(tp, new long[]{leaderEpoch, 0});
        }
        notifyAll();
    }

    synchronized void unfollow(TopicPartition tp) {
        partitions.remove(tp);
    }

    synchronized boolean isIdle() {
        return partitions.isEmpty();
    }

    private synchronized Map<TopicPartition, Integer> due(long nowMs) throws InterruptedException {
        while (running && partitions.isEmpty()) {
            wait(1000);
        }
        Map<TopicPartition, Integer> due = new LinkedHashMap<>();
        partitions.forEach((tp, state) -> {
            if (state[1] <= nowMs) {
                due.put(tp, (int) state[0]);
            }
        });
        return due;
    }

    /** Rests the partition until {@code untilMs}, unless it is followed at another epoch since, which starts afresh. */
    private synchronized void backOff(TopicPartition tp, int leaderEpoch, long untilMs) {
        long[] state = partitions.get(tp);
        if (state != null && state[0] == leaderEpoch) {
            state[1] = untilMs;
        }
    }

    @Override
    public void run() {
        while (running) {
            try {
                Map<TopicPartition, Integer> due = due(System.currentTimeMillis());
                if (!running) {
                    return;
                }
                if (due.isEmpty()) {
                    rest(Math.min(100, settings.backoffMs()));
                    continue;
                }
                Endpoint leader = endpoints.apply(leaderId);
                if (leader == null) {
                    rest(settings.backoffMs());
                    continue;
                }
                channel.target(leader.host(), leader.port());
                fetchOnce(due);
            } catch (InterruptedException e) {
                return;
            } catch (IOException e) {
                if (running) {
                    LOG.log(Level.DEBUG, "Fetching from broker {0} failed: {1}", leaderId, e.toString());
                    rest(settings.backoffMs());
                }
            } catch (RuntimeException e) {
                if (running) {
                    LOG.log(Level.WARNING, "Replica fetcher for broker " + leaderId + " failed; retrying", e);
                    rest(settings.backoffMs());
                }
            }
        }
    }

    private void fetchOnce(Map<TopicPartition, Integer> due) throws IOException {
        Map<TopicPartition, FetchRequest.PartitionData> wanted = new LinkedHashMap<>();
        Map<TopicPartition, Fetching> fetching = new HashMap<>();
        for (Map.Entry<TopicPartition, Integer> entry : due.entrySet()) {
            Partition partition = replicas.partition(entry.getKey());
            if (partition == null) {
                continue;
            }
            long fetchOffset = partition.log().logEndOffset();
            OptionalInt lastEpoch = partition.leaderEpochCache().latestEpoch();
            fetching.put(entry.getKey(), new Fetching(partition, entry.getValue(), fetchOffset));
            wanted.put(entry.getKey(), new FetchRequest.PartitionData(Uuid.ZERO_UUID, fetchOffset,
                    partition.log().logStartOffset(), settings.fetchMaxBytes(), Optional.of(entry.getValue()),
                    lastEpoch.isPresent() ? Optional.of(lastEpoch.getAsInt()) : Optional.empty()));
        }
        if (wanted.isEmpty()) {
            rest(100);
            return;
        }
        FetchRequest request = FetchRequest.Builder.forReplica(FETCH_VERSION, brokerId, -1, settings.fetchWaitMaxMs(),
                1, wanted).setMaxBytes(settings.fetchResponseMaxBytes()).build(FETCH_VERSION);
        FetchResponse response = (FetchResponse) channel.send(request);
        if (response.error() != Errors.NONE) {
            throw new IOException("fetch from broker " + leaderId + " failed: " + response.error().message());
        }
        long now = System.currentTimeMillis();
        for (Map.Entry<TopicPartition, FetchResponseData.PartitionData> entry
                : response.responseData(Map.of(), FETCH_VERSION).entrySet()) {
            TopicPartition tp = entry.getKey();
            Fetching asked = fetching.get(tp);
            // A partition recreated (a new topic of the same name) since the fetch was sent is another log.
            if (asked == null || replicas.partition(tp) != asked.partition() || !isFollowing(tp, asked.leaderEpoch())) {
                continue;
            }
            Partition partition = asked.partition();
            FetchResponseData.PartitionData data = entry.getValue();
            Errors error = Errors.forCode(data.errorCode());
            try {
                switch (error) {
                    case NONE -> handleData(tp, partition, asked.leaderEpoch(), asked.fetchOffset(), data);
                    case OFFSET_OUT_OF_RANGE ->
                            handleOutOfRange(tp, partition, asked.leaderEpoch(), asked.fetchOffset(), data);
                    default -> {
                        LOG.log(Level.DEBUG, "Fetching {0} from broker {1}: {2}", tp, leaderId, error);
                        backOff(tp, asked.leaderEpoch(), now + settings.backoffMs());
                    }
                }
            } catch (InvalidMetadataException e) {
                // The partition changed role or term while the fetch was in flight, and refused what it brought.
                // The metadata update that changed it re-points (or stops) this partition's fetching.
                LOG.log(Level.INFO, "Dropped the fetch response for {0} from broker {1} at epoch {2}: {3}", tp,
                        leaderId, asked.leaderEpoch(), e.getMessage());
                backOff(tp, asked.leaderEpoch(), now + settings.backoffMs());
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "Replicating " + tp + " from broker " + leaderId + " failed", e);
                backOff(tp, asked.leaderEpoch(), now + settings.backoffMs());
            }
        }
    }

    /** What a partition was fetched from: its replica then, the leader epoch, and the offset asked for. */
    private record Fetching(Partition partition, int leaderEpoch, long fetchOffset) {
    }

    private synchronized boolean isFollowing(TopicPartition tp, int epoch) {
        long[] state = partitions.get(tp);
        return state != null && state[0] == epoch;
    }

    private void handleData(TopicPartition tp, Partition partition, int leaderEpoch, long fetchOffset,
                            FetchResponseData.PartitionData data) {
        if (FetchResponse.isDivergingEpoch(data)) {
            FetchResponseData.EpochEndOffset diverging = data.divergingEpoch();
            LeaderEpochCache.EpochEndOffset local = partition.leaderEpochCache().endOffsetFor(diverging.epoch(),
                    partition.log().logEndOffset());
            long truncateTo = local.endOffset() < 0 ? partition.log().logStartOffset()
                    : Math.min(diverging.endOffset(), local.endOffset());
            truncateTo = Math.max(truncateTo, partition.log().logStartOffset());
            LOG.log(Level.INFO, "{0}: the log diverged from leader {1} at epoch {2}; truncating to {3}", tp,
                    leaderId, diverging.epoch(), truncateTo);
            partition.truncateTo(truncateTo, leaderId, leaderEpoch);
            return;
        }
        MemoryRecords records = FetchResponse.recordsOrFail(data) instanceof MemoryRecords memory ? memory
                : MemoryRecords.EMPTY;
        if (records.sizeInBytes() > 0 && partition.log().logEndOffset() == fetchOffset) {
            partition.appendAsFollower(records, leaderId, leaderEpoch);
        }
        partition.updateFollowerHighWatermark(data.highWatermark(), leaderId, leaderEpoch);
    }

    private void handleOutOfRange(TopicPartition tp, Partition partition, int leaderEpoch, long fetchOffset,
                                  FetchResponseData.PartitionData data) {
        long leaderStart = data.logStartOffset();
        if (leaderStart >= 0 && fetchOffset < leaderStart) {
            LOG.log(Level.INFO, "{0}: offset {1} is below leader {2}''s log start {3}; starting over there", tp,
                    fetchOffset, leaderId, leaderStart);
            partition.truncateFullyAndStartAt(leaderStart, leaderId, leaderEpoch);
        } else if (data.highWatermark() >= 0 && fetchOffset > data.highWatermark()) {
            LOG.log(Level.INFO, "{0}: offset {1} is past leader {2}''s end; truncating to its high watermark {3}",
                    tp, fetchOffset, leaderId, data.highWatermark());
            partition.truncateTo(data.highWatermark(), leaderId, leaderEpoch);
        } else {
            backOff(tp, leaderEpoch, System.currentTimeMillis() + settings.backoffMs());
        }
    }

    /**
     * Waits {@code ms}, or less if the fetcher is shut down meanwhile. Never by interruption: an interrupt that comes
     * while the thread appends to or truncates a log closes the log's file channel, which takes its whole log
     * directory offline.
     */
    private synchronized void rest(long ms) {
        long deadline = System.nanoTime() + ms * 1_000_000L;
        try {
            for (long left = ms; running && left > 0; left = (deadline - System.nanoTime()) / 1_000_000L) {
                wait(left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void shutdown() {
        running = false;
        synchronized (this) {
            notifyAll();
        }
        if (thread != null) {
            // Closing the socket ends a fetch the thread is blocked in; the thread is not interrupted, as that would
            // close the file channel of a log it is writing to (see rest).
            channel.close();
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
