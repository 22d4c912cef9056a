package io.strata.jms.message;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.params.provider.Arguments;

/**
 * The conversion table of JMS 3.1 (section 3.5.4 for properties, the MapMessage and StreamMessage javadoc for bodies),
 * written out from the specification's text for the tests, apart from the code under test.
 */
final class ConversionTable {

    /** For each type a value is written as, the types it may be read as. */
    static final Map<String, Set<String>> READABLE = Map.of(
            "boolean", Set.of("boolean", "String"),
            "byte", Set.of("byte", "short", "int", "long", "String"),
            "short", Set.of("short", "int", "long", "String"),
            "char", Set.of("char", "String"),
            "int", Set.of("int", "long", "String"),
            "long", Set.of("long", "String"),
            "float", Set.of("float", "double", "String"),
            "double", Set.of("double", "String"),
            "String", Set.of("boolean", "byte", "short", "int", "long", "float", "double", "String"),
            "byte[]", Set.of("byte[]"));

    static final List<String> PROPERTY_TYPES =
            List.of("boolean", "byte", "short", "int", "long", "float", "double", "String");
    static final List<String> BODY_TYPES =
            List.of("boolean", "byte", "short", "char", "int", "long", "float", "double", "String", "byte[]");

    /** A sample value of each type; the String is numeric so that it converts to every number type. */
    static final Map<String, Object> SAMPLES = Map.of(
            "boolean", Boolean.TRUE,
            "byte", (byte) 7,
            "short", (short) 300,
            "char", 'c',
            "int", 70_000,
            "long", 5_000_000_000L,
            "float", 1.5f,
            "double", 2.25d,
            "String", "12",
            "byte[]", new byte[] {1, 2, 3});

    private ConversionTable() {
    }

    static Stream<Arguments> pairs(List<String> types) {
        return types.stream().flatMap(written -> types.stream().map(read -> Arguments.of(written, read)));
    }

    static boolean allowed(String written, String read) {
        return READABLE.get(written).contains(read);
    }

    /** What reading {@code written}'s sample as {@code read} must give: the type's valueOf of the sample's text. */
    static Object expected(String written, String read) {
        Object sample = SAMPLES.get(written);
        if (read.equals("byte[]") || read.equals("char")) {
            return sample;
        }
        String text = sample.toString();
        return switch (read) {
            case "boolean" -> Boolean.valueOf(text);
            case "byte" -> Byte.valueOf(text);
            case "short" -> Short.valueOf(text);
            case "int" -> Integer.valueOf(text);
            case "long" -> Long.valueOf(text);
            case "float" -> Float.valueOf(text);
            case "double" -> Double.valueOf(text);
            case "String" -> text;
            default -> throw new IllegalArgumentException(read);
        };
    }

    static boolean sameValue(Object expected, Object actual) {
        if (expected instanceof byte[] bytes && actual instanceof byte[] other) {
            return Arrays.equals(bytes, other);
        }
        return expected.equals(actual);
    }
}
