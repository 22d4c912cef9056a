package io.strata.storage;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.freeze.FreezingArchRule;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideOutsideOfPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The rules of ARCHITECTURE.md that concern the storage module, checked on its compiled classes: no container type,
 * no other Strata module, kafka-clients' internal record classes only where they are read today, no package cycles.
 */
@AnalyzeClasses(packages = "io.strata.storage", importOptions = ImportOption.DoNotIncludeTests.class)
class StorageArchitectureTest {

    /** Jakarta EE, the older javax names of the same APIs, MicroProfile and the server's own classes. */
    static final String[] CONTAINER_PACKAGES = {"jakarta..", "javax.ejb..", "javax.enterprise..", "javax.inject..",
            "javax.annotation..", "javax.transaction..", "javax.persistence..", "javax.jms..", "javax.resource..",
            "javax.ws.rs..", "javax.servlet..", "org.eclipse.microprofile..", "fish.payara..", "org.glassfish..",
            "com.sun.enterprise.."};

    @ArchTest
    static final ArchRule noContainerTypes = noClasses().should().dependOnClassesThat()
            .resideInAnyPackage(CONTAINER_PACKAGES)
            .because("storage is plain Java: no network, no container (ARCHITECTURE.md, Layout)");

    @ArchTest
    static final ArchRule dependsOnNoOtherStrataModule = noClasses().should().dependOnClassesThat(
                    resideInAPackage("io.strata..").and(resideOutsideOfPackage("io.strata.storage..")))
            .because("storage depends on nothing of Strata's (ARCHITECTURE.md, who may depend on whom)");

    /**
     * kafka-clients' record classes are internal to Kafka and moved package in 4.3: storage reads batches with them
     * in these packages only, so that the next move touches as few files as possible.
     */
    @ArchTest
    static final ArchRule kafkaInternalRecordClassesOnlyWhereReadToday = noClasses()
            .that().resideOutsideOfPackages("io.strata.storage.batch..", "io.strata.storage.cleaner..")
            .should().dependOnClassesThat().resideInAnyPackage("org.apache.kafka.common.record.internal..")
            .because("one place touches kafka-clients' internal classes for each concern (STYLE.md)");

    @ArchTest
    static final ArchRule otherKafkaInternalsNowhere = noClasses().should().dependOnClassesThat()
            .resideInAnyPackage("org.apache.kafka..internals..", "org.apache.kafka.server..",
                    "org.apache.kafka.storage..")
            .because("storage needs no other internal class of Kafka's");

    /**
     * Frozen: the cycles that existed when this rule came (issue 13) are recorded in src/test/resources/archunit-store
     * and tolerated until they are broken; a new cycle fails.
     */
    @ArchTest
    static final ArchRule noPackageCycles = FreezingArchRule.freeze(
            slices().matching("io.strata.storage.(*)..").should().beFreeOfCycles());
}
