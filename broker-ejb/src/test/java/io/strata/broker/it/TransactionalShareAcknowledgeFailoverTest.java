package io.strata.broker.it;

import io.strata.broker.api.AcknowledgementTransaction;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicIdPartition;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.message.ShareAcknowledgeResponseData;
import org.apache.kafka.common.message.ShareFetchResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A consume-transform-produce loop whose share acknowledgements ride in the producer's transaction, in a 3-broker
 * cluster of separate JVMs, with one broker SIGKILLed between a unit of work's acknowledgements and its commit.
 *
 * <p>What the design promises (docs/protocol-extensions.md, "Failover, precisely"): pending acknowledgements are
 * stored with the share state before they are answered. So when the input partition's leader dies with them pending,
 * the new leader holds them pending and the transaction's outcome decides them: committed, the inputs are never
 * delivered again; aborted, they are delivered again one delivery count higher, and the aborted output is never
 * visible. When the <em>transaction coordinator's</em> broker dies instead, the pending acknowledgements are untouched
 * and the new coordinator finishes the transaction. Either way every input is in the committed output exactly once.
 */
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class TransactionalShareAcknowledgeFailoverTest {

    private static final int INPUTS = 40;
    private static final Duration AT_MOST = Duration.ofSeconds(180);
    private static final String TRANSACTIONAL_ID = "share-loop";
    private static final String GROUP = "loopers";
    private static final byte ACCEPT = 1;
    private static final byte RELEASE = 2;

    @TempDir
    Path dir;

    @Test
    void theInputLeaderKilledBeforeACommitNeitherLosesNorDeliversAgainThatTransactionsInputs() throws Exception {
        run(Victim.INPUT_LEADER, true);
    }

    @Test
    void theInputLeaderKilledBeforeAnAbortDeliversThatTransactionsInputsAgainOneDeliveryHigher() throws Exception {
        run(Victim.INPUT_LEADER, false);
    }

    @Test
    void theTransactionCoordinatorKilledBeforeACommitLosesAndDuplicatesNothing() throws Exception {
        run(Victim.TRANSACTION_COORDINATOR, true);
    }

    private enum Victim { INPUT_LEADER, TRANSACTION_COORDINATOR }

    /** Kills {@code victim} while the third unit of work's acknowledgements are pending, then commits it or aborts. */
    private void run(Victim victim, boolean commitAtKill) throws Exception {
        Map<String, Object> settings = new HashMap<>(ShareGroups.FAST_SHARE_GROUPS);
        settings.put("share.coordinator.state.topic.num.partitions", 3);
        settings.put("transaction.state.log.num.partitions", 1);
        settings.put("transaction.abort.timed.out.transaction.cleanup.interval.ms", 500);
        try (BrokerProcesses brokers = new BrokerProcesses(dir, "share-transaction-failover-" + victim, 3, settings)) {
            brokers.startAll(Duration.ofSeconds(120));
            try (Admin admin = brokers.admin();
                 KafkaProducer<String, String> producer = transactional(brokers)) {
                producer.initTransactions();
                int coordinator = await().atMost(AT_MOST).ignoreExceptions().until(() -> admin
                        .describeTransactions(List.of(TRANSACTIONAL_ID)).description(TRANSACTIONAL_ID)
                        .get(10, TimeUnit.SECONDS).coordinatorId(), id -> id > 0);
                // The input led by another broker than the coordinator, the output by the third.
                int inputLeader = coordinator % 3 + 1;
                int outputLeader = inputLeader % 3 + 1;
                createTopic(admin, "loop-in", inputLeader);
                createTopic(admin, "loop-out", outputLeader);
                produceInputs(brokers.bootstrapServers());
                ShareGroups.configure(admin, GROUP, Map.of("share.auto.offset.reset", "earliest"));
                int killed = victim == Victim.INPUT_LEADER ? inputLeader : coordinator;

                Killed kill = loop(brokers, admin, producer, killed, commitAtKill);
                Set<Long> pendingAtKill = kill.pendingInputs();

                Map<Long, Integer> outputs = committedOutputs(brokers.bootstrapServers());
                Set<Long> all = new TreeSet<>();
                for (long offset = 0; offset < INPUTS; offset++) {
                    all.add(offset);
                }
                assertThat(outputs.keySet()).as("every input processed and committed").isEqualTo(all);
                assertThat(pendingAtKill).as("the kill came between acknowledgements and commit").isNotEmpty();
                assertThat(kill.committed()).as("the transaction at the kill ended as the test chose")
                        .isEqualTo(commitAtKill);
                // Exactly once: whichever broker died, every input's output is committed once, the aborted one never.
                outputs.forEach((offset, times) -> assertThat(times).as("input " + offset).isEqualTo(1));
                for (long offset : pendingAtKill) {
                    List<Integer> deliveries = kill.deliveryCounts().get(offset);
                    if (commitAtKill) {
                        assertThat(deliveries).as("input " + offset + ", committed while pending at the kill, is"
                                + " never delivered again").containsExactly(1);
                    } else {
                        assertThat(deliveries).as("input " + offset + ", aborted while pending at the kill, is"
                                + " delivered again one delivery higher").startsWith(1, 2);
                    }
                }
            }
        }
    }

    /**
     * The inputs whose acknowledgements were pending at the kill, whether their transaction then committed, and the
     * delivery count of every delivery of each input, in order.
     */
    private record Killed(Set<Long> pendingInputs, boolean committed, Map<Long, List<Integer>> deliveryCounts) {
    }

    /**
     * Processes the input until every record was committed once and nothing more comes; kills {@code victim} after
     * the acknowledgements of the third unit of work, then commits that unit ({@code commitAtKill}) or aborts it.
     */
    private Killed loop(BrokerProcesses brokers, Admin admin, KafkaProducer<String, String> producer, int victim,
                        boolean commitAtKill) throws Exception {
        Map<Long, List<Integer>> deliveryCounts = new TreeMap<>();
        TopicIdPartition input = inputPartition(admin);
        Set<Long> committed = new TreeSet<>();
        Set<Long> pendingAtKill = new TreeSet<>();
        int commits = 0;
        boolean committedAtKill = false;
        int quietFetches = 0;
        ShareMember member = null;
        long deadline = System.nanoTime() + AT_MOST.toNanos();
        try {
            while (committed.size() < INPUTS || quietFetches < 4) {
                assertThat(System.nanoTime()).as("the loop ends in time; committed " + committed).isLessThan(deadline);
                if (member == null) {
                    member = memberOnLeader(admin, input, pendingAtKill.isEmpty() ? -1 : victim);
                    if (member == null) {
                        continue;
                    }
                }
                ShareFetchResponseData.PartitionData fetched = fetch(member, input);
                if (fetched == null) {
                    member.close();
                    member = null;
                    continue;
                }
                Map<Long, String> inputs = ShareTransactions.acquiredData(fetched);
                fetched.acquiredRecords().forEach(records -> {
                    for (long offset = records.firstOffset(); offset <= records.lastOffset(); offset++) {
                        deliveryCounts.computeIfAbsent(offset, o -> new java.util.ArrayList<>())
                                .add((int) records.deliveryCount());
                    }
                });
                quietFetches = inputs.isEmpty() ? quietFetches + 1 : 0;
                if (inputs.isEmpty()) {
                    if (!fetched.acquiredRecords().isEmpty() && !acknowledgedPlainly(member, fetched, ACCEPT)) {
                        member.close();
                        member = null;
                    }
                    continue;
                }
                producer.beginTransaction();
                inputs.keySet().forEach(offset -> producer.send(new ProducerRecord<>("loop-out", 0, null,
                        Long.toString(offset))));
                producer.flush();
                AcknowledgementTransaction transaction = await().atMost(AT_MOST).ignoreExceptions()
                        .until(() -> ShareTransactions.transactionOf(admin, TRANSACTIONAL_ID), t -> t != null);
                if (!acknowledged(member, fetched, transaction)) {
                    // Refused (the coordinator moving, say): nothing is pending; the inputs go back for another try.
                    producer.abortTransaction();
                    if (!acknowledgedPlainly(member, fetched, RELEASE)) {
                        member.close();
                        member = null;
                    }
                    continue;
                }
                boolean killing = ++commits == 3;
                if (killing) {
                    pendingAtKill.addAll(inputs.keySet());
                    brokers.kill(victim);
                }
                if (killing && !commitAtKill) {
                    assertThat(acquiredAtNewLeader(admin, input, victim)).as("the new leader holds the inputs"
                            + " pending until the transaction ends").doesNotContainAnyElementsOf(pendingAtKill);
                    abort(producer);
                } else if (commit(producer)) {
                    committed.addAll(inputs.keySet());
                    committedAtKill |= killing;
                }
            }
        } finally {
            if (member != null) {
                member.close();
            }
        }
        return new Killed(pendingAtKill, committedAtKill, deliveryCounts);
    }

    /** The member's fetch, or null when its broker is gone or does not serve the partition (any more). */
    private static ShareFetchResponseData.PartitionData fetch(ShareMember member, TopicIdPartition input) {
        try {
            ShareFetchResponseData response = member.fetchTagged(member.epoch == 0 ? List.of(input) : List.of(),
                    List.of(), null, 5, 500);
            if (response.errorCode() != Errors.NONE.code()) {
                return null;
            }
            if (response.responses().isEmpty()) {
                return new ShareFetchResponseData.PartitionData();
            }
            ShareFetchResponseData.PartitionData partition = response.responses().iterator().next().partitions().get(0);
            return partition.errorCode() == Errors.NONE.code() ? partition : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static boolean acknowledged(ShareMember member, ShareFetchResponseData.PartitionData fetched,
                                        AcknowledgementTransaction transaction) {
        try {
            ShareAcknowledgeResponseData acked = member.acknowledgeTagged(
                    ShareTransactions.acknowledgements(fetched, ACCEPT),
                    ShareTransactions.acknowledgeField(transaction), false);
            return acked.errorCode() == Errors.NONE.code()
                    && acked.responses().iterator().next().partitions().get(0).errorCode() == Errors.NONE.code();
        } catch (IOException e) {
            return false;
        }
    }

    /** Acknowledges outside any transaction; false when the member's broker is gone. */
    private static boolean acknowledgedPlainly(ShareMember member, ShareFetchResponseData.PartitionData fetched,
                                               byte type) {
        try {
            member.acknowledgeTagged(ShareTransactions.acknowledgements(fetched, type), null, false);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Commits, retrying what kafka-clients allow to retry; false when the transaction had to be aborted. */
    private static boolean commit(KafkaProducer<String, String> producer) {
        for (int attempt = 0; attempt < 5; attempt++) {
            try {
                producer.commitTransaction();
                return true;
            } catch (TimeoutException e) {
                // Retried: the coordinator moves (or the marker's partition gets a new leader).
            } catch (KafkaException e) {
                producer.abortTransaction();
                return false;
            }
        }
        throw new AssertionError("the commit did not complete in five attempts");
    }

    /**
     * What one fetch of a new member at the input's new leader acquires while the transaction at the kill is still
     * open (given back at once, outside any transaction); waits, bounded, until the new leader serves the partition.
     */
    private static Set<Long> acquiredAtNewLeader(Admin admin, TopicIdPartition input, int victim) throws Exception {
        return await().atMost(AT_MOST).until(() -> {
            ShareMember member = memberOnLeader(admin, input, victim);
            if (member == null) {
                return null;
            }
            try {
                ShareFetchResponseData.PartitionData fetched = fetch(member, input);
                if (fetched == null) {
                    return null;
                }
                Set<Long> acquired = new TreeSet<>();
                fetched.acquiredRecords().forEach(records -> {
                    for (long offset = records.firstOffset(); offset <= records.lastOffset(); offset++) {
                        acquired.add(offset);
                    }
                });
                if (!fetched.acquiredRecords().isEmpty()) {
                    acknowledgedPlainly(member, fetched, RELEASE);
                }
                return acquired;
            } finally {
                member.close();
            }
        }, acquired -> acquired != null);
    }

    /** Aborts, retrying while the markers wait for a new leader of a partition. */
    private static void abort(KafkaProducer<String, String> producer) {
        for (int attempt = 0; attempt < 5; attempt++) {
            try {
                producer.abortTransaction();
                return;
            } catch (TimeoutException e) {
                // Retried: the input partition's new leader is being elected.
            }
        }
        throw new AssertionError("the abort did not complete in five attempts");
    }

    /** A share member on the input's current leader, if it is known and not {@code notBroker}; else null. */
    private static ShareMember memberOnLeader(Admin admin, TopicIdPartition input, int notBroker) throws Exception {
        Node leader = await().atMost(AT_MOST).ignoreExceptions().until(() -> admin.describeTopics(List.of("loop-in"))
                .allTopicNames().get(10, TimeUnit.SECONDS).get("loop-in").partitions().get(0).leader(),
                node -> node != null && node.id() != notBroker);
        try {
            return new ShareMember(leader.host() + ":" + leader.port(), GROUP, input);
        } catch (IOException e) {
            return null;
        }
    }

    private static TopicIdPartition inputPartition(Admin admin) throws Exception {
        TopicDescription description = admin.describeTopics(List.of("loop-in")).allTopicNames()
                .get(30, TimeUnit.SECONDS).get("loop-in");
        return new TopicIdPartition(description.topicId(), 0, "loop-in");
    }

    private static void createTopic(Admin admin, String name, int leader) throws Exception {
        List<Integer> replicas = List.of(leader, leader % 3 + 1, (leader + 1) % 3 + 1);
        admin.createTopics(List.of(new NewTopic(name, Map.of(0, replicas))
                .configs(Map.of("min.insync.replicas", "2")))).all().get(30, TimeUnit.SECONDS);
    }

    private static KafkaProducer<String, String> transactional(BrokerProcesses brokers) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers.bootstrapServers(),
                ProducerConfig.TRANSACTIONAL_ID_CONFIG, TRANSACTIONAL_ID,
                ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 60_000,
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000,
                ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000,
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName()));
    }

    private static void produceInputs(String bootstrapServers) {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers, ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName()))) {
            for (int i = 0; i < INPUTS; i++) {
                producer.send(new ProducerRecord<>("loop-in", 0, null, "in-" + i));
            }
            producer.flush();
        }
    }

    /** The committed output: how many times each input offset's output was committed. */
    private static Map<Long, Integer> committedOutputs(String bootstrapServers) {
        Map<Long, Integer> outputs = new TreeMap<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName()))) {
            TopicPartition out = new TopicPartition("loop-out", 0);
            consumer.assign(List.of(out));
            consumer.seekToBeginning(List.of(out));
            // The last commit's markers may still be on their way: read until every input is there and the position
            // reached the last stable offset.
            await().atMost(AT_MOST).until(() -> {
                consumer.poll(Duration.ofMillis(200)).forEach(record ->
                        outputs.merge(Long.parseLong(record.value()), 1, Integer::sum));
                return outputs.size() == INPUTS && consumer.position(out) >= consumer.endOffsets(List.of(out)).get(out);
            });
        }
        return outputs;
    }
}
