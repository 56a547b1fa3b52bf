package dev.relay.processor;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The processor's layout, checked on the compiled classes (a fully qualified name counts as much as an import):
 * adapters know HTTP and JSON only, the decision packages never touch Kafka or the adapters, no package cycles.
 */
@AnalyzeClasses(packages = "dev.relay.processor", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    @ArchTest
    static final ArchRule providersKnowNeitherKafkaNorTopologyNorRecords = noClasses()
            .that()
            .resideInAPackage("dev.relay.processor.provider..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(
                    "org.apache.kafka..", "kafka..", "dev.relay.processor.topology..", "dev.relay.schemas..");

    @ArchTest
    static final ArchRule attemptDoesNotKnowTheProviders = noClasses()
            .that()
            .resideInAPackage("dev.relay.processor.attempt..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage("dev.relay.processor.provider..");

    @ArchTest
    static final ArchRule policyPackagesNeverTouchKafka = noClasses()
            .that()
            .resideInAnyPackage(
                    "dev.relay.processor.attempt..", "dev.relay.processor.routing..", "dev.relay.processor.fault..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("org.apache.kafka..", "kafka..");

    @ArchTest
    static final ArchRule noPackageCycles =
            slices().matching("dev.relay.(**)").should().beFreeOfCycles();
}
