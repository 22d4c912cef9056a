package io.strata.jms.message;

import java.util.Locale;
import java.util.Set;

/**
 * Which names a message property may have (JMS 3.1 sections 3.5.1 and 3.8.1.1): a property name is a message
 * selector identifier, so that a selector can name it.
 *
 * <ul>
 *   <li>a Java identifier ({@link Character#isJavaIdentifierStart}, then {@link Character#isJavaIdentifierPart}),
 *   at most {@value #NAME_LENGTH_MAX} characters;</li>
 *   <li>not one of the selector's words {@code NULL TRUE FALSE NOT AND OR BETWEEN LIKE IN IS ESCAPE}, in any case,
 *   since selector keywords are case-insensitive;</li>
 *   <li>a name starting with {@code JMSX} only when it is one of the properties JMS defines ({@link #JMSX_NAMES});
 *   a name starting with {@code JMS_} is a provider-specific property, allowed (a message relayed from another
 *   provider keeps its vendor properties); any other name starting with {@code JMS} is reserved for the header
 *   fields and refused.</li>
 * </ul>
 *
 * <p>A bad name is the caller's mistake, so it is an {@link IllegalArgumentException} (the exception the API names for
 * a null or empty name). Stateless, so thread-safe.
 */
public final class PropertyNames {

    /** A bound on a name, so that a record's header keys stay small; JMS itself sets none. */
    public static final int NAME_LENGTH_MAX = 1024;

    public static final String JMSX_USER_ID = "JMSXUserID";
    public static final String JMSX_APP_ID = "JMSXAppID";
    public static final String JMSX_DELIVERY_COUNT = "JMSXDeliveryCount";
    public static final String JMSX_GROUP_ID = "JMSXGroupID";
    public static final String JMSX_GROUP_SEQ = "JMSXGroupSeq";
    public static final String JMSX_PRODUCER_TXID = "JMSXProducerTXID";
    public static final String JMSX_CONSUMER_TXID = "JMSXConsumerTXID";
    public static final String JMSX_RCV_TIMESTAMP = "JMSXRcvTimestamp";
    public static final String JMSX_STATE = "JMSXState";

    /** The JMSX properties of JMS 3.1 section 3.5.9. */
    public static final Set<String> JMSX_NAMES = Set.of(JMSX_USER_ID, JMSX_APP_ID, JMSX_DELIVERY_COUNT,
            JMSX_GROUP_ID, JMSX_GROUP_SEQ, JMSX_PRODUCER_TXID, JMSX_CONSUMER_TXID, JMSX_RCV_TIMESTAMP, JMSX_STATE);

    private static final Set<String> SELECTOR_WORDS = Set.of("NULL", "TRUE", "FALSE", "NOT", "AND", "OR", "BETWEEN",
            "LIKE", "IN", "IS", "ESCAPE");
    /** The longest selector word's length: a longer name is none of them. */
    private static final int SELECTOR_WORD_LENGTH_MAX = 7;

    private PropertyNames() {
    }

    /** Whether {@code name} may name a property; never throws. */
    public static boolean isValid(String name) {
        return problem(name) == null;
    }

    /** Throws {@link IllegalArgumentException} saying what is wrong with {@code name}, if anything. */
    public static void check(String name) {
        String problem = problem(name);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
    }

    private static String problem(String name) {
        if (name == null || name.isEmpty()) {
            return "a property name must not be null or empty";
        }
        if (name.length() > NAME_LENGTH_MAX) {
            return "property name of " + name.length() + " characters is longer than " + NAME_LENGTH_MAX;
        }
        if (!isJavaIdentifier(name)) {
            return "property name '" + name + "' is not a Java identifier (JMS 3.8.1.1)";
        }
        if (name.length() <= SELECTOR_WORD_LENGTH_MAX && SELECTOR_WORDS.contains(name.toUpperCase(Locale.ROOT))) {
            return "property name '" + name + "' is a message selector word (JMS 3.8.1.1)";
        }
        if (name.startsWith("JMSX")) {
            return JMSX_NAMES.contains(name) ? null
                    : "property name '" + name + "' starts with JMSX but is not one JMS defines " + JMSX_NAMES;
        }
        if (name.startsWith("JMS") && !name.startsWith("JMS_")) {
            return "property name '" + name + "' starts with JMS, which is reserved for header fields"
                    + " (provider-specific properties start with JMS_)";
        }
        return null;
    }

    /** Checked on every property of every message decoded, so ASCII characters take no code-point detour. */
    private static boolean isJavaIdentifier(String name) {
        int length = name.length();
        for (int i = 0; i < length; ) {
            char c = name.charAt(i);
            boolean ok;
            int width = 1;
            if (c < 128) {
                ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$'
                        || (i > 0 && c >= '0' && c <= '9') || (i > 0 && Character.isJavaIdentifierPart(c));
            } else {
                int codePoint = name.codePointAt(i);
                width = Character.charCount(codePoint);
                ok = i == 0 ? Character.isJavaIdentifierStart(codePoint) : Character.isJavaIdentifierPart(codePoint);
            }
            if (!ok) {
                return false;
            }
            i += width;
        }
        return true;
    }
}
