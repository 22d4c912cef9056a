package io.strata.broker.share.selector;

import io.strata.broker.share.ShareRecord;
import org.apache.kafka.common.header.Header;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * A record seen as a JMS message by a message selector: its JMS properties and the JMS header fields a selector may
 * name (JMS 3.1 section 3.8.1.1), read from the record's headers as the JMS adapter writes them
 * (docs/protocol-extensions.md, "Share filters"):
 *
 * <ul>
 *   <li>A property is the record header whose key is its name (the last one, if the key repeats); its value is the
 *   property value's text in UTF-8. It is a String unless the header {@value #TYPES_HEADER} declares another type
 *   for it: that header's value lists {@code name=type} pairs separated by commas, types being {@code boolean},
 *   {@code byte}, {@code short}, {@code int}, {@code long}, {@code float} and {@code double}. A value that does not
 *   parse as its declared type, or a declared type that does not exist, makes the property NULL.</li>
 *   <li>{@code JMSDeliveryMode} is {@code 'NON_PERSISTENT'} when its header says {@code NON_PERSISTENT} (or
 *   {@code 1}, the JMS constant), else {@code 'PERSISTENT'}. {@code JMSPriority} is an int, 4 without a header.
 *   {@code JMSTimestamp} is a long, the record's timestamp without a header. {@code JMSMessageID} is its header, or
 *   else {@code ID:<topic>:<partition>:<offset>}, unique and stable for as long as the record exists (a topic name
 *   holds no colon). {@code JMSCorrelationID} and {@code JMSType} are Strings. Their types are JMS's whatever
 *   {@value #TYPES_HEADER} says.</li>
 *   <li>Any other name is NULL, so selectors follow JMS's three-valued logic over it.</li>
 * </ul>
 *
 * <p>Work is done when a property is asked for: a scan of the headers (a record has a handful), and the type
 * declarations parsed once per record. Not thread-safe: one selector evaluation uses it.
 */
public final class RecordJmsProperties {

    /** The header that declares the types of the properties that are not Strings. */
    public static final String TYPES_HEADER = "strata.jms.types";
    /** JMSPriority of a record without that header (JMS's default priority). */
    public static final int DEFAULT_PRIORITY = 4;

    private static final String PERSISTENT = "PERSISTENT";
    private static final String NON_PERSISTENT = "NON_PERSISTENT";
    /** Marks a declared type that is not one of the seven, or a declaration without a type. */
    private static final String BAD_TYPE = "";

    private final String topic;
    private final int partition;
    private final ShareRecord record;
    /** Declared types by property name; null until first needed. */
    private Map<String, String> declaredTypes;

    public RecordJmsProperties(String topic, int partition, ShareRecord record) {
        this.topic = topic;
        this.partition = partition;
        this.record = record;
    }

    /** What a selector sees for {@code name}: a String, Boolean, Byte, Short, Integer, Long, Float, Double, or null. */
    public Object get(String name) {
        return switch (name) {
            case "JMSDeliveryMode" -> deliveryMode();
            case "JMSPriority" -> {
                String text = header(name);
                yield text == null ? Integer.valueOf(DEFAULT_PRIORITY) : parse(text, "int");
            }
            case "JMSTimestamp" -> {
                String text = header(name);
                yield text != null ? parse(text, "long")
                        : record.timestampMs() >= 0 ? Long.valueOf(record.timestampMs()) : null;
            }
            case "JMSMessageID" -> {
                String text = header(name);
                yield text != null ? text : messageId(topic, partition, record.offset());
            }
            case "JMSCorrelationID", "JMSType" -> header(name);
            default -> property(name);
        };
    }

    /** The JMSMessageID of a record that carries none: {@code ID:<topic>:<partition>:<offset>}. */
    public static String messageId(String topic, int partition, long offset) {
        return "ID:" + topic + ":" + partition + ":" + offset;
    }

    private Object property(String name) {
        String text = header(name);
        if (text == null) {
            return null;
        }
        String type = declaredTypes().get(name);
        return type == null ? text : parse(text, type);
    }

    private String deliveryMode() {
        String text = header("JMSDeliveryMode");
        return NON_PERSISTENT.equals(text) || "1".equals(text) ? NON_PERSISTENT : PERSISTENT;
    }

    /** The value's text of the last header named {@code key}, or null when there is none or its value is null. */
    private String header(String key) {
        Header[] headers = record.headers();
        for (int i = headers.length - 1; i >= 0; i--) {
            if (headers[i].key().equals(key)) {
                byte[] value = headers[i].value();
                return value == null ? null : new String(value, StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    private Map<String, String> declaredTypes() {
        if (declaredTypes == null) {
            declaredTypes = parseDeclarations(header(TYPES_HEADER));
        }
        return declaredTypes;
    }

    /** {@code name=type,name=type}: a pair without '=' is ignored; a type not known is {@link #BAD_TYPE}. */
    static Map<String, String> parseDeclarations(String declarations) {
        Map<String, String> types = new HashMap<>();
        if (declarations == null || declarations.isEmpty()) {
            return types;
        }
        for (String pair : declarations.split(",")) {
            int equals = pair.indexOf('=');
            if (equals <= 0) {
                continue;
            }
            String type = pair.substring(equals + 1).trim();
            types.put(pair.substring(0, equals).trim(), switch (type) {
                case "boolean", "byte", "short", "int", "long", "float", "double" -> type;
                default -> BAD_TYPE;
            });
        }
        return types;
    }

    /** {@code text} as a value of {@code type}, or null when it is not one. */
    static Object parse(String text, String type) {
        try {
            return switch (type) {
                case "boolean" -> "true".equalsIgnoreCase(text) ? Boolean.TRUE
                        : "false".equalsIgnoreCase(text) ? Boolean.FALSE : null;
                case "byte" -> Byte.valueOf(text);
                case "short" -> Short.valueOf(text);
                case "int" -> Integer.valueOf(text);
                case "long" -> Long.valueOf(text);
                case "float" -> Float.valueOf(text);
                case "double" -> Double.valueOf(text);
                default -> null;
            };
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
