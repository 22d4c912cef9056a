package io.strata.storage.segment;

import io.strata.storage.file.FileChannelCache;

import java.time.Clock;

/**
 * What every segment of a store shares: the bounded set of open files, the bounded index memory, and the clock.
 * Thread-safe.
 */
public record LogResources(FileChannelCache files, IndexCache indexes, Clock clock) {}
