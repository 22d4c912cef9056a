package io.strata.broker.local;

import java.util.List;

/**
 * A consumer group as its coordinator sees it: state ({@code Empty}, {@code PreparingRebalance},
 * {@code CompletingRebalance}, {@code Stable}, {@code Dead}), the chosen protocol, the members with the partitions
 * each holds, and per committed partition the committed offset, the end offset and the lag. Immutable.
 */
public record GroupInfo(String groupId, String state, String protocol, List<Member> members, List<PartitionLag> lags) {

    public GroupInfo {
        members = List.copyOf(members);
        lags = List.copyOf(lags);
    }

    /** A member and the partitions assigned to it ({@code topic-partition}). */
    public record Member(String memberId, String groupInstanceId, String clientId, String host,
                         List<String> partitions) {
        public Member {
            partitions = List.copyOf(partitions);
        }
    }

    /** A partition's committed offset, end offset and the records between them. */
    public record PartitionLag(String topic, int partition, long committed, long end, long lag) {
    }
}
