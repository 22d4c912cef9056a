package io.strata.jms.client;

import org.apache.kafka.clients.ApiVersions;
import org.apache.kafka.clients.ClientRequest;
import org.apache.kafka.clients.ClientResponse;
import org.apache.kafka.clients.ClientUtils;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.Metadata;
import org.apache.kafka.clients.NetworkClient;
import org.apache.kafka.clients.NetworkClientUtils;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.internals.ClusterResourceListeners;
import org.apache.kafka.common.message.EndTxnRequestData;
import org.apache.kafka.common.message.FindCoordinatorRequestData;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.message.ListTransactionsRequestData;
import org.apache.kafka.common.message.ListTransactionsResponseData;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.protocol.types.RawTaggedField;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.EndTxnRequest;
import org.apache.kafka.common.requests.EndTxnResponse;
import org.apache.kafka.common.requests.FindCoordinatorRequest;
import org.apache.kafka.common.requests.FindCoordinatorResponse;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.InitProducerIdResponse;
import org.apache.kafka.common.requests.ListTransactionsRequest;
import org.apache.kafka.common.requests.ListTransactionsResponse;
import org.apache.kafka.common.requests.MetadataRequest;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.utils.LogContext;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.Utils;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import java.util.Set;

/**
 * The requests of a two-phase commit that kafka-clients' producer cannot send (Strata's
 * {@code strata.transaction.prepare}, docs/protocol-extensions.md), sent to the transaction coordinator over a
 * {@link NetworkClient} of its own, built from the factory's properties (so TLS and SASL apply): EndTxn with the
 * prepare tag, InitProducerId version 6 with {@code KeepPreparedTxn} and EndTxn commit or abort for a transaction
 * prepared by another process, and ListTransactions of the Prepared ones, asked of every broker.
 *
 * <p>Every call waits for its answer, at most {@code request.timeout.ms} per attempt and {@code deadlineMs} in all;
 * answers the coordinator gives while it is busy or moving (CONCURRENT_TRANSACTIONS, NOT_COORDINATOR,
 * COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE) are asked again, after a fresh FindCoordinator, until then.
 * A broker that cannot be reached ends the call with {@link UnreachableException}.
 *
 * <p>Thread-safe: every call is synchronized (the NetworkClient is not).
 */
final class TransactionCoordinatorClient implements AutoCloseable {

    /** Strata's tag of EndTxnRequest that prepares rather than ends (StrataExtensions in broker-ejb). */
    static final int PREPARE_TAG = 32004;
    /** The broker feature of the prepare tag. */
    static final String FEATURE = "strata.transaction.prepare";
    private static final long RETRY_BACKOFF_MS = 50;
    private static final short INIT_PRODUCER_ID_KEEP_PREPARED_VERSION = 6;

    /** No broker answered in time: whether the request was applied is unknown. */
    static final class UnreachableException extends Exception {
        UnreachableException(String message) {
            super(message);
        }
    }

    /** An answer of InitProducerId with KeepPreparedTxn: -1 ongoing ids when nothing was prepared. */
    record KeptTransaction(Errors error, long producerId, short producerEpoch) {
        boolean prepared() {
            return error == Errors.NONE && producerId >= 0;
        }
    }

    private final NetworkClient client;
    private final Metrics metrics;
    private final Time time = Time.SYSTEM;
    private final int requestTimeoutMs;

    TransactionCoordinatorClient(Properties kafkaProperties) {
        Properties properties = new Properties();
        properties.putAll(kafkaProperties);
        properties.putIfAbsent(CommonClientConfigs.CLIENT_ID_CONFIG, "strata-xa");
        properties.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        properties.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        ConsumerConfig config = new ConsumerConfig(properties);
        this.requestTimeoutMs = config.getInt(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG);
        LogContext logContext = new LogContext("[Strata XA] ");
        this.metrics = new Metrics(time);
        Metadata metadata = new Metadata(config.getLong(CommonClientConfigs.RETRY_BACKOFF_MS_CONFIG),
                config.getLong(CommonClientConfigs.RETRY_BACKOFF_MAX_MS_CONFIG),
                config.getLong(CommonClientConfigs.METADATA_MAX_AGE_CONFIG), logContext,
                new ClusterResourceListeners()) {
            @Override
            protected MetadataRequest.Builder newMetadataRequestBuilder() {
                return new MetadataRequest.Builder(List.of(), false); // brokers only
            }
        };
        metadata.bootstrap(ClientUtils.parseAndValidateAddresses(config));
        this.client = ClientUtils.createNetworkClient(config, metrics, "strata-xa", logContext, new ApiVersions(),
                time, 1, metadata, null, null);
    }

    /**
     * Checks that the broker {@code admin} asks advertises {@value #FEATURE}: a Kafka broker (or a Strata broker from
     * before it) cannot keep a branch prepared.
     */
    static void checkSupported(org.apache.kafka.clients.admin.Admin admin, String bootstrapServers)
            throws jakarta.jms.JMSException {
        org.apache.kafka.clients.admin.SupportedVersionRange range;
        try {
            range = admin.describeFeatures().featureMetadata().get(StrataXAResource.CALL_TIMEOUT.toMillis(),
                    java.util.concurrent.TimeUnit.MILLISECONDS).supportedFeatures().get(FEATURE);
        } catch (java.util.concurrent.ExecutionException e) {
            throw JmsErrors.jms("cannot ask the broker at " + bootstrapServers + " whether it supports XA", e.getCause());
        } catch (Exception e) {
            throw StrataConnection.interruptedOr(e, "cannot ask the broker at " + bootstrapServers
                    + " whether it supports XA");
        }
        if (range == null) {
            throw new jakarta.jms.JMSException("XA sessions need brokers that keep a transaction prepared (feature "
                    + FEATURE + "); the broker at " + bootstrapServers + " does not advertise it: use a Strata broker"
                    + " with it, or a transacted session");
        }
    }

    // ------------------------------------------------------------------------------------------------ operations

    /** EndTxn with the prepare tag: the open transaction of the producer becomes Prepared, stored. */
    synchronized Errors prepare(String transactionalId, long producerId, short producerEpoch, long deadlineMs)
            throws UnreachableException {
        EndTxnRequestData data = new EndTxnRequestData().setTransactionalId(transactionalId)
                .setProducerId(producerId).setProducerEpoch(producerEpoch).setCommitted(true);
        data.unknownTaggedFields().add(new RawTaggedField(PREPARE_TAG, new byte[0]));
        return endTxn(transactionalId, data, deadlineMs);
    }

    /** EndTxn commit or abort of a transaction at {@code producerId}/{@code producerEpoch}. */
    synchronized Errors end(String transactionalId, long producerId, short producerEpoch, boolean commit,
                            long deadlineMs) throws UnreachableException {
        return endTxn(transactionalId, new EndTxnRequestData().setTransactionalId(transactionalId)
                .setProducerId(producerId).setProducerEpoch(producerEpoch).setCommitted(commit), deadlineMs);
    }

    /**
     * InitProducerId version 6 with {@code Enable2Pc} and {@code KeepPreparedTxn}: the producer id and epoch of the
     * id's Prepared transaction, kept; -1 when none is prepared (then the call was an ordinary InitProducerId).
     */
    synchronized KeptTransaction keepPrepared(String transactionalId, int timeoutMs, long deadlineMs)
            throws UnreachableException {
        InitProducerIdRequestData data = new InitProducerIdRequestData().setTransactionalId(transactionalId)
                .setTransactionTimeoutMs(timeoutMs).setEnable2Pc(true).setKeepPreparedTxn(true);
        while (true) {
            Node coordinator = coordinator(transactionalId, deadlineMs);
            ClientResponse response = send(coordinator, new InitProducerIdVersion6(data), deadlineMs);
            if (response == null) {
                continue;
            }
            InitProducerIdResponseData answer = ((InitProducerIdResponse) response.responseBody()).data();
            Errors error = Errors.forCode(answer.errorCode());
            if (retriable(error)) {
                backOff(deadlineMs, transactionalId);
                continue;
            }
            return new KeptTransaction(error, error == Errors.NONE ? answer.ongoingTxnProducerId() : -1,
                    error == Errors.NONE ? answer.ongoingTxnProducerEpoch() : -1);
        }
    }

    /**
     * The transactional ids in state Prepared that start with {@code prefix}, from every broker of {@code brokers}
     * (each lists those it coordinates). A broker that does not answer fails the call: a partial list would hide
     * prepared branches from the transaction manager's recovery.
     */
    synchronized Set<String> listPrepared(Collection<Node> brokers, String prefix, long deadlineMs)
            throws UnreachableException {
        Set<String> ids = new java.util.TreeSet<>();
        for (Node broker : brokers) {
            while (true) {
                ListTransactionsRequestData data = new ListTransactionsRequestData()
                        .setStateFilters(List.of("Prepared"))
                        .setTransactionalIdPattern(java.util.regex.Pattern.quote(prefix) + ".*");
                ClientResponse response = send(broker, new ListTransactionsRequest.Builder(data), deadlineMs);
                if (response == null) {
                    continue;
                }
                ListTransactionsResponseData answer = ((ListTransactionsResponse) response.responseBody()).data();
                Errors error = Errors.forCode(answer.errorCode());
                if (error == Errors.COORDINATOR_LOAD_IN_PROGRESS) {
                    backOff(deadlineMs, "the transactions of broker " + broker.id());
                    continue;
                }
                if (error != Errors.NONE) {
                    throw new UnreachableException("broker " + broker.id() + " did not list its prepared"
                            + " transactions: " + error);
                }
                for (ListTransactionsResponseData.TransactionState state : answer.transactionStates()) {
                    if (state.transactionalId().startsWith(prefix)) {
                        ids.add(state.transactionalId());
                    }
                }
                break;
            }
        }
        return ids;
    }

    // ------------------------------------------------------------------------------------------------ requests

    private Errors endTxn(String transactionalId, EndTxnRequestData data, long deadlineMs)
            throws UnreachableException {
        while (true) {
            Node coordinator = coordinator(transactionalId, deadlineMs);
            ClientResponse response = send(coordinator, new EndTxnRequest.Builder(data, true), deadlineMs);
            if (response == null) {
                continue;
            }
            Errors error = Errors.forCode(((EndTxnResponse) response.responseBody()).data().errorCode());
            if (!retriable(error)) {
                return error;
            }
            backOff(deadlineMs, transactionalId);
        }
    }

    private static boolean retriable(Errors error) {
        return error == Errors.CONCURRENT_TRANSACTIONS || error == Errors.NOT_COORDINATOR
                || error == Errors.COORDINATOR_LOAD_IN_PROGRESS || error == Errors.COORDINATOR_NOT_AVAILABLE;
    }

    /** The coordinator of {@code transactionalId}, as a node with an id of its own (its connection apart). */
    private Node coordinator(String transactionalId, long deadlineMs) throws UnreachableException {
        while (true) {
            Node any = client.leastLoadedNode(time.milliseconds()).node();
            if (any == null) {
                backOff(deadlineMs, "any broker");
                client.poll(RETRY_BACKOFF_MS, time.milliseconds());
                continue;
            }
            ClientResponse response = send(any, new FindCoordinatorRequest.Builder(new FindCoordinatorRequestData()
                    .setKeyType(FindCoordinatorRequest.CoordinatorType.TRANSACTION.id())
                    .setCoordinatorKeys(List.of(transactionalId))), deadlineMs);
            if (response == null) {
                continue;
            }
            FindCoordinatorResponse answer = (FindCoordinatorResponse) response.responseBody();
            FindCoordinatorResponseData.Coordinator found = answer.coordinatorByKey(transactionalId).orElse(null);
            if (found != null && found.errorCode() == Errors.NONE.code()) {
                return new Node(Integer.MAX_VALUE - found.nodeId(), found.host(), found.port());
            }
            backOff(deadlineMs, "the coordinator of " + transactionalId);
        }
    }

    /** The answer, or null when the broker could not be reached or did not answer (try again before the deadline). */
    private ClientResponse send(Node node, AbstractRequest.Builder<?> request, long deadlineMs)
            throws UnreachableException {
        long nowMs = time.milliseconds();
        if (nowMs >= deadlineMs) {
            throw new UnreachableException("no answer from the brokers in time (" + request.apiKey() + ")");
        }
        try {
            if (!NetworkClientUtils.awaitReady(client, node, time, Math.min(requestTimeoutMs, deadlineMs - nowMs))) {
                backOff(deadlineMs, "broker " + node);
                return null;
            }
            ClientRequest sent = client.newClientRequest(node.idString(), request, time.milliseconds(), true,
                    (int) Math.max(1, Math.min(requestTimeoutMs, deadlineMs - time.milliseconds())), null);
            ClientResponse response = NetworkClientUtils.sendAndReceive(client, sent, time);
            if (response.versionMismatch() != null) {
                throw new UnreachableException("the broker cannot take " + request.apiKey() + ": "
                        + response.versionMismatch().getMessage());
            }
            return response.hasResponse() ? response : null;
        } catch (IOException e) {
            backOff(deadlineMs, "broker " + node + " (" + e.getMessage() + ")");
            return null;
        }
    }

    private void backOff(long deadlineMs, String what) throws UnreachableException {
        if (time.milliseconds() + RETRY_BACKOFF_MS >= deadlineMs) {
            throw new UnreachableException("no usable answer about " + what + " in time");
        }
        time.sleep(RETRY_BACKOFF_MS);
    }

    @Override
    public synchronized void close() {
        Utils.closeQuietly(client, "the XA coordinator client");
        Utils.closeQuietly(metrics, "the XA coordinator client's metrics");
    }

    /**
     * InitProducerId at version 6, which kafka-clients 4.3.1 marks unstable and would not choose by itself; the
     * broker must support it (checked with the feature before).
     */
    private static final class InitProducerIdVersion6 extends AbstractRequest.Builder<InitProducerIdRequest> {
        private final InitProducerIdRequestData data;

        InitProducerIdVersion6(InitProducerIdRequestData data) {
            super(ApiKeys.INIT_PRODUCER_ID, INIT_PRODUCER_ID_KEEP_PREPARED_VERSION,
                    INIT_PRODUCER_ID_KEEP_PREPARED_VERSION);
            this.data = data;
        }

        @Override
        public InitProducerIdRequest build(short version) {
            return new InitProducerIdRequest.Builder(data).build(version);
        }
    }
}
