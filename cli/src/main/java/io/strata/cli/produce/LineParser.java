package io.strata.cli.produce;

import io.strata.cli.CliException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits one input line into a record's headers, key and value. With a headers separator the line is
 * {@code HEADERS<sep>REST}, HEADERS being {@code KEY=VALUE} pairs joined by commas (possibly none); with a key
 * separator REST is {@code KEY<sep>VALUE}; otherwise REST is the value and the key is null. Each split is at the
 * first occurrence, so values may contain the separators. Headers given with --header come first on every record.
 *
 * <p>Immutable; thread-safe.
 */
final class LineParser {

    /** What a line becomes. */
    record ParsedLine(byte[] key, byte[] value, List<Header> headers) {
    }

    private static final String HEADER_LIST_SEPARATOR = ",";

    private final String keySeparator;
    private final String headersSeparator;
    private final List<Header> fixedHeaders;

    /**
     * @param keySeparator     null when lines carry no key
     * @param headersSeparator null when lines carry no headers
     * @param fixedHeaders     headers for every record, in order
     */
    LineParser(String keySeparator, String headersSeparator, List<Header> fixedHeaders) {
        if (keySeparator != null && keySeparator.isEmpty() || headersSeparator != null && headersSeparator.isEmpty()) {
            throw new IllegalArgumentException("separators must not be empty");
        }
        this.keySeparator = keySeparator;
        this.headersSeparator = headersSeparator;
        this.fixedHeaders = List.copyOf(fixedHeaders);
    }

    ParsedLine parse(String line, long lineNumber) {
        List<Header> headers = new ArrayList<>(fixedHeaders);
        String rest = line;
        if (headersSeparator != null) {
            int at = rest.indexOf(headersSeparator);
            if (at < 0) {
                throw new CliException("line " + lineNumber + " has no headers separator '" + headersSeparator + "'");
            }
            String list = rest.substring(0, at);
            rest = rest.substring(at + headersSeparator.length());
            if (!list.isEmpty()) {
                for (String pair : list.split(HEADER_LIST_SEPARATOR, -1)) {
                    headers.add(header(pair, "line " + lineNumber));
                }
            }
        }
        byte[] key = null;
        if (keySeparator != null) {
            int at = rest.indexOf(keySeparator);
            if (at < 0) {
                throw new CliException("line " + lineNumber + " has no key separator '" + keySeparator + "'");
            }
            key = bytes(rest.substring(0, at));
            rest = rest.substring(at + keySeparator.length());
        }
        return new ParsedLine(key, bytes(rest), headers);
    }

    /** A header from {@code KEY=VALUE}; {@code where} names the source for the error message. */
    static Header header(String pair, String where) {
        int at = pair.indexOf('=');
        if (at <= 0) {
            throw new CliException(where + ": header '" + pair + "' is not KEY=VALUE");
        }
        return new RecordHeader(pair.substring(0, at), bytes(pair.substring(at + 1)));
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
