package io.strata.jms.client;

import jakarta.jms.DeliveryMode;
import jakarta.jms.InvalidSelectorException;
import jakarta.jms.JMSException;
import jakarta.jms.Message;
import org.apache.activemq.artemis.api.core.SimpleString;
import org.apache.activemq.artemis.selector.filter.BooleanExpression;
import org.apache.activemq.artemis.selector.filter.FilterException;
import org.apache.activemq.artemis.selector.filter.Filterable;
import org.apache.activemq.artemis.selector.impl.SelectorParser;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A JMS message selector evaluated in the client, for the subscribers that read without a share group (a
 * non-durable unshared topic subscriber): the broker evaluates selectors only for share members. Parsing and
 * evaluation are Apache Artemis's selector library, the one the broker runs, with the same refusals (Artemis's dialect
 * options and its XPATH/XQUERY predicates are not JMS) and the same view of header fields (JMSDeliveryMode as
 * {@code 'PERSISTENT'}/{@code 'NON_PERSISTENT'}), so that a selector means the same on both paths. Also how a
 * selector is checked before it is sent to the broker, so that a bad one fails at once with
 * {@link InvalidSelectorException}. Immutable, thread-safe.
 */
final class LocalSelector {

    private static final Pattern DIALECT_PREFIX = Pattern.compile(
            "^\\s*(no_)?(convert_string_expressions|hyphenated_props):");
    private static final Pattern XML_PREDICATE = Pattern.compile("\\b(XPATH|XQUERY)\\b");

    private final String text;
    private final BooleanExpression expression;

    private LocalSelector(String text, BooleanExpression expression) {
        this.text = text;
        this.expression = expression;
    }

    /** The selector {@code text}, or null for none (null or blank: JMS says every message is selected). */
    static LocalSelector parse(String text) throws InvalidSelectorException {
        if (text == null || text.isBlank()) {
            return null;
        }
        if (DIALECT_PREFIX.matcher(text).find()
                || XML_PREDICATE.matcher(text.replaceAll("'[^']*'", "''").toUpperCase(Locale.ROOT)).find()) {
            throw new InvalidSelectorException("invalid message selector \"" + text + "\": XPATH, XQUERY and"
                    + " Artemis dialect options are not JMS");
        }
        try {
            return new LocalSelector(text, SelectorParser.parse(text));
        } catch (FilterException | RuntimeException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            String reason = String.valueOf(cause.getMessage());
            int newline = reason.indexOf('\n');
            throw JmsErrors.withCause(new InvalidSelectorException("invalid message selector \"" + text + "\": "
                    + (newline < 0 ? reason : reason.substring(0, newline)).trim()), e);
        }
    }

    String text() {
        return text;
    }

    /** Whether the selector is TRUE for {@code message} (not FALSE, not NULL; an evaluation error is no match). */
    boolean matches(Message message) {
        try {
            return expression.matches(new MessageView(message));
        } catch (FilterException | RuntimeException e) {
            return false;
        }
    }

    /**
     * A message as Artemis' selector reads it. A class, not a record: the Eclipse Transformer that makes the javax.jms
     * jar does not rewrite a record's component types, so a record of a jakarta.jms type would keep that type there.
     */
    private static final class MessageView implements Filterable {
        private final Message message;

        MessageView(Message message) {
            this.message = message;
        }

        @Override
        public <T> T getBodyAs(Class<T> type) {
            return null;
        }

        @Override
        public Object getProperty(SimpleString name) {
            try {
                return switch (name.toString()) {
                    case "JMSDeliveryMode" -> message.getJMSDeliveryMode() == DeliveryMode.NON_PERSISTENT
                            ? "NON_PERSISTENT" : "PERSISTENT";
                    case "JMSPriority" -> message.getJMSPriority();
                    case "JMSTimestamp" -> message.getJMSTimestamp();
                    case "JMSMessageID" -> message.getJMSMessageID();
                    case "JMSCorrelationID" -> message.getJMSCorrelationID();
                    case "JMSType" -> message.getJMSType();
                    default -> message.getObjectProperty(name.toString());
                };
            } catch (JMSException e) {
                return null;
            }
        }

        @Override
        public Object getLocalConnectionId() {
            return null;
        }
    }
}
