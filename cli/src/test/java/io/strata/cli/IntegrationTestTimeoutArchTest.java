package io.strata.cli;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.Timeout;
import org.junit.platform.commons.annotation.Testable;

import java.util.Set;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

/**
 * Every test class of the command that starts a broker, a cluster or a process (bin/strata, the command's own JVM)
 * carries a class-level JUnit {@link Timeout}: a hang fails that class within minutes, with a stack trace, instead of
 * holding the CI run until surefire's {@code forkedProcessTimeoutInSeconds} kills the whole JVM.
 */
@AnalyzeClasses(packages = "io.strata.cli", importOptions = ImportOption.OnlyIncludeTests.class)
class IntegrationTestTimeoutArchTest {

    /** What an integration test starts: real brokers (broker-ejb's test fixtures) or another process. */
    private static final Set<String> STARTS_SOMETHING = Set.of("io.strata.broker.it.TestBroker",
            "io.strata.broker.it.TestCluster", "io.strata.cli.SharedBroker", "java.lang.ProcessBuilder",
            "java.lang.Runtime");

    private static final DescribedPredicate<JavaClass> INTEGRATION_TESTS = DescribedPredicate.describe(
            "are integration tests (starting brokers or processes)", IntegrationTestTimeoutArchTest::isIntegrationTest);

    @ArchTest
    static final ArchRule integrationTestsHaveATimeout = classes().that(INTEGRATION_TESTS)
            .should().beAnnotatedWith(Timeout.class)
            .because("a hung integration test must fail by itself, not stall CI (issue 13)");

    private static boolean isIntegrationTest(JavaClass type) {
        boolean hasTests = type.getMethods().stream().anyMatch(method -> method.isMetaAnnotatedWith(Testable.class));
        return hasTests && type.getDirectDependenciesFromSelf().stream()
                .map(Dependency::getTargetClass)
                .anyMatch(target -> STARTS_SOMETHING.contains(target.getName()));
    }
}
