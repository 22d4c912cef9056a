package io.strata.cli.groups;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.List;
import java.util.function.Function;

/**
 * Reads --to-datetime: an ISO-8601 instant ({@code 2024-05-01T12:00:00Z}), date-time with offset
 * ({@code 2024-05-01T14:00:00+02:00}), local date-time or date (both in this machine's time zone, as Kafka's tool
 * reads them).
 *
 * <p>Stateless; thread-safe.
 */
public final class DateTimeConverter implements ITypeConverter<Instant> {

    private final ZoneId zone;

    public DateTimeConverter() {
        this(ZoneId.systemDefault());
    }

    DateTimeConverter(ZoneId zone) {
        this.zone = zone;
    }

    @Override
    public Instant convert(String value) {
        String text = value.trim();
        for (Function<String, Instant> parser : List.<Function<String, Instant>>of(
                Instant::parse,
                s -> OffsetDateTime.parse(s).toInstant(),
                s -> LocalDateTime.parse(s).atZone(zone).toInstant(),
                s -> LocalDate.parse(s).atStartOfDay(zone).toInstant())) {
            try {
                return parser.apply(text);
            } catch (DateTimeException e) {
                // Not this form; try the next.
            }
        }
        throw new TypeConversionException("expected an ISO-8601 date-time such as 2024-05-01T12:00:00Z, got '"
                + value + "'");
    }
}
