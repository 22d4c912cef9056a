package io.strata.broker.share.selector;

import io.strata.broker.share.ShareRecord;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.selector.filter.BooleanExpression;
import org.apache.activemq.artemis.selector.filter.FilterException;
import org.apache.activemq.artemis.selector.filter.Filterable;
import org.apache.activemq.artemis.selector.impl.SelectorParser;

import java.util.Locale;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * A JMS message selector (JMS 3.1 section 3.8.1: identifiers, literals, comparisons, AND/OR/NOT with three-valued
 * logic, arithmetic, BETWEEN, IN, LIKE with ESCAPE, IS [NOT] NULL) parsed once and tested against records through
 * their {@link RecordJmsProperties}. A share member's filter (ARCHITECTURE.md, decision 10).
 *
 * <p>Parsing and evaluation are Apache Artemis's selector library, the one Artemis's own broker runs; this class is
 * the only one that touches it. What the library accepts beyond JMS is refused: its XPATH and XQUERY predicates
 * (which would read the record's value as XML) and its option prefixes that change the dialect. A record whose
 * evaluation fails does not match; it is not an error that stops the partition.
 *
 * <p>Cost: parsing is linear in the selector's length, bounded by {@link #MAX_LENGTH}; an evaluation visits the
 * expression once and reads only the headers it names. Immutable and thread-safe.
 */
public final class MessageSelector {

    /** The longest selector accepted, in characters: far beyond any hand-written one, short of a memory risk. */
    public static final int MAX_LENGTH = 16_384;

    /** Artemis's dialect options, which start a selector text; none is JMS. */
    private static final Pattern DIALECT_PREFIX = Pattern.compile(
            "^\\s*(no_)?(convert_string_expressions|hyphenated_props):");
    /** Artemis's XML predicates over the message body. */
    private static final Pattern XML_PREDICATE = Pattern.compile("\\b(XPATH|XQUERY)\\b");

    private final String text;
    private final BooleanExpression expression;

    private MessageSelector(String text, BooleanExpression expression) {
        this.text = text;
        this.expression = expression;
    }

    /**
     * Parses {@code text}.
     *
     * @throws InvalidSelectorException naming what is wrong, when it is not a JMS selector
     */
    public static MessageSelector parse(String text) throws InvalidSelectorException {
        if (text == null || text.isBlank()) {
            throw new InvalidSelectorException("a message selector cannot be empty; send none to select every"
                    + " record");
        }
        if (text.length() > MAX_LENGTH) {
            throw new InvalidSelectorException("message selector of " + text.length() + " characters is longer"
                    + " than the " + MAX_LENGTH + " allowed");
        }
        if (DIALECT_PREFIX.matcher(text).find()) {
            throw new InvalidSelectorException("invalid message selector \"" + text + "\": Artemis dialect options"
                    + " are not JMS");
        }
        if (XML_PREDICATE.matcher(outsideLiterals(text).toUpperCase(Locale.ROOT)).find()) {
            throw new InvalidSelectorException("invalid message selector \"" + text + "\": XPATH and XQUERY are"
                    + " not JMS; a selector reads record headers only");
        }
        try {
            return new MessageSelector(text, SelectorParser.parse(text));
        } catch (FilterException e) {
            throw new InvalidSelectorException("invalid message selector \"" + text + "\": " + reason(e));
        }
    }

    /** The selector as the client sent it. */
    public String text() {
        return text;
    }

    /** Whether a record with these properties is selected: the selector is TRUE for it (not FALSE, not NULL). */
    public boolean matches(RecordJmsProperties properties) {
        try {
            return expression.matches(new Properties(properties));
        } catch (FilterException | RuntimeException e) {
            return false;
        }
    }

    /** The records of one topic partition this selector selects. */
    public Predicate<ShareRecord> forPartition(String topic, int partition) {
        return record -> matches(new RecordJmsProperties(topic, partition, record));
    }

    @Override
    public String toString() {
        return text;
    }

    /** The text without its string literals ('...' with '' inside), where keywords are looked for. */
    private static String outsideLiterals(String text) {
        StringBuilder outside = new StringBuilder(text.length());
        boolean inLiteral = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\'') {
                inLiteral = !inLiteral;
                outside.append(' ');
            } else {
                outside.append(inLiteral ? ' ' : c);
            }
        }
        return outside.toString();
    }

    /** The parser's complaint, first line only: the rest lists every token it would have taken. */
    private static String reason(FilterException e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        int newline = message.indexOf('\n');
        return (newline < 0 ? message : message.substring(0, newline)).trim();
    }

    /** The properties as Artemis's evaluator asks for them. */
    private record Properties(RecordJmsProperties properties) implements Filterable {
        @Override
        public <T> T getBodyAs(Class<T> type) {
            return null;
        }

        @Override
        public Object getProperty(SimpleString name) {
            return properties.get(name.toString());
        }

        @Override
        public Object getLocalConnectionId() {
            return null;
        }
    }
}
