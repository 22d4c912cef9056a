package io.strata.bench.kafka;

/** The three tool runs of one case against one broker. Immutable. */
record CaseResult(BenchCase benchCase, String broker, ToolRun<ProducerFigures> produce,
                  ToolRun<ConsumerFigures> consume, ToolRun<LatencyFigures> endToEnd) {

    /** A case none of whose tools could run, e.g. because its topics could not be created. */
    static CaseResult failed(BenchCase benchCase, String broker, String failure) {
        return new CaseResult(benchCase, broker, ToolRun.failed(failure), ToolRun.failed(failure),
                ToolRun.failed(failure));
    }
}
