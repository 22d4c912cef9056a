package io.strata.cli.produce;

import io.strata.cli.CliException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LineParserTest {

    @Test
    void linesSplitAtTheFirstSeparatorSoValuesMayContainIt() {
        LineParser parser = new LineParser("::", "|", List.of(header("fixed", "yes")));

        LineParser.ParsedLine parsed = parser.parse("a=1,b=x=y|key::value::more|still value", 1);

        assertThat(text(parsed.key())).isEqualTo("key");
        assertThat(text(parsed.value())).isEqualTo("value::more|still value");
        assertThat(parsed.headers()).containsExactly(header("fixed", "yes"), header("a", "1"), header("b", "x=y"));
    }

    @Test
    void withoutSeparatorsTheWholeLineIsTheValue() {
        LineParser.ParsedLine parsed = new LineParser(null, null, List.of()).parse("just:a|value", 1);

        assertThat(parsed.key()).isNull();
        assertThat(text(parsed.value())).isEqualTo("just:a|value");
        assertThat(parsed.headers()).isEmpty();
    }

    @Test
    void missingSeparatorsAndMalformedHeadersNameTheLine() {
        LineParser parser = new LineParser(":", "|", List.of());

        assertThatThrownBy(() -> parser.parse("k:v", 7)).isInstanceOf(CliException.class)
                .hasMessage("line 7 has no headers separator '|'");
        assertThatThrownBy(() -> parser.parse("|kv", 8)).isInstanceOf(CliException.class)
                .hasMessage("line 8 has no key separator ':'");
        assertThatThrownBy(() -> parser.parse("a=1,oops|k:v", 9)).isInstanceOf(CliException.class)
                .hasMessage("line 9: header 'oops' is not KEY=VALUE");
    }

    @Test
    void lineReaderDropsCarriageReturnsAndRejectsOverlongLines() throws IOException {
        LineReader lines = new LineReader(new StringReader("one\r\ntwo\n\nthree"), 5);

        assertThat(lines.next()).isEqualTo("one");
        assertThat(lines.next()).isEqualTo("two");
        assertThat(lines.next()).isEmpty();
        assertThat(lines.next()).isEqualTo("three");
        assertThat(lines.lineNumber()).isEqualTo(4);
        assertThat(lines.next()).isNull();

        LineReader tooLong = new LineReader(new StringReader("ok\n123456\n"), 5);
        assertThat(tooLong.next()).isEqualTo("ok");
        assertThatThrownBy(tooLong::next).isInstanceOf(CliException.class)
                .hasMessageStartingWith("line 2 is longer than 5 characters");
    }

    private static Header header(String key, String value) {
        return new RecordHeader(key, value.getBytes(StandardCharsets.UTF_8));
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
