package io.strata.bench.kafka;

/**
 * One broker's outcome of one case of bin/bench-jms: the measured figures, or why there are none. Immutable.
 *
 * @param result  the measurement; null when the case failed
 * @param failure why the case has no figures; null when it ran
 */
record JmsCaseResult(JmsCase benchCase, String broker, JmsLoad.Result result, String failure) {

    JmsCaseResult {
        if ((result == null) == (failure == null)) {
            throw new IllegalArgumentException("a case result has figures or a failure, not both or neither");
        }
    }

    static JmsCaseResult measured(JmsCase benchCase, String broker, JmsLoad.Result result) {
        return new JmsCaseResult(benchCase, broker, result, null);
    }

    static JmsCaseResult failed(JmsCase benchCase, String broker, String failure) {
        return new JmsCaseResult(benchCase, broker, null, failure);
    }

    boolean ok() {
        return result != null;
    }
}
