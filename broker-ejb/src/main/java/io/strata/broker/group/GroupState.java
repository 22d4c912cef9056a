package io.strata.broker.group;

/** The states of a classic consumer group, named as DescribeGroups and ListGroups show them. */
public enum GroupState {
    EMPTY("Empty"),
    PREPARING_REBALANCE("PreparingRebalance"),
    COMPLETING_REBALANCE("CompletingRebalance"),
    STABLE("Stable"),
    DEAD("Dead");

    private final String display;

    GroupState(String display) {
        this.display = display;
    }

    /** The name Kafka clients and tools use. */
    public String display() {
        return display;
    }

    public static GroupState fromDisplay(String name) {
        for (GroupState state : values()) {
            if (state.display.equalsIgnoreCase(name)) {
                return state;
            }
        }
        return null;
    }
}
