package io.strata.cli.produce;

import io.strata.cli.CliException;

import java.io.IOException;
import java.io.Reader;

/**
 * Reads standard input a line at a time, like BufferedReader.readLine, but with a bound on the line length: a
 * line longer than a record can be is reported as an error instead of being buffered until memory runs out.
 * Lines end at "\n"; a "\r" before it is dropped, so files written on Windows produce the same records.
 *
 * <p>Not thread-safe; read from one thread.
 */
final class LineReader {

    private final Reader reader;
    private final int lineCharsMax;
    private final StringBuilder line = new StringBuilder();
    private long lineNumber;

    LineReader(Reader reader, int lineCharsMax) {
        if (lineCharsMax < 1) {
            throw new IllegalArgumentException("lineCharsMax must be at least 1, got " + lineCharsMax);
        }
        this.reader = reader;
        this.lineCharsMax = lineCharsMax;
    }

    /** The next line without its terminator, or null at the end of input. */
    String next() throws IOException {
        line.setLength(0);
        int c = reader.read();
        if (c < 0) {
            return null;
        }
        lineNumber++;
        while (c >= 0 && c != '\n') {
            if (line.length() == lineCharsMax) {
                throw new CliException("line " + lineNumber + " is longer than " + lineCharsMax
                        + " characters, more than a record may hold (max.request.size)");
            }
            line.append((char) c);
            c = reader.read();
        }
        int length = line.length();
        if (length > 0 && line.charAt(length - 1) == '\r') {
            line.setLength(length - 1);
        }
        return line.toString();
    }

    /** The number of the line last returned, counting from 1. */
    long lineNumber() {
        return lineNumber;
    }
}
