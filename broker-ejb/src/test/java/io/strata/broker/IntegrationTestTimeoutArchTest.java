package io.strata.broker;

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
 * Every test class that starts a broker, a cluster, Hazelcast members or another process carries a class-level JUnit
 * {@link Timeout}: a hang fails that class within minutes, with a stack trace, instead of holding the CI run until
 * surefire's {@code forkedProcessTimeoutInSeconds} kills the whole JVM.
 */
@AnalyzeClasses(packages = "io.strata.broker", importOptions = ImportOption.OnlyIncludeTests.class)
class IntegrationTestTimeoutArchTest {

    /** The fixtures that start real brokers; a test class that uses one is an integration test. */
    private static final Set<String> BROKER_FIXTURES = Set.of("io.strata.broker.it.TestBroker",
            "io.strata.broker.it.TestCluster", "io.strata.broker.server.BrokerServer", "com.hazelcast.core.Hazelcast",
            "java.lang.ProcessBuilder");

    private static final DescribedPredicate<JavaClass> INTEGRATION_TESTS =
            DescribedPredicate.describe("are integration tests (in ..it.. or ..compat.., or starting brokers,"
                    + " Hazelcast members or processes)", IntegrationTestTimeoutArchTest::isIntegrationTest);

    @ArchTest
    static final ArchRule integrationTestsHaveATimeout = classes().that(INTEGRATION_TESTS)
            .should().beAnnotatedWith(Timeout.class)
            .because("a hung integration test must fail by itself, not stall CI (issue 13)");

    private static boolean isIntegrationTest(JavaClass type) {
        boolean hasTests = type.getMethods().stream().anyMatch(method -> method.isMetaAnnotatedWith(Testable.class));
        if (!hasTests) {
            return false;
        }
        String pkg = type.getPackageName();
        if (inPackage(pkg, "io.strata.broker.it") || inPackage(pkg, "io.strata.broker.compat")) {
            return true;
        }
        for (Dependency dependency : type.getDirectDependenciesFromSelf()) {
            if (BROKER_FIXTURES.contains(dependency.getTargetClass().getName())) {
                return true;
            }
        }
        return false;
    }

    private static boolean inPackage(String pkg, String parent) {
        return pkg.equals(parent) || pkg.startsWith(parent + ".");
    }
}
