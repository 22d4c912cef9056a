package io.strata.broker.api;

import io.strata.broker.delayed.DelayedFetch;
import io.strata.broker.delayed.FetchPurgatory;
import io.strata.broker.metadata.Controller;
import io.strata.broker.metadata.TopicImage;
import io.strata.broker.network.Request;
import io.strata.broker.network.RequestChannel;
import io.strata.broker.network.StoredRecords;
import io.strata.broker.partition.Partition;
import io.strata.broker.partition.ReplicaManager;
import io.strata.storage.file.FileRegion;
import io.strata.storage.log.LeaderEpochCache;
import io.strata.storage.log.LogReadResult;
import io.strata.storage.segment.TransactionIndex.AbortedTransaction;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.message.FetchRequestData;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.message.FetchResponseData.FetchableTopicResponse;
import org.apache.kafka.common.message.FetchResponseData.PartitionData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FetchResponse;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.LongConsumer;

/**
 * Fetch for consumers: whole batches from each partition's offset up to its high watermark (up to its last stable
 * offset for {@code isolation_level=READ_COMMITTED}, with the aborted transactions overlapping what is returned, so
 * that the consumer skips their records), within the request's
 * {@code max.bytes} and each partition's limit (the first partition with data may exceed them by one batch, so that a
 * large batch is never stuck), sent from the log files zero-copy. When fewer than {@code min.bytes} are ready the
 * fetch waits in the {@link FetchPurgatory} until appends bring enough or {@code max.wait.ms} passes.
 *
 * <p>Fetch sessions (KIP-227) are not kept: every response carries session id 0, which tells clients to send full
 * fetch requests, as they do against a Kafka broker whose session cache is full.
 */
final class FetchHandler implements ApiHandler {

    private final RequestChannel requestChannel;
    private final Controller controller;
    private final ReplicaManager replicas;
    private final FetchPurgatory purgatory;
    private final FetchPurgatory replicaPurgatory;
    private final LongConsumer bytesOut;
    private final java.time.Clock clock;

    /**
     * @param purgatory        where consumers' fetches wait, woken as the high watermark moves
     * @param replicaPurgatory where followers' fetches wait, woken by appends
     */
    FetchHandler(RequestChannel requestChannel, Controller controller, ReplicaManager replicas,
                 FetchPurgatory purgatory, FetchPurgatory replicaPurgatory, LongConsumer bytesOut,
                 java.time.Clock clock) {
        this.requestChannel = requestChannel;
        this.controller = controller;
        this.replicas = replicas;
        this.purgatory = purgatory;
        this.replicaPurgatory = replicaPurgatory;
        this.bytesOut = bytesOut;
        this.clock = clock;
    }

    /** One partition a fetch asks for. */
    private record Wanted(String topic, Uuid topicId, int partition, long offset, int maxBytes, int leaderEpoch,
                          int lastFetchedEpoch) {
    }

    /** Who is fetching: a consumer ({@code replicaId} -1) or a follower. */
    private record Fetcher(int replicaId) {
        boolean isFollower() {
            return replicaId >= 0;
        }
    }

    /** What one pass over the wanted partitions read, with the regions to close once sent. */
    private record Attempt(FetchResponseData data, List<AutoCloseable> regions, long bytes, boolean anyError) {
        void release() {
            for (AutoCloseable region : regions) {
                try {
                    region.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    @Override
    public void handle(Request request, AbstractRequest body) {
        FetchRequest fetch = (FetchRequest) body;
        FetchRequestData data = fetch.data();
        short version = request.context().apiVersion();
        Fetcher fetcher = new Fetcher(fetch.isFromFollower() ? fetch.replicaId() : -1);
        if (data.sessionId() != 0) {
            requestChannel.sendResponse(request, FetchResponse.of(new FetchResponseData()
                    .setErrorCode(Errors.FETCH_SESSION_ID_NOT_FOUND.code()).setSessionId(0)));
            return;
        }
        List<Wanted> wanted = wantedPartitions(data, version);
        boolean readCommitted = fetch.isolationLevel() == IsolationLevel.READ_COMMITTED;
        int maxBytes = version >= 3 ? data.maxBytes() : Integer.MAX_VALUE;
        boolean mayWait = data.maxWaitMs() > 0 && data.minBytes() > 0 && !wanted.isEmpty();
        Waiting waiting = !mayWait ? null : new Waiting(wanted, wanted.stream()
                .map(w -> new TopicPartition(w.topic(), w.partition())).distinct().toList(), maxBytes, version,
                readCommitted && !fetcher.isFollower(), fetcher, data.minBytes(), clock.millis() + data.maxWaitMs());
        Ends before = waiting == null ? null : ends(waiting);
        Attempt attempt = read(wanted, maxBytes, version, readCommitted, fetcher);
        if (waiting == null || attempt.bytes() >= data.minBytes() || attempt.anyError()) {
            respond(request, attempt);
            return;
        }
        awaitData(request, waiting, attempt, before);
    }

    /** A fetch waiting for data until {@code deadlineMs}; {@code partitions} are those it reads, each once. */
    private record Waiting(List<Wanted> wanted, List<TopicPartition> partitions, int maxBytes, short version,
                           boolean committedOnly, Fetcher fetcher, int minBytes, long deadlineMs) {
    }

    /**
     * How far each partition of a waiting fetch could be read ({@code readable}: its log end for a follower, its high
     * watermark for a consumer, its last stable offset for a read_committed one) and its high watermark, taken just
     * before a read: what moved after that, the read may have missed.
     */
    private record Ends(long[] readable, long[] highWatermarks) {
        /**
         * Whether what the fetch may read moved; for a read_committed one, also whether records were appended behind
         * the last stable offset, which it does not count while waiting. A follower's own fetch moves the high
         * watermark, and does not count.
         */
        boolean differFrom(Ends other, boolean committedOnly) {
            return !Arrays.equals(readable, other.readable)
                    || committedOnly && !Arrays.equals(highWatermarks, other.highWatermarks);
        }
    }

    /**
     * Parks a fetch that found fewer than {@code min.bytes} in the purgatory, to be read again once appends (or, for
     * consumers, high watermark moves) bring enough, or when {@code max.wait.ms} passes. A read_committed fetch is read
     * again only once the last stable offset moved, as Kafka's: not at every append behind an open transaction, and
     * at once when a commit makes records readable that were appended before (a marker is far smaller than the
     * records it releases). If still short then, it waits on for the rest of its time.
     *
     * @param before the partitions' ends taken before {@code attempt} read them
     */
    private void awaitData(Request request, Waiting waiting, Attempt attempt, Ends before) {
        long available = attempt.bytes();
        attempt.release();
        List<Wanted> wanted = waiting.wanted();
        Fetcher fetcher = waiting.fetcher();
        FetchPurgatory waitIn = fetcher.isFollower() ? replicaPurgatory : purgatory;
        long remainingMs = Math.max(1, waiting.deadlineMs() - clock.millis());
        DelayedFetch.Readiness readiness = waiting.committedOnly()
                ? lastStableOffsetMoved(waiting.partitions(), before) : DelayedFetch.Readiness.BYTES_APPENDED;
        DelayedFetch delayed = new DelayedFetch(waiting.partitions(), waiting.minBytes(), available, readiness, () -> {
            Ends beforeAgain = ends(waiting);
            Attempt again = read(wanted, waiting.maxBytes(), waiting.version(), waiting.committedOnly(), fetcher);
            boolean stillShort = again.bytes() < waiting.minBytes() && !again.anyError();
            if (waiting.committedOnly() && stillShort && clock.millis() < waiting.deadlineMs()) {
                awaitData(request, waiting, again, beforeAgain);
            } else {
                respond(request, again);
            }
        });
        waitIn.watch(delayed, remainingMs);
        // What moved between the read and the watch would not wake the fetch: look once more.
        if (ends(waiting).differFrom(before, waiting.committedOnly())) {
            waitIn.completeNow(delayed);
        }
    }

    /**
     * When a waiting read_committed fetch should read again: once the last stable offset of one of its partitions
     * has moved, and either the bytes counted for it reach {@code min.bytes} (records appended while it waits are
     * counted as the high watermark passes them, before the last stable offset can), or that partition held records
     * between its last stable offset and its high watermark when the fetch read it: records that were not counted
     * and that the commit may have made readable.
     */
    private DelayedFetch.Readiness lastStableOffsetMoved(List<TopicPartition> partitions, Ends before) {
        return (bytesCounted, minBytes) -> {
            boolean moved = false;
            for (int i = 0; i < partitions.size(); i++) {
                Partition partition = replicas.partition(partitions.get(i));
                if (partition == null) {
                    return true;
                }
                if (partition.lastStableOffset() > before.readable()[i]) {
                    if (before.readable()[i] < before.highWatermarks()[i]) {
                        return true;
                    }
                    moved = true;
                }
            }
            return moved && bytesCounted >= minBytes;
        };
    }

    /** The ends of the partitions {@code waiting} reads, now. */
    private Ends ends(Waiting waiting) {
        List<TopicPartition> partitions = waiting.partitions();
        long[] readable = new long[partitions.size()];
        long[] highWatermarks = new long[partitions.size()];
        for (int i = 0; i < partitions.size(); i++) {
            TopicPartition tp = partitions.get(i);
            Partition partition = tp.topic() == null ? null : replicas.partition(tp);
            if (partition == null) {
                readable[i] = -1;
                highWatermarks[i] = -1;
                continue;
            }
            highWatermarks[i] = partition.highWatermark();
            readable[i] = waiting.fetcher().isFollower() ? partition.log().logEndOffset()
                    : waiting.committedOnly() ? partition.lastStableOffset() : highWatermarks[i];
        }
        return new Ends(readable, highWatermarks);
    }

    private List<Wanted> wantedPartitions(FetchRequestData data, short version) {
        List<Wanted> wanted = new ArrayList<>();
        for (FetchRequestData.FetchTopic topic : data.topics()) {
            String name = topic.topic();
            if (version >= 13) {
                TopicImage image = controller.image().topic(topic.topicId());
                name = image == null ? null : image.name();
            }
            for (FetchRequestData.FetchPartition partition : topic.partitions()) {
                wanted.add(new Wanted(name, topic.topicId(), partition.partition(), partition.fetchOffset(),
                        partition.partitionMaxBytes(), partition.currentLeaderEpoch(), partition.lastFetchedEpoch()));
            }
        }
        return wanted;
    }

    private Attempt read(List<Wanted> wanted, int maxBytes, short version, boolean readCommitted, Fetcher fetcher) {
        List<FetchableTopicResponse> topics = new ArrayList<>();
        List<AutoCloseable> regions = new ArrayList<>();
        long remaining = maxBytes;
        long total = 0;
        boolean minOneBatch = version >= 3;
        boolean anyError = false;
        FetchableTopicResponse current = null;
        for (Wanted w : wanted) {
            if (current == null || !sameTopic(current, w, version)) {
                current = new FetchableTopicResponse().setTopic(version >= 13 ? "" : w.topic())
                        .setTopicId(w.topicId() == null ? Uuid.ZERO_UUID : w.topicId());
                topics.add(current);
            }
            PartitionData partitionData = new PartitionData().setPartitionIndex(w.partition())
                    .setHighWatermark(FetchResponse.INVALID_HIGH_WATERMARK)
                    .setLastStableOffset(FetchResponse.INVALID_LAST_STABLE_OFFSET)
                    .setLogStartOffset(FetchResponse.INVALID_LOG_START_OFFSET)
                    .setRecords(MemoryRecords.EMPTY);
            current.partitions().add(partitionData);
            Errors error = readPartition(w, partitionData, (int) Math.min(Integer.MAX_VALUE, Math.max(0, remaining)),
                    minOneBatch, readCommitted, version, regions, fetcher);
            if (error != Errors.NONE) {
                partitionData.setErrorCode(error.code());
                anyError = true;
                continue;
            }
            int size = partitionData.records() == null ? 0 : partitionData.records().sizeInBytes();
            if (size > 0) {
                minOneBatch = false;
                remaining -= size;
                total += size;
            }
        }
        return new Attempt(new FetchResponseData().setSessionId(0).setResponses(topics), regions, total, anyError);
    }

    private static boolean sameTopic(FetchableTopicResponse response, Wanted w, short version) {
        return version >= 13 ? response.topicId().equals(w.topicId()) : response.topic().equals(w.topic());
    }

    private Errors readPartition(Wanted w, PartitionData out, int remainingBytes, boolean minOneBatch,
                                 boolean readCommitted, short version, List<AutoCloseable> regions, Fetcher fetcher) {
        if (w.topic() == null) {
            return Errors.UNKNOWN_TOPIC_ID;
        }
        TopicImage topic = controller.image().topic(w.topic());
        if (topic == null || topic.partition(w.partition()) == null) {
            return version >= 13 ? Errors.UNKNOWN_TOPIC_ID : Errors.UNKNOWN_TOPIC_OR_PARTITION;
        }
        Partition partition = replicas.partition(new TopicPartition(w.topic(), w.partition()));
        if (partition == null || !partition.isLeader()) {
            return Errors.NOT_LEADER_OR_FOLLOWER;
        }
        try {
            partition.checkLeaderEpoch(Optional.of(w.leaderEpoch()));
            int limit = Math.min(w.maxBytes(), remainingBytes);
            if (fetcher.isFollower()) {
                if (w.lastFetchedEpoch() >= 0) {
                    LeaderEpochCache.EpochEndOffset end = partition.leaderEpochCache().endOffsetFor(
                            w.lastFetchedEpoch(), partition.log().logEndOffset());
                    if (end.epoch() < w.lastFetchedEpoch() || end.endOffset() < w.offset()) {
                        // The follower's log diverged: it truncates to where this epoch ends and asks again.
                        out.setHighWatermark(partition.highWatermark())
                                .setLogStartOffset(partition.log().logStartOffset())
                                .setDivergingEpoch(new FetchResponseData.EpochEndOffset().setEpoch(end.epoch())
                                        .setEndOffset(end.endOffset()));
                        return Errors.NONE;
                    }
                }
                partition.recordFollowerFetch(fetcher.replicaId(), w.offset(), clock.millis());
            }
            // Read once: the records, the field and the aborted transactions all go by the same last stable offset.
            long lastStableOffset = partition.lastStableOffset();
            boolean committedOnly = readCommitted && !fetcher.isFollower();
            LogReadResult result = fetcher.isFollower() ? partition.readForFollower(w.offset(), limit, minOneBatch)
                    : partition.readForConsumer(w.offset(), limit, minOneBatch,
                    committedOnly ? lastStableOffset : Long.MAX_VALUE);
            FileRegion region = result.records();
            out.setHighWatermark(partition.highWatermark())
                    .setLastStableOffset(lastStableOffset)
                    .setLogStartOffset(result.logStartOffset());
            // As Kafka: a list for read_committed (empty when nothing is returned), none (null) otherwise. A log
            // that indexes no aborted transaction from the fetch offset on (the usual case) is not searched.
            out.setAbortedTransactions(!committedOnly ? null
                    : region.sizeInBytes() > 0 && partition.log().hasAbortedTransactionsFrom(w.offset())
                    ? abortedTransactions(partition, w.offset(), partition.log().nextOffsetAfter(result))
                    : new ArrayList<>());
            if (region.sizeInBytes() > 0) {
                out.setRecords(new StoredRecords(region));
                regions.add(region);
                bytesOut.accept(region.sizeInBytes());
            }
            return Errors.NONE;
        } catch (ApiException e) {
            out.setHighWatermark(partition.highWatermark()).setLogStartOffset(partition.log().logStartOffset());
            return Errors.forException(e);
        }
    }

    /**
     * The aborted transactions a read_committed consumer needs to skip the aborted records of a read from
     * {@code fetchOffset}: every one overlapping the offsets the read returned, up to {@code nextOffset}.
     */
    private static List<FetchResponseData.AbortedTransaction> abortedTransactions(Partition partition,
                                                                                  long fetchOffset,
                                                                                  long nextOffset) {
        List<FetchResponseData.AbortedTransaction> aborted = new ArrayList<>();
        for (AbortedTransaction found : partition.abortedTransactions(fetchOffset, nextOffset)) {
            aborted.add(new FetchResponseData.AbortedTransaction().setProducerId(found.producerId())
                    .setFirstOffset(found.firstOffset()));
        }
        return aborted;
    }

    private void respond(Request request, Attempt attempt) {
        requestChannel.sendResponse(request, FetchResponse.of(attempt.data()), attempt.regions());
    }
}
