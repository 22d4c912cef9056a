package io.strata.broker;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.freeze.FreezingArchRule;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The rules of ARCHITECTURE.md that concern the broker, checked on its compiled classes: the core (every package but
 * {@code io.strata.broker.ejb}) is plain Java and does not reach into the EJB/CDI shell; kafka-clients' internal
 * classes are touched only from the packages that touch them today; no package cycles.
 */
@AnalyzeClasses(packages = "io.strata.broker", importOptions = ImportOption.DoNotIncludeTests.class)
class BrokerArchitectureTest {

    static final String CORE = "io.strata.broker..";
    static final String SHELL = "io.strata.broker.ejb..";

    /** Jakarta EE, the older javax names of the same APIs, MicroProfile and the server's own classes. */
    static final String[] CONTAINER_PACKAGES = {"jakarta..", "javax.ejb..", "javax.enterprise..", "javax.inject..",
            "javax.annotation..", "javax.transaction..", "javax.persistence..", "javax.jms..", "javax.resource..",
            "javax.ws.rs..", "javax.servlet..", "org.eclipse.microprofile..", "fish.payara..", "org.glassfish..",
            "com.sun.enterprise.."};

    /** The internal packages of kafka-clients that the rules below allow in some broker packages. */
    static final String[] ALLOWED_KAFKA_INTERNALS = {"org.apache.kafka.common.record.internal..",
            "org.apache.kafka.common.internals..", "org.apache.kafka.clients.consumer.internals..",
            "org.apache.kafka.common.header.internals.."};

    @ArchTest
    static final ArchRule coreHasNoContainerTypes = noClasses()
            .that().resideInAPackage(CORE).and().resideOutsideOfPackage(SHELL)
            .should().dependOnClassesThat().resideInAnyPackage(CONTAINER_PACKAGES)
            .because("the broker core is plain Java, built with new from its collaborators; container types stay"
                    + " in io.strata.broker.ejb (ARCHITECTURE.md, decision 4)");

    @ArchTest
    static final ArchRule coreDoesNotDependOnTheShell = noClasses()
            .that().resideInAPackage(CORE).and().resideOutsideOfPackage(SHELL)
            .should().dependOnClassesThat().resideInAPackage(SHELL)
            .because("the EJB/CDI shell depends on the core, not the other way round (ARCHITECTURE.md)");

    /**
     * kafka-clients' record classes (batches, MemoryRecords) are internal to Kafka and moved package in 4.3: these
     * are the packages that read or write batches today (coordinators write theirs through the coordinator runtime,
     * so the group coordinator needs none). A new use elsewhere should go through them.
     */
    @ArchTest
    static final ArchRule kafkaInternalRecordClassesOnlyWhereUsedToday = noClasses()
            .that().resideOutsideOfPackages("io.strata.broker.api..", "io.strata.broker.coordinator..",
                    "io.strata.broker.local..", "io.strata.broker.metadata..", "io.strata.broker.network..",
                    "io.strata.broker.partition..", "io.strata.broker.producer..", "io.strata.broker.replication..")
            .should().dependOnClassesThat().resideInAPackage("org.apache.kafka.common.record.internal..")
            .because("one place touches kafka-clients' internal classes for each concern (STYLE.md)");

    /** Internal topic names and validation ({@code common.internals.Topic}). */
    @ArchTest
    static final ArchRule kafkaCommonInternalsOnlyWhereUsedToday = noClasses()
            .that().resideOutsideOfPackages("io.strata.broker.api..", "io.strata.broker.group..",
                    "io.strata.broker.local..", "io.strata.broker.metadata..")
            .should().dependOnClassesThat().resideInAPackage("org.apache.kafka.common.internals..")
            .because("one place touches kafka-clients' internal classes for each concern (STYLE.md)");

    /** The consumer protocol's subscription and assignment encoding ({@code ConsumerProtocol}). */
    @ArchTest
    static final ArchRule kafkaConsumerInternalsOnlyWhereUsedToday = noClasses()
            .that().resideOutsideOfPackages("io.strata.broker.group..", "io.strata.broker.local..")
            .should().dependOnClassesThat().resideInAPackage("org.apache.kafka.clients.consumer.internals..")
            .because("one place touches kafka-clients' internal classes for each concern (STYLE.md)");

    /** Record headers of the native API ({@code RecordHeader}). */
    @ArchTest
    static final ArchRule kafkaHeaderInternalsOnlyWhereUsedToday = noClasses()
            .that().resideOutsideOfPackages("io.strata.broker.local..")
            .should().dependOnClassesThat().resideInAPackage("org.apache.kafka.common.header.internals..")
            .because("one place touches kafka-clients' internal classes for each concern (STYLE.md)");

    /** Any other internal package of kafka-clients (producer internals, the admin client's, ...): none today. */
    @ArchTest
    static final ArchRule noOtherKafkaInternals = noClasses().should().dependOnClassesThat(
                    resideInAnyPackage("org.apache.kafka..internal..", "org.apache.kafka..internals..")
                            .and(not(resideInAnyPackage(ALLOWED_KAFKA_INTERNALS))))
            .because("one place touches kafka-clients' internal classes for each concern (STYLE.md)");

    /**
     * Frozen: the cycles that existed when this rule came (issue 13) are recorded in src/test/resources/archunit-store
     * and tolerated until they are broken; a new cycle fails.
     */
    @ArchTest
    static final ArchRule noPackageCycles = FreezingArchRule.freeze(
            slices().matching("io.strata.broker.(*)..").should().beFreeOfCycles());
}
