package io.strata.broker.ejb;

import io.strata.broker.local.GroupInfo;
import io.strata.broker.local.OffsetRange;
import io.strata.broker.local.OutgoingRecord;
import io.strata.broker.local.RecordPosition;
import io.strata.broker.local.StoredRecord;
import io.strata.broker.local.Strata;
import io.strata.broker.local.TopicInfo;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * The injected {@link Strata}: each call goes to the broker running now, so a bean that holds it keeps working
 * across a restart of the broker and fails clearly while it is down. Thread-safe.
 */
final class StrataDelegate implements Strata {

    private final BrokerService broker;

    StrataDelegate(BrokerService broker) {
        this.broker = broker;
    }

    private Strata local() {
        return broker.server().local();
    }

    @Override
    public RecordPosition send(OutgoingRecord record) {
        return local().send(record);
    }

    @Override
    public List<StoredRecord> read(String topic, int partition, long offset, int maxRecords) {
        return local().read(topic, partition, offset, maxRecords);
    }

    @Override
    public OffsetRange offsets(String topic, int partition) {
        return local().offsets(topic, partition);
    }

    @Override
    public GroupSubscription subscribe(String groupId, Collection<String> topics) {
        return local().subscribe(groupId, topics);
    }

    @Override
    public TopicInfo createTopic(String name, int partitions, Map<String, String> configs) {
        return local().createTopic(name, partitions, configs);
    }

    @Override
    public TopicInfo describeTopic(String name) {
        return local().describeTopic(name);
    }

    @Override
    public List<String> listTopics() {
        return local().listTopics();
    }

    @Override
    public void deleteTopic(String name) {
        local().deleteTopic(name);
    }

    @Override
    public GroupInfo describeGroup(String groupId) {
        return local().describeGroup(groupId);
    }

    @Override
    public List<String> listGroups() {
        return local().listGroups();
    }
}
