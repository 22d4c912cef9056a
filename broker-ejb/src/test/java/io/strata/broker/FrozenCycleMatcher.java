package io.strata.broker;

import com.tngtech.archunit.library.freeze.ViolationLineMatcher;

import java.util.regex.Pattern;

/**
 * How the frozen package-cycle rule of the architecture test recognises a recorded violation (archunit.properties,
 * {@code freeze.lineMatcher}): a cycle is known by the packages it goes through, whatever classes and members make
 * it up today, so an ordinary change inside a recorded cycle passes and only a new cycle fails. Other violations
 * match when they are equal but for line numbers, as with ArchUnit's own matcher. Stateless; thread-safe.
 */
public final class FrozenCycleMatcher implements ViolationLineMatcher {

    private static final Pattern LINE_NUMBER = Pattern.compile("\\.java:\\d+\\)");
    private static final String CYCLE = "Cycle detected:";
    private static final String DETAILS = "1. Dependencies of ";

    @Override
    public boolean matches(String lineFromFirstViolation, String lineFromSecondViolation) {
        return relevantPart(lineFromFirstViolation).equals(relevantPart(lineFromSecondViolation));
    }

    private static String relevantPart(String violation) {
        int details = violation.indexOf(DETAILS);
        String kept = violation.startsWith(CYCLE) && details >= 0 ? violation.substring(0, details) : violation;
        return LINE_NUMBER.matcher(kept).replaceAll(".java)");
    }
}
