package io.strata.jms.record;

import io.strata.jms.destination.StrataQueue;
import io.strata.jms.destination.StrataTemporaryQueue;
import io.strata.jms.destination.StrataTemporaryTopic;
import io.strata.jms.destination.StrataTopic;
import io.strata.jms.message.MessageProperties;
import io.strata.jms.message.ObjectMessageAllowList;
import io.strata.jms.message.PropertyNames;
import io.strata.jms.message.StrataBytesMessage;
import io.strata.jms.message.StrataMapMessage;
import io.strata.jms.message.StrataMessage;
import io.strata.jms.message.StrataObjectMessage;
import io.strata.jms.message.StrataStreamMessage;
import io.strata.jms.message.StrataTextMessage;
import jakarta.jms.BytesMessage;
import jakarta.jms.DeliveryMode;
import jakarta.jms.Destination;
import jakarta.jms.JMSException;
import jakarta.jms.MapMessage;
import jakarta.jms.Message;
import jakarta.jms.MessageEOFException;
import jakarta.jms.MessageFormatException;
import jakarta.jms.ObjectMessage;
import jakarta.jms.Queue;
import jakarta.jms.StreamMessage;
import jakarta.jms.TemporaryQueue;
import jakarta.jms.TemporaryTopic;
import jakarta.jms.TextMessage;
import jakarta.jms.Topic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The mapping between JMS messages and Kafka records, version 1 (docs/jms-mapping.md is its description; this class
 * is its only implementation). It owns every header name and encoding the JMS adapter writes, and it agrees with
 * what the broker's selectors read (docs/protocol-extensions.md, "A record as a JMS message").
 *
 * <ul>
 *   <li>{@link #encode} turns any {@link Message}, Strata's or another provider's (read through the public API only),
 *   into an {@link EncodedRecord}: the body in the value, header fields and properties in headers, JMSXGroupID in
 *   the key. What a record cannot carry is refused with a {@link MessageFormatException}.</li>
 *   <li>{@link #decode} turns a consumed record, written by the adapter or by any Kafka producer, into a read-only
 *   message of the right type. It never throws for what a producer wrote: a body that does not decode arrives as a
 *   BytesMessage with the raw value and the property {@value #BODY_ERROR_PROPERTY} saying why; a header that does
 *   not parse falls back as documented.</li>
 * </ul>
 *
 * <p>Limits: at most {@value #HEADER_COUNT_MAX} headers per record, and key, value and headers together at most the
 * configured record size (default {@value #RECORD_BYTES_MAX_DEFAULT}, Kafka's default {@code max.request.size});
 * property names at most {@link PropertyNames#NAME_LENGTH_MAX} characters.
 *
 * <p>Immutable, so thread-safe: one codec serves every session of a connection.
 */
public final class MessageRecordCodec {

    /** The body type: {@code message}, {@code text}, {@code bytes}, {@code map}, {@code stream}, {@code object}. */
    public static final String BODY_HEADER = "strata.jms.body";
    /** Types of the properties that are not Strings, {@code name=type,...}; read by the broker's selectors too. */
    public static final String TYPES_HEADER = "strata.jms.types";
    public static final String DESTINATION_HEADER = "strata.jms.destination";
    public static final String REPLY_TO_HEADER = "strata.jms.reply-to";
    public static final String EXPIRATION_HEADER = "strata.jms.expiration";
    public static final String DELIVERY_TIME_HEADER = "strata.jms.delivery-time";
    public static final String CORRELATION_ID_BYTES_HEADER = "strata.jms.correlation-id-bytes";

    /** The JMS header fields selectors may name are headers of their own names (the broker reads them so). */
    public static final String MESSAGE_ID_HEADER = "JMSMessageID";
    public static final String TIMESTAMP_HEADER = "JMSTimestamp";
    public static final String CORRELATION_ID_HEADER = "JMSCorrelationID";
    public static final String TYPE_HEADER = "JMSType";
    public static final String DELIVERY_MODE_HEADER = "JMSDeliveryMode";
    public static final String PRIORITY_HEADER = "JMSPriority";

    public static final String BODY_MESSAGE = "message";
    public static final String BODY_TEXT = "text";
    public static final String BODY_BYTES = "bytes";
    public static final String BODY_MAP = "map";
    public static final String BODY_STREAM = "stream";
    public static final String BODY_OBJECT = "object";

    /** Set on a received message whose body did not decode as its type said; it then arrives as a BytesMessage. */
    public static final String BODY_ERROR_PROPERTY = "JMS_Strata_BodyError";

    public static final int HEADER_COUNT_MAX = 1024;
    public static final int RECORD_BYTES_MAX_DEFAULT = 1024 * 1024;

    private static final String QUEUE_PREFIX = "queue://";
    private static final String TOPIC_PREFIX = "topic://";
    private static final String TEMP_QUEUE_PREFIX = "temp-queue://";
    private static final String TEMP_TOPIC_PREFIX = "temp-topic://";
    private static final String PERSISTENT = "PERSISTENT";
    private static final String NON_PERSISTENT = "NON_PERSISTENT";

    private final int recordBytesMax;
    private final ObjectMessageAllowList allowList;

    /** A codec with the default record size limit and the default ObjectMessage allow-list. */
    public MessageRecordCodec() {
        this(RECORD_BYTES_MAX_DEFAULT, ObjectMessageAllowList.defaults());
    }

    /**
     * @param recordBytesMax the largest record (key, value and headers) to send: the broker's and producer's limit
     * @param allowList      what the ObjectMessages this codec decodes may deserialize
     */
    public MessageRecordCodec(int recordBytesMax, ObjectMessageAllowList allowList) {
        if (recordBytesMax <= 0) {
            throw new IllegalArgumentException("recordBytesMax must be positive: " + recordBytesMax);
        }
        if (allowList == null) {
            throw new IllegalArgumentException("an ObjectMessage allow-list is needed");
        }
        this.recordBytesMax = recordBytesMax;
        this.allowList = allowList;
    }

    /** A new JMSMessageID: {@code ID:} and a random UUID, unique without coordination. */
    public static String newMessageId() {
        return "ID:" + UUID.randomUUID();
    }

    /** The JMSMessageID of a record that carries none: {@code ID:<topic>:<partition>:<offset>}, as the broker says. */
    public static String defaultMessageId(String topic, int partition, long offset) {
        return "ID:" + topic + ":" + partition + ":" + offset;
    }

    // ---------------------------------------------------------------------------------------------- encoding

    /**
     * The record for {@code message}, as it is now; the message is not changed, except that a foreign BytesMessage or
     * StreamMessage is {@code reset()} to be read, the only way its public API gives its body.
     */
    public EncodedRecord encode(Message message) throws JMSException {
        List<Header> headers = new ArrayList<>();
        String bodyType = bodyType(message);
        byte[] value = encodeBody(message, bodyType);
        add(headers, BODY_HEADER, bodyType);
        encodeHeaderFields(message, headers);
        byte[] key = encodeProperties(message, headers);
        long timestampMs = message.getJMSTimestamp();
        EncodedRecord record = new EncodedRecord(key, value, headers, timestampMs > 0 ? timestampMs : null);
        checkBounds(record);
        return record;
    }

    private static String bodyType(Message message) {
        if (message instanceof TextMessage) {
            return BODY_TEXT;
        }
        if (message instanceof BytesMessage) {
            return BODY_BYTES;
        }
        if (message instanceof MapMessage) {
            return BODY_MAP;
        }
        if (message instanceof StreamMessage) {
            return BODY_STREAM;
        }
        if (message instanceof ObjectMessage) {
            return BODY_OBJECT;
        }
        return BODY_MESSAGE;
    }

    private static byte[] encodeBody(Message message, String bodyType) throws JMSException {
        return switch (bodyType) {
            case BODY_TEXT -> {
                String text = ((TextMessage) message).getText();
                yield text == null ? null : text.getBytes(StandardCharsets.UTF_8);
            }
            case BODY_BYTES -> bytesBody((BytesMessage) message);
            case BODY_MAP -> TypedBodyFormat.writeMap(mapBody((MapMessage) message));
            case BODY_STREAM -> TypedBodyFormat.writeStream(streamBody((StreamMessage) message));
            case BODY_OBJECT -> objectBody((ObjectMessage) message);
            default -> null;
        };
    }

    private static byte[] bytesBody(BytesMessage message) throws JMSException {
        if (message instanceof StrataBytesMessage own) {
            return own.bodyBytes();
        }
        message.reset();
        long length = message.getBodyLength();
        if (length > Integer.MAX_VALUE) {
            throw new MessageFormatException("a BytesMessage of " + length + " bytes cannot be a record");
        }
        byte[] body = new byte[(int) length];
        int read = length == 0 ? 0 : message.readBytes(body);
        if (read != length) {
            throw new MessageFormatException("the BytesMessage gave " + read + " of its " + length + " bytes");
        }
        return body;
    }

    private static Map<String, Object> mapBody(MapMessage message) throws JMSException {
        if (message instanceof StrataMapMessage own) {
            return own.entries();
        }
        Map<String, Object> entries = new LinkedHashMap<>();
        for (Object name : Collections.list(message.getMapNames())) {
            Object value = message.getObject((String) name);
            if (!StrataMapMessage.isMapType(value)) {
                throw new MessageFormatException("MapMessage entry '" + name + "' is a " + value.getClass().getName()
                        + ", which a MapMessage cannot hold");
            }
            entries.put((String) name, value);
        }
        return entries;
    }

    private static List<Object> streamBody(StreamMessage message) throws JMSException {
        if (message instanceof StrataStreamMessage own) {
            return own.fields();
        }
        message.reset();
        List<Object> fields = new ArrayList<>();
        while (true) {
            Object field;
            try {
                field = message.readObject();
            } catch (MessageEOFException end) {
                return fields;
            }
            if (!StrataMapMessage.isMapType(field)) {
                throw new MessageFormatException("StreamMessage field " + fields.size() + " is a "
                        + field.getClass().getName() + ", which a StreamMessage cannot hold");
            }
            fields.add(field);
        }
    }

    private static byte[] objectBody(ObjectMessage message) throws JMSException {
        if (message instanceof StrataObjectMessage own) {
            return own.serializedObject();
        }
        Serializable object = message.getObject();
        if (object == null) {
            return null;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(object);
        } catch (IOException e) {
            MessageFormatException failure = new MessageFormatException("the ObjectMessage's object cannot be"
                    + " serialized: " + e);
            failure.initCause(e);
            throw failure;
        }
        return bytes.toByteArray();
    }

    private static void encodeHeaderFields(Message message, List<Header> headers) throws JMSException {
        addIfPresent(headers, MESSAGE_ID_HEADER, message.getJMSMessageID());
        if (message.getJMSTimestamp() != 0) {
            add(headers, TIMESTAMP_HEADER, Long.toString(message.getJMSTimestamp()));
        }
        encodeCorrelationId(message, headers);
        addIfPresent(headers, TYPE_HEADER, message.getJMSType());
        add(headers, DELIVERY_MODE_HEADER, deliveryModeText(message.getJMSDeliveryMode()));
        int priority = message.getJMSPriority();
        if (priority < 0 || priority > 9) {
            throw new MessageFormatException("JMSPriority " + priority + " is not within 0 to 9");
        }
        add(headers, PRIORITY_HEADER, Integer.toString(priority));
        addIfPresent(headers, DESTINATION_HEADER, destinationText(message.getJMSDestination(), "JMSDestination"));
        addIfPresent(headers, REPLY_TO_HEADER, destinationText(message.getJMSReplyTo(), "JMSReplyTo"));
        if (message.getJMSExpiration() != 0) {
            add(headers, EXPIRATION_HEADER, Long.toString(message.getJMSExpiration()));
        }
        long deliveryTime = message.getJMSDeliveryTime();
        if (deliveryTime != 0 && deliveryTime != message.getJMSTimestamp()) {
            add(headers, DELIVERY_TIME_HEADER, Long.toString(deliveryTime));
        }
    }

    /** Text as JMSCorrelationID, which selectors read; bytes in a header of their own, since they need not be text. */
    private static void encodeCorrelationId(Message message, List<Header> headers) throws JMSException {
        String text = message.getJMSCorrelationID();
        if (text != null) {
            add(headers, CORRELATION_ID_HEADER, text);
            return;
        }
        byte[] bytes;
        try {
            bytes = message.getJMSCorrelationIDAsBytes();
        } catch (UnsupportedOperationException notSupported) {
            return;
        }
        if (bytes != null) {
            headers.add(new RecordHeader(CORRELATION_ID_BYTES_HEADER, bytes.clone()));
        }
    }

    private static String deliveryModeText(int deliveryMode) throws MessageFormatException {
        return switch (deliveryMode) {
            case DeliveryMode.PERSISTENT -> PERSISTENT;
            case DeliveryMode.NON_PERSISTENT -> NON_PERSISTENT;
            default -> throw new MessageFormatException("JMSDeliveryMode " + deliveryMode + " is neither PERSISTENT ("
                    + DeliveryMode.PERSISTENT + ") nor NON_PERSISTENT (" + DeliveryMode.NON_PERSISTENT + ")");
        };
    }

    private static String destinationText(Destination destination, String field) throws JMSException {
        if (destination == null) {
            return null;
        }
        // Temporary destinations first: a TemporaryQueue is also a Queue.
        if (destination instanceof TemporaryQueue queue) {
            return TEMP_QUEUE_PREFIX + queue.getQueueName();
        }
        if (destination instanceof TemporaryTopic topic) {
            return TEMP_TOPIC_PREFIX + topic.getTopicName();
        }
        if (destination instanceof Queue queue) {
            return QUEUE_PREFIX + queue.getQueueName();
        }
        if (destination instanceof Topic topic) {
            return TOPIC_PREFIX + topic.getTopicName();
        }
        throw new MessageFormatException(field + " " + destination + " is neither a Queue nor a Topic");
    }

    /** Writes the properties as headers and answers the record key (JMSXGroupID's UTF-8, or null). */
    private static byte[] encodeProperties(Message message, List<Header> headers) throws JMSException {
        StringBuilder types = new StringBuilder();
        byte[] key = null;
        for (Object element : Collections.list(message.getPropertyNames())) {
            String name = (String) element;
            if (name.equals(PropertyNames.JMSX_DELIVERY_COUNT)) {
                // The broker's delivery count, given on receive; a record of a resent message starts at one again.
                continue;
            }
            if (!PropertyNames.isValid(name)) {
                throw new MessageFormatException("property name '" + name + "' is not a JMS property name (a Java"
                        + " identifier, not a selector word, JMS-prefixed only as JMS defines)");
            }
            Object value = message.getObjectProperty(name);
            if (!MessageProperties.isPropertyType(value)) {
                throw new MessageFormatException("property '" + name + "' holds a " + value.getClass().getName()
                        + ", which a property cannot");
            }
            headers.add(new RecordHeader(name, value == null ? null : value.toString().getBytes(StandardCharsets.UTF_8)));
            if (value != null && !(value instanceof String)) {
                types.append(types.isEmpty() ? "" : ",").append(name).append('=').append(typeName(value));
            }
            if (name.equals(PropertyNames.JMSX_GROUP_ID) && value != null) {
                key = value.toString().getBytes(StandardCharsets.UTF_8);
            }
        }
        if (!types.isEmpty()) {
            add(headers, TYPES_HEADER, types.toString());
        }
        return key;
    }

    private static String typeName(Object value) {
        return switch (value.getClass().getSimpleName()) {
            case "Boolean" -> "boolean";
            case "Byte" -> "byte";
            case "Short" -> "short";
            case "Integer" -> "int";
            case "Long" -> "long";
            case "Float" -> "float";
            case "Double" -> "double";
            default -> throw new IllegalStateException("not a typed property value: " + value.getClass());
        };
    }

    private void checkBounds(EncodedRecord record) throws MessageFormatException {
        if (record.headers().size() > HEADER_COUNT_MAX) {
            throw new MessageFormatException("the message needs " + record.headers().size()
                    + " record headers, more than " + HEADER_COUNT_MAX + "; set fewer properties");
        }
        long bytes = length(record.key()) + length(record.value());
        for (Header header : record.headers()) {
            bytes += header.key().getBytes(StandardCharsets.UTF_8).length + length(header.value());
        }
        if (bytes > recordBytesMax) {
            throw new MessageFormatException("the message is " + bytes + " bytes as a record, more than the "
                    + recordBytesMax + " a record may have");
        }
    }

    private static long length(byte[] bytes) {
        return bytes == null ? 0 : bytes.length;
    }

    private static void add(List<Header> headers, String key, String value) {
        headers.add(new RecordHeader(key, value.getBytes(StandardCharsets.UTF_8)));
    }

    private static void addIfPresent(List<Header> headers, String key, String value) {
        if (value != null) {
            add(headers, key, value);
        }
    }

    // ---------------------------------------------------------------------------------------------- decoding

    /**
     * The read-only message a consumed record is.
     *
     * @param record       the record as consumed; its delivery count (a share group's) gives JMSRedelivered and
     *                     JMSXDeliveryCount, 1 when it has none
     * @param receivedFrom the destination the consumer reads, JMSDestination of a record that names none
     */
    public StrataMessage decode(ConsumerRecord<byte[], byte[]> record, Destination receivedFrom) throws JMSException {
        Map<String, byte[]> headers = lastValues(record);
        StrataMessage message = decodeBody(headers, record.value());
        decodeHeaderFields(message, headers, record, receivedFrom);
        int deliveryCount = record.deliveryCount().map(Short::intValue).orElse(1);
        message.setJMSRedelivered(deliveryCount > 1);
        decodeProperties(message, headers);
        message.setIntProperty(PropertyNames.JMSX_DELIVERY_COUNT, deliveryCount);
        message.setReadOnly();
        return message;
    }

    /** The last value of each header key, as the broker's selectors take it. */
    private static Map<String, byte[]> lastValues(ConsumerRecord<byte[], byte[]> record) {
        Map<String, byte[]> headers = new LinkedHashMap<>();
        for (Header header : record.headers()) {
            headers.remove(header.key());
            headers.put(header.key(), header.value());
        }
        return headers;
    }

    private StrataMessage decodeBody(Map<String, byte[]> headers, byte[] value) throws JMSException {
        String bodyType = text(headers.get(BODY_HEADER));
        if (bodyType == null) {
            bodyType = BODY_BYTES;
        }
        try {
            return switch (bodyType) {
                case BODY_MESSAGE -> new StrataMessage();
                case BODY_TEXT -> new StrataTextMessage(text(value));
                case BODY_BYTES -> bytesMessage(value);
                case BODY_MAP -> mapMessage(value);
                case BODY_STREAM -> streamMessage(value);
                case BODY_OBJECT -> objectMessage(value);
                default -> throw new TypedBodyFormat.MalformedBodyException("body type '" + bodyType
                        + "' is not one of message, text, bytes, map, stream, object");
            };
        } catch (TypedBodyFormat.MalformedBodyException e) {
            StrataBytesMessage fallback = bytesMessage(value);
            fallback.setStringProperty(BODY_ERROR_PROPERTY, "the " + bodyType + " body does not decode: "
                    + e.getMessage());
            return fallback;
        }
    }

    private static StrataBytesMessage bytesMessage(byte[] value) throws JMSException {
        StrataBytesMessage message = new StrataBytesMessage();
        if (value != null) {
            message.writeBytes(value);
        }
        return message;
    }

    private static StrataMapMessage mapMessage(byte[] value) throws JMSException, TypedBodyFormat.MalformedBodyException {
        StrataMapMessage message = new StrataMapMessage();
        if (value != null) {
            for (Map.Entry<String, Object> entry : TypedBodyFormat.readMap(value).entrySet()) {
                message.setObject(entry.getKey(), entry.getValue());
            }
        }
        return message;
    }

    private static StrataStreamMessage streamMessage(byte[] value)
            throws JMSException, TypedBodyFormat.MalformedBodyException {
        StrataStreamMessage message = new StrataStreamMessage();
        if (value != null) {
            for (Object field : TypedBodyFormat.readStream(value)) {
                message.writeObject(field);
            }
        }
        return message;
    }

    private StrataObjectMessage objectMessage(byte[] value) throws JMSException {
        StrataObjectMessage message = new StrataObjectMessage(allowList);
        message.setSerializedObject(value);
        return message;
    }

    private static void decodeHeaderFields(StrataMessage message, Map<String, byte[]> headers,
            ConsumerRecord<byte[], byte[]> record, Destination receivedFrom) {
        String id = text(headers.get(MESSAGE_ID_HEADER));
        message.setJMSMessageID(id != null ? id : defaultMessageId(record.topic(), record.partition(), record.offset()));
        long recordTimestampMs = Math.max(record.timestamp(), 0);
        long timestampMs = parseLong(headers.get(TIMESTAMP_HEADER), recordTimestampMs);
        message.setJMSTimestamp(timestampMs);
        String correlationId = text(headers.get(CORRELATION_ID_HEADER));
        byte[] correlationIdBytes = headers.get(CORRELATION_ID_BYTES_HEADER);
        if (correlationId != null) {
            message.setJMSCorrelationID(correlationId);
        } else if (correlationIdBytes != null) {
            message.setJMSCorrelationIDAsBytes(correlationIdBytes);
        }
        message.setJMSType(text(headers.get(TYPE_HEADER)));
        String deliveryMode = text(headers.get(DELIVERY_MODE_HEADER));
        message.setJMSDeliveryMode(NON_PERSISTENT.equals(deliveryMode) || "1".equals(deliveryMode)
                ? DeliveryMode.NON_PERSISTENT : DeliveryMode.PERSISTENT);
        message.setJMSPriority(priority(headers.get(PRIORITY_HEADER)));
        Destination destination = destination(text(headers.get(DESTINATION_HEADER)));
        message.setJMSDestination(destination != null ? destination : receivedFrom);
        message.setJMSReplyTo(destination(text(headers.get(REPLY_TO_HEADER))));
        message.setJMSExpiration(parseLong(headers.get(EXPIRATION_HEADER), 0));
        message.setJMSDeliveryTime(parseLong(headers.get(DELIVERY_TIME_HEADER), timestampMs));
    }

    /**
     * A temporary destination arrives as a temporary one of its name without an owner: whoever reads JMSReplyTo sends
     * to it by name, and only the connection that created it deletes it or consumes from it.
     */
    private static Destination destination(String text) {
        if (text == null) {
            return null;
        }
        String[][] forms = {{QUEUE_PREFIX, "queue"}, {TEMP_QUEUE_PREFIX, "temp-queue"}, {TOPIC_PREFIX, "topic"},
                {TEMP_TOPIC_PREFIX, "temp-topic"}};
        for (String[] form : forms) {
            if (text.startsWith(form[0]) && text.length() > form[0].length()) {
                String name = text.substring(form[0].length());
                return switch (form[1]) {
                    case "queue" -> new StrataQueue(name);
                    case "temp-queue" -> new StrataTemporaryQueue(name);
                    case "temp-topic" -> new StrataTemporaryTopic(name);
                    default -> new StrataTopic(name);
                };
            }
        }
        return null;
    }

    /**
     * Every header whose key is a property name is a property: a String, unless {@value #TYPES_HEADER} declares its
     * type; a value that does not parse as its declared type, or a declared type that does not exist, makes it null,
     * as it is NULL to the broker's selectors. Other keys are not JMS properties and stay only in the record.
     */
    private static void decodeProperties(StrataMessage message, Map<String, byte[]> headers) throws JMSException {
        Map<String, String> types = declaredTypes(text(headers.get(TYPES_HEADER)));
        for (Map.Entry<String, byte[]> header : headers.entrySet()) {
            String name = header.getKey();
            // JMSXDeliveryCount is the broker's; a property already set is the codec's own report of a body error.
            if (!PropertyNames.isValid(name) || name.equals(PropertyNames.JMSX_DELIVERY_COUNT)
                    || message.propertyExists(name)) {
                continue;
            }
            String text = text(header.getValue());
            String type = types.get(name);
            message.setObjectProperty(name, text == null || type == null ? text : parse(text, type));
        }
    }

    /** {@code name=type,...}: a pair without a name before '=' is ignored, as the broker ignores it. */
    static Map<String, String> declaredTypes(String declarations) {
        Map<String, String> types = new HashMap<>();
        if (declarations == null || declarations.isEmpty()) {
            return types;
        }
        for (String pair : declarations.split(",")) {
            int equals = pair.indexOf('=');
            if (equals > 0) {
                types.put(pair.substring(0, equals).trim(), pair.substring(equals + 1).trim());
            }
        }
        return types;
    }

    /** {@code text} as a value of {@code type}, or null when it is not one; the broker's parse, rule for rule. */
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

    /**
     * The priority a {@value #PRIORITY_HEADER} header value means: 0 to 9, or 4 (the default) for none or for one that
     * does not parse or is outside 0 to 9, as {@link #decode} reads it. Cheap for the usual single digit, so that a
     * consumer orders records by priority without decoding them.
     */
    public static int priority(byte[] value) {
        if (value != null && value.length == 1 && value[0] >= '0' && value[0] <= '9') {
            return value[0] - '0';
        }
        long priority = parseLong(value, Message.DEFAULT_PRIORITY);
        return priority >= 0 && priority <= 9 ? (int) priority : Message.DEFAULT_PRIORITY;
    }

    private static long parseLong(byte[] value, long fallback) {
        String text = text(value);
        if (text == null) {
            return fallback;
        }
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    /** A header value's text: UTF-8, malformed bytes replaced, as the broker decodes it. */
    private static String text(byte[] value) {
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }
}
