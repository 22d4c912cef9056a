package io.strata.bench;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.annotations.Mode;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Runs the storage benchmarks in one go and prints each figure with its ratio to the plain {@code FileChannel} write
 * ceiling measured in the same run: (a) the ceiling, (b) Strata appends, (c) reads sent with {@code transferTo},
 * (d) recovery time per GiB.
 *
 * <p>{@code java -jar bench/target/strata-bench.jar [quick]}; {@code quick} shortens every measurement.
 */
public final class StorageBenchmarkReport {

    private static final double MB = 1_000_000.0;

    private StorageBenchmarkReport() {
    }

    public static void main(String[] args) throws RunnerException {
        boolean quick = args.length > 0 && args[0].equals("quick");
        Collection<RunResult> throughput = new Runner(common(quick)
                .include(AppendBenchmark.class.getSimpleName())
                .include(TransferToReadBenchmark.class.getSimpleName())
                .mode(Mode.Throughput)
                .timeUnit(TimeUnit.SECONDS)
                .build()).run();
        Collection<RunResult> recovery = new Runner(common(quick)
                .include(RecoveryBenchmark.class.getSimpleName())
                .mode(Mode.SingleShotTime)
                .timeUnit(TimeUnit.MILLISECONDS)
                .warmupIterations(1)
                .measurementIterations(quick ? 2 : 5)
                .build()).run();
        print(throughput, recovery);
    }

    private static ChainedOptionsBuilder common(boolean quick) {
        return new OptionsBuilder()
                .forks(1)
                .jvmArgsAppend("-Xms1g", "-Xmx1g")
                .warmupIterations(quick ? 1 : 2)
                .warmupTime(TimeValue.seconds(quick ? 1 : 3))
                .measurementIterations(quick ? 2 : 4)
                .measurementTime(TimeValue.seconds(quick ? 1 : 4))
                .shouldFailOnError(true);
    }

    private static void print(Collection<RunResult> throughput, Collection<RunResult> recovery) {
        int small = StorageFixtures.batch(16384).limit();
        int large = StorageFixtures.batch(1048576).limit();
        int fetchBytes = (TransferToReadBenchmark.FETCH_BYTES / small) * small;

        List<Row> rows = new ArrayList<>();
        Figure rawSmall = figure(throughput, "file", "16384", "false", small);
        Figure rawLarge = figure(throughput, "file", "1048576", "false", large);
        Figure rawSmallForced = figure(throughput, "file", "16384", "true", small);
        Figure rawLargeForced = figure(throughput, "file", "1048576", "true", large);
        rows.add(new Row("(a) FileChannel.write, 16 KiB buffers", rawSmall, rawSmall));
        rows.add(new Row("(a) FileChannel.write, 1 MiB buffers", rawLarge, rawLarge));
        rows.add(new Row("(a) FileChannel.write + force, 16 KiB", rawSmallForced, rawSmallForced));
        rows.add(new Row("(a) FileChannel.write + force, 1 MiB", rawLargeForced, rawLargeForced));
        rows.add(new Row("(b) Strata append, 16 KiB batches", figure(throughput, "strata", "16384", "false", small), rawSmall));
        rows.add(new Row("(b) Strata append, 1 MiB batches", figure(throughput, "strata", "1048576", "false", large), rawLarge));
        rows.add(new Row("(b) Strata append + flush, 16 KiB", figure(throughput, "strata", "16384", "true", small), rawSmallForced));
        rows.add(new Row("(b) Strata append + flush, 1 MiB", figure(throughput, "strata", "1048576", "true", large), rawLargeForced));
        Figure rawRead = readFigure(throughput, "raw", TransferToReadBenchmark.FETCH_BYTES);
        Figure strataRead = readFigure(throughput, "strata", fetchBytes);
        rows.add(new Row("(c) plain transferTo, 1 MiB reads", rawRead, rawLarge));
        rows.add(new Row("(c) Strata read + transferTo, 1 MiB", strataRead, rawLarge));

        RunResult recovered = recovery.iterator().next();
        double msPerRun = recovered.getPrimaryResult().getScore();
        double recoveredMbPerSecond = RecoveryBenchmark.LOG_BYTES / MB / (msPerRun / 1000.0);
        double secondsPerGiB = msPerRun / 1000.0 * (1L << 30) / RecoveryBenchmark.LOG_BYTES;
        rows.add(new Row("(d) recovery, every batch checked", new Figure(recoveredMbPerSecond,
                recovered.getPrimaryResult().getScoreError() / msPerRun * recoveredMbPerSecond), rawLarge));

        System.out.println();
        System.out.println("Strata storage benchmark: one JMH run, same disk, ratios against (a) of the same size and"
                + " flush mode; reads and recovery against (a) 1 MiB without force.");
        System.out.printf(Locale.ROOT, "%-42s %12s %10s %8s%n", "case", "MB/s", "+/-", "ratio");
        for (Row row : rows) {
            System.out.printf(Locale.ROOT, "%-42s %12.1f %10.1f %8.2f%n", row.name, row.figure.mbPerSecond,
                    row.figure.error, row.figure.mbPerSecond / row.baseline.mbPerSecond);
        }
        System.out.printf(Locale.ROOT, "%-42s %12.2f s/GiB  (%.0f ms for %d MiB)%n", "(d) recovery time per GiB",
                secondsPerGiB, msPerRun, RecoveryBenchmark.LOG_BYTES >> 20);
        System.out.printf(Locale.ROOT, "%-42s %12.2f%n", "(c) Strata read / plain transferTo",
                strataRead.mbPerSecond / rawRead.mbPerSecond);
    }

    /** The append figure for a target ("file" or "strata"), batch size and flush mode, in MB/s. */
    private static Figure figure(Collection<RunResult> results, String target, String batchBytes, String flush,
                                 int bytesPerOperation) {
        for (RunResult result : results) {
            if (result.getParams().getBenchmark().contains("AppendBenchmark")
                    && target.equals(result.getParams().getParam("target"))
                    && batchBytes.equals(result.getParams().getParam("batchBytes"))
                    && flush.equals(result.getParams().getParam("flush"))) {
                return toMegabytes(result, bytesPerOperation);
            }
        }
        throw new IllegalStateException("no append result for " + target + " " + batchBytes + " " + flush);
    }

    private static Figure readFigure(Collection<RunResult> results, String path, int bytesPerOperation) {
        for (RunResult result : results) {
            if (result.getParams().getBenchmark().contains("TransferToReadBenchmark")
                    && path.equals(result.getParams().getParam("path"))) {
                return toMegabytes(result, bytesPerOperation);
            }
        }
        throw new IllegalStateException("no read result for " + path);
    }

    private static Figure toMegabytes(RunResult result, int bytesPerOperation) {
        double opsPerSecond = result.getPrimaryResult().getScore();
        double error = result.getPrimaryResult().getScoreError();
        return new Figure(opsPerSecond * bytesPerOperation / MB, error * bytesPerOperation / MB);
    }

    private record Figure(double mbPerSecond, double error) {
    }

    private record Row(String name, Figure figure, Figure baseline) {
    }
}
