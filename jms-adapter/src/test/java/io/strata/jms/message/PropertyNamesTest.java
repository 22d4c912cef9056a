package io.strata.jms.message;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PropertyNamesTest {

    @Test
    void javaIdentifiersThatAreNoSelectorWordAndNoReservedNameAreValid() {
        assertThat(PropertyNames.isValid("orderId")).isTrue();
        assertThat(PropertyNames.isValid("_x$1")).isTrue();
        assertThat(PropertyNames.isValid("prénom")).isTrue();
        assertThat(PropertyNames.isValid("数量")).isTrue();
        assertThat(PropertyNames.isValid("JMS_vendor")).isTrue();
        assertThat(PropertyNames.isValid(PropertyNames.JMSX_GROUP_ID)).isTrue();
        assertThat(PropertyNames.isValid("BETWEENX")).isTrue();
    }

    @Test
    void whatASelectorCouldNotNameIsRefusedWithTheReason() {
        assertThat(PropertyNames.isValid("1st")).isFalse();
        assertThat(PropertyNames.isValid("a-b")).isFalse();
        assertThat(PropertyNames.isValid("a b")).isFalse();
        assertThat(PropertyNames.isValid("between")).isFalse();
        assertThat(PropertyNames.isValid("Escape")).isFalse();
        assertThat(PropertyNames.isValid("JMSXFoo")).isFalse();
        assertThat(PropertyNames.isValid("JMSPriority")).isFalse();
        assertThat(PropertyNames.isValid("")).isFalse();
        assertThat(PropertyNames.isValid(null)).isFalse();
        assertThatThrownBy(() -> PropertyNames.check("is")).hasMessageContaining("selector word");
        assertThatThrownBy(() -> PropertyNames.check("a.b")).hasMessageContaining("not a Java identifier");
    }

    @Test
    void theIdentifierCheckAgreesWithTheJavaLanguagesDefinitionOnAnyCharacters() {
        Random random = new Random(42);
        char[] pool = "aZ_$09-. \u0000\u0007\u007f\u00e9\u00b7\u0660\u4e00\u200b\ud83d\ude00\ud800".toCharArray();
        for (int round = 0; round < 20_000; round++) {
            StringBuilder name = new StringBuilder();
            for (int i = 1 + random.nextInt(6); i > 0; i--) {
                name.append(pool[random.nextInt(pool.length)]);
            }
            String text = name.toString();
            boolean javaIdentifier = Character.isJavaIdentifierStart(text.codePointAt(0))
                    && text.codePoints().skip(1).allMatch(Character::isJavaIdentifierPart);
            assertThat(PropertyNames.isValid(text)).as("'%s'", text).isEqualTo(javaIdentifier);
        }
    }
}
