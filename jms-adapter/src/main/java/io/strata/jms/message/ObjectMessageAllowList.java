package io.strata.jms.message;

import java.io.ObjectInputFilter;

/**
 * Which classes an ObjectMessage may deserialize. Java deserialization of bytes from the network runs code of whatever
 * classes the bytes name, so a consumer that deserializes anything can be attacked by anyone who can produce to its
 * topic (any Kafka client, not only JMS ones). Strata therefore allows a list of classes and refuses the rest, as
 * ActiveMQ Classic does since 5.12.2 (Artemis allows everything unless configured).
 *
 * <p>The list uses the pattern syntax of {@link ObjectInputFilter.Config#createFilter}: {@code pkg.Class},
 * {@code pkg.*} (the package), {@code pkg.**} (the package and those under it), separated by {@code ;}. Anything not
 * matched is refused; arrays are judged by their element type, and arrays of primitives are allowed.
 *
 * <p>The default is {@value #DEFAULT_PATTERNS}: the JDK's value, collection and time types, and Strata's destinations.
 * An application with its own types names them in the system property {@value #PROPERTY} (which replaces the default;
 * {@code *} allows everything, for those who trust every producer), or gives the session a list of its own.
 *
 * <p>Immutable, so thread-safe.
 */
public final class ObjectMessageAllowList {

    /** The system property read once, when this class is first used, for the default list. */
    public static final String PROPERTY = "strata.jms.objectmessage.allow";
    /** The list when the system property is not set. */
    public static final String DEFAULT_PATTERNS =
            "java.lang.*;java.util.*;java.math.*;java.time.*;io.strata.jms.destination.*";

    private static final ObjectMessageAllowList DEFAULT =
            new ObjectMessageAllowList(System.getProperty(PROPERTY, DEFAULT_PATTERNS));

    private final String patterns;
    private final ObjectInputFilter filter;

    /**
     * @param patterns the allowed classes in {@link ObjectInputFilter.Config#createFilter} syntax, without
     *                 rejections ({@code !}) or limits; not empty
     */
    public ObjectMessageAllowList(String patterns) {
        if (patterns == null || patterns.isBlank()) {
            throw new IllegalArgumentException("an ObjectMessage allow-list must name at least one pattern");
        }
        if (patterns.contains("!") || patterns.contains("=")) {
            throw new IllegalArgumentException("an ObjectMessage allow-list names allowed classes only: '" + patterns
                    + "'");
        }
        this.patterns = patterns;
        ObjectInputFilter allowed = ObjectInputFilter.Config.createFilter(patterns);
        // Anything the patterns do not allow is refused; a primitive array, which no pattern names, is allowed.
        this.filter = info -> {
            Class<?> type = info.serialClass();
            if (type == null) {
                return ObjectInputFilter.Status.UNDECIDED;
            }
            Class<?> element = type;
            while (element.isArray()) {
                element = element.getComponentType();
            }
            if (element.isPrimitive()) {
                return ObjectInputFilter.Status.ALLOWED;
            }
            ObjectInputFilter.Status status = allowed.checkInput(info);
            return status == ObjectInputFilter.Status.ALLOWED ? status : ObjectInputFilter.Status.REJECTED;
        };
    }

    /** The list in force by default: the system property {@value #PROPERTY}, or {@value #DEFAULT_PATTERNS}. */
    public static ObjectMessageAllowList defaults() {
        return DEFAULT;
    }

    public ObjectInputFilter filter() {
        return filter;
    }

    public String patterns() {
        return patterns;
    }

    @Override
    public String toString() {
        return patterns;
    }
}
