package io.strata.broker.cluster;

import io.strata.broker.config.BrokerConfig;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Hazelcast member a standalone broker configures: when it has a CP Subsystem, and how failures are timed. */
class HazelcastMemberConfigTest {

    private static BrokerConfig config(String join, Integer cpMembers) {
        Map<String, Object> settings = new HashMap<>();
        settings.put(BrokerConfig.NODE_ID, 1);
        settings.put(BrokerConfig.CLUSTER_JOIN, join);
        settings.put(BrokerConfig.BROKER_SESSION_TIMEOUT_MS, 4000);
        if (cpMembers != null) {
            settings.put(BrokerConfig.CLUSTER_CP_MEMBER_COUNT, cpMembers);
        }
        return BrokerConfig.of(settings);
    }

    private static int cpMembers(String join, Integer cpMembers) {
        return HazelcastCluster.memberConfig(config(join, cpMembers)).getCPSubsystemConfig().getCPMemberCount();
    }

    @Test
    void threeOrMoreListedMembersGetACpSubsystemOfThreeByDefault() {
        assertThat(cpMembers("tcpip:127.0.0.1:5701,127.0.0.1:5702,127.0.0.1:5703", null)).isEqualTo(3);
        assertThat(cpMembers("tcpip:a:5701,b:5701,c:5701,d:5701,e:5701", null)).isEqualTo(3);
    }

    @Test
    void oneOrTwoMembersOrMulticastHaveNoCpSubsystemByDefault() {
        assertThat(cpMembers("tcpip:127.0.0.1:5701,127.0.0.1:5702", null)).isZero();
        assertThat(cpMembers("tcpip:127.0.0.1:5701", null)).isZero();
        assertThat(cpMembers("multicast", null)).isZero();
    }

    @Test
    void anExplicitCountWins() {
        assertThat(cpMembers("tcpip:127.0.0.1:5701,127.0.0.1:5702,127.0.0.1:5703", 0)).isZero();
        assertThat(cpMembers("multicast", 5)).isEqualTo(5);
    }

    @Test
    void cpSessionsAreTimedByTheBrokerSessionTimeoutAndMissingMembersAreNotRemovedByHazelcast() {
        var cp = HazelcastCluster.memberConfig(config("tcpip:a,b,c", null)).getCPSubsystemConfig();
        assertThat(cp.getSessionTimeToLiveSeconds()).isEqualTo(6);
        // A member Hazelcast removes while the network cuts it off can never be promoted again: the controller
        // election removes missing members itself, only when another can take the place.
        assertThat(cp.getMissingCPMemberAutoRemovalSeconds()).isEqualTo(4 * 60 * 60);
        assertThat(cp.getSessionHeartbeatIntervalSeconds()).isEqualTo(1);
        assertThat(cp.getRaftAlgorithmConfig().getLeaderElectionTimeoutInMillis()).isEqualTo(1000);
    }

    @Test
    void aLostInvocationFailsWithinHalfAMinuteNotTwoMinutes() {
        // Hazelcast gives up on an invocation without answer or heartbeat after twice the call timeout.
        var hz = HazelcastCluster.memberConfig(config("tcpip:a,b,c", null));
        assertThat(Long.parseLong(hz.getProperty("hazelcast.operation.call.timeout.millis"))).isEqualTo(15_000);
    }

    @Test
    void joinAndGracefulShutdownWaitAsLongAsHazelcastsDefaultsUnlessSetInWholeSecondsRoundedUp() {
        var defaults = HazelcastCluster.memberConfig(config("tcpip:a,b,c", null));
        assertThat(defaults.getNetworkConfig().getJoin().getTcpIpConfig().getConnectionTimeoutSeconds()).isEqualTo(5);
        assertThat(defaults.getProperty("hazelcast.graceful.shutdown.max.wait")).isEqualTo("10");

        Map<String, Object> settings = new HashMap<>();
        settings.put(BrokerConfig.NODE_ID, 1);
        settings.put(BrokerConfig.CLUSTER_JOIN, "tcpip:a,b,c");
        settings.put(BrokerConfig.CLUSTER_JOIN_TIMEOUT_MS, 1000);
        settings.put(BrokerConfig.CLUSTER_SHUTDOWN_TIMEOUT_MS, 1500);
        var set = HazelcastCluster.memberConfig(BrokerConfig.of(settings));
        assertThat(set.getNetworkConfig().getJoin().getTcpIpConfig().getConnectionTimeoutSeconds()).isEqualTo(1);
        assertThat(set.getProperty("hazelcast.graceful.shutdown.max.wait")).isEqualTo("2");

        settings.put(BrokerConfig.CLUSTER_JOIN_TIMEOUT_MS, 999);
        assertThatThrownBy(() -> BrokerConfig.of(settings)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(BrokerConfig.CLUSTER_JOIN_TIMEOUT_MS);
    }

    @Test
    void aCpSubsystemOfOneOrTwoIsRefused() {
        assertThatThrownBy(() -> config("tcpip:a,b", 2)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(BrokerConfig.CLUSTER_CP_MEMBER_COUNT).hasMessageContaining("at least 3");
    }
}
