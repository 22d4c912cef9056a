package io.strata.broker.share.selector;

import io.strata.broker.share.ShareRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.function.Predicate;

import static io.strata.broker.share.selector.TestRecords.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** JMS 3.1 message selector semantics over records' headers, and the selectors that are refused. */
@Timeout(30)
class MessageSelectorTest {

    private static final String TYPES = RecordJmsProperties.TYPES_HEADER;

    private static boolean selects(String selector, ShareRecord record) throws InvalidSelectorException {
        return MessageSelector.parse(selector).forPartition("orders", 0).test(record);
    }

    private static boolean selects(String selector, String... keysAndValues) throws InvalidSelectorException {
        return selects(selector, record(7, keysAndValues));
    }

    @Test
    void stringComparisonsSelectOnlyTheRecordsWhoseHeaderMatches() throws Exception {
        assertThat(selects("colour = 'red'", "colour", "red")).isTrue();
        assertThat(selects("colour = 'red'", "colour", "blue")).isFalse();
        assertThat(selects("colour <> 'red'", "colour", "blue")).isTrue();
        assertThat(selects("colour = 'red' AND size = 'L'", "colour", "red", "size", "L")).isTrue();
        assertThat(selects("colour = 'red' AND size = 'L'", "colour", "red", "size", "M")).isFalse();
        assertThat(selects("colour = 'it''s'", "colour", "it's")).isTrue();
    }

    @Test
    void aMissingPropertyIsUnknownAndUnknownSelectsNothingNotEvenNegated() throws Exception {
        assertThat(selects("colour = 'red'")).isFalse();
        assertThat(selects("colour <> 'red'")).isFalse();
        assertThat(selects("NOT (colour = 'red')")).isFalse();
        assertThat(selects("colour IN ('red', 'blue')")).isFalse();
        assertThat(selects("colour NOT IN ('red', 'blue')")).isFalse();
        assertThat(selects("colour LIKE '%'")).isFalse();
        assertThat(selects("colour IS NULL")).isTrue();
        assertThat(selects("colour IS NOT NULL")).isFalse();
        // Three-valued logic: unknown OR true is true, unknown AND false is false, unknown AND true is unknown.
        assertThat(selects("colour = 'red' OR size = 'L'", "size", "L")).isTrue();
        assertThat(selects("NOT (colour = 'red' AND size = 'L')", "size", "M")).isTrue();
        assertThat(selects("NOT (colour = 'red' AND size = 'L')", "size", "L")).isFalse();
    }

    @Test
    void complementarySelectorsSplitEveryRecordThatHasTheProperty() throws Exception {
        Predicate<ShareRecord> red = MessageSelector.parse("colour = 'red'").forPartition("orders", 0);
        Predicate<ShareRecord> notRed = MessageSelector.parse("colour <> 'red'").forPartition("orders", 0);

        for (String colour : new String[]{"red", "blue", "green", ""}) {
            ShareRecord record = record(1, "colour", colour);
            assertThat(red.test(record) ^ notRed.test(record)).as(colour).isTrue();
        }
    }

    @Test
    void numericPropertiesCompareByValueOnceDeclaredAndNotAsStrings() throws Exception {
        assertThat(selects("quantity > 3", TYPES, "quantity=int", "quantity", "5")).isTrue();
        assertThat(selects("quantity > 30", TYPES, "quantity=int", "quantity", "5")).isFalse();
        assertThat(selects("quantity = 5.0", TYPES, "quantity=int", "quantity", "5")).isTrue();
        assertThat(selects("big > 4000000000", TYPES, "big=long", "big", "5000000000")).isTrue();
        assertThat(selects("tiny < 0", TYPES, "tiny=byte,small=short", "tiny", "-1")).isTrue();
        assertThat(selects("weight >= 2.5", TYPES, "weight=float", "weight", "2.5")).isTrue();
        assertThat(selects("ratio < 1E-2", TYPES, "ratio=double", "ratio", "0.001")).isTrue();
        // Undeclared, the header is the string '5': comparing it with a number is not true.
        assertThat(selects("quantity > 3", "quantity", "5")).isFalse();
        assertThat(selects("quantity = '5'", "quantity", "5")).isTrue();
        // Declared int but not a number: NULL, so unknown.
        assertThat(selects("quantity > 3", TYPES, "quantity=int", "quantity", "five")).isFalse();
        assertThat(selects("quantity IS NULL", TYPES, "quantity=int", "quantity", "five")).isTrue();
    }

    @Test
    void booleansAreConditionsOfTheirOwn() throws Exception {
        assertThat(selects("express", TYPES, "express=boolean", "express", "true")).isTrue();
        assertThat(selects("NOT express", TYPES, "express=boolean", "express", "false")).isTrue();
        assertThat(selects("express = TRUE", TYPES, "express=boolean", "express", "false")).isFalse();
        assertThat(selects("express = FALSE", TYPES, "express=boolean", "express", "false")).isTrue();
    }

    @Test
    void arithmeticFollowsPrecedenceAndMixesExactAndApproximate() throws Exception {
        String[] headers = {TYPES, "a=int,b=long,c=double", "a", "3", "b", "4", "c", "0.5"};
        assertThat(selects("a + b * 2 = 11", headers)).isTrue();
        assertThat(selects("(a + b) * 2 = 14", headers)).isTrue();
        assertThat(selects("-a = -3", headers)).isTrue();
        assertThat(selects("b / 2 = 2", headers)).isTrue();
        assertThat(selects("a * c = 1.5", headers)).isTrue();
        assertThat(selects("a - c > 2.4", headers)).isTrue();
        assertThat(selects("a + missing = 3", headers)).isFalse();
    }

    @Test
    void betweenAndInIncludeTheirBounds() throws Exception {
        String[] five = {TYPES, "n=int", "n", "5"};
        assertThat(selects("n BETWEEN 5 AND 9", five)).isTrue();
        assertThat(selects("n BETWEEN 1 AND 5", five)).isTrue();
        assertThat(selects("n BETWEEN 6 AND 9", five)).isFalse();
        assertThat(selects("n NOT BETWEEN 6 AND 9", five)).isTrue();
        assertThat(selects("country IN ('UK', 'US', 'France')", "country", "France")).isTrue();
        assertThat(selects("country IN ('UK', 'US')", "country", "Peru")).isFalse();
        assertThat(selects("country NOT IN ('UK', 'US')", "country", "Peru")).isTrue();
    }

    @Test
    void likeMatchesWildcardsAndTakesAnEscape() throws Exception {
        assertThat(selects("phone LIKE '12%3'", "phone", "123")).isTrue();
        assertThat(selects("phone LIKE '12%3'", "phone", "12993")).isTrue();
        assertThat(selects("phone LIKE '12%3'", "phone", "1234")).isFalse();
        assertThat(selects("word LIKE 'l_se'", "word", "lose")).isTrue();
        assertThat(selects("word LIKE 'l_se'", "word", "loose")).isFalse();
        assertThat(selects("word NOT LIKE 'l_se'", "word", "loose")).isTrue();
        assertThat(selects("underscored LIKE '\\_%' ESCAPE '\\'", "underscored", "_foo")).isTrue();
        assertThat(selects("underscored LIKE '\\_%' ESCAPE '\\'", "underscored", "bar")).isFalse();
        assertThat(selects("code LIKE 'x!%%' ESCAPE '!'", "code", "x%1")).isTrue();
        assertThat(selects("code LIKE 'x!%%' ESCAPE '!'", "code", "xy1")).isFalse();
        // Regular-expression characters are plain characters in LIKE.
        assertThat(selects("code LIKE 'a.c'", "code", "abc")).isFalse();
        assertThat(selects("code LIKE 'a.c'", "code", "a.c")).isTrue();
    }

    @Test
    void jmsHeaderFieldsAreSelectable() throws Exception {
        assertThat(selects("JMSPriority = 4")).isTrue();
        assertThat(selects("JMSPriority > 6", "JMSPriority", "9")).isTrue();
        assertThat(selects("JMSDeliveryMode = 'PERSISTENT'")).isTrue();
        assertThat(selects("JMSDeliveryMode = 'NON_PERSISTENT'", "JMSDeliveryMode", "NON_PERSISTENT")).isTrue();
        assertThat(selects("JMSMessageID = 'ID:orders:0:7'")).isTrue();
        assertThat(selects("JMSTimestamp = 1000")).isTrue();
        assertThat(selects("JMSTimestamp BETWEEN 40 AND 50", "JMSTimestamp", "42")).isTrue();
        assertThat(selects("JMSType = 'invoice' AND JMSCorrelationID LIKE 'c-%'", "JMSType", "invoice",
                "JMSCorrelationID", "c-9")).isTrue();
        assertThat(selects("JMSType IS NULL")).isTrue();
    }

    @Test
    void anEvaluationThatFailsDoesNotSelect() throws Exception {
        assertThat(selects("a / 0 = 1", TYPES, "a=int", "a", "3")).isFalse();
    }

    @Test
    void selectorsThatAreNotJmsAreRefusedNamingTheProblem() {
        assertRefused("colour = ", "colour = ");
        assertRefused("colour == 'red'", "colour == 'red'");
        assertRefused("colour = 'red", "colour = 'red");
        assertRefused("colour = 'red' AND", "AND");
        assertRefused("#colour = 1", "#colour");
        assertRefused("colour IS 'red'", "colour IS 'red'");
        assertRefused("", "empty");
        assertRefused("   ", "empty");
        assertRefused("XPATH '//order'", "XPATH");
        assertRefused("a = 1 OR xquery 'x'", "XQUERY");
        assertRefused("hyphenated_props:my-prop = 1", "dialect");
        assertRefused("convert_string_expressions:a > 1", "dialect");
        assertRefused("a = '" + "x".repeat(MessageSelector.MAX_LENGTH) + "'", "longer than");
        // Artemis's identifiers are ASCII: narrower than JMS's Java identifiers, refused clearly.
        assertRefused("région = 'x'", "région");
    }

    @Test
    void keywordsInsideStringLiteralsAreText() throws Exception {
        assertThat(selects("note = 'XPATH here'", "note", "XPATH here")).isTrue();
        assertThat(MessageSelector.parse("note = 'it''s XQUERY'").text()).isEqualTo("note = 'it''s XQUERY'");
    }

    private static void assertRefused(String selector, String mentioned) {
        assertThatThrownBy(() -> MessageSelector.parse(selector)).isInstanceOf(InvalidSelectorException.class)
                .hasMessageContaining(mentioned);
    }
}
