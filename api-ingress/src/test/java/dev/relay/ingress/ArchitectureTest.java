package dev.relay.ingress;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The ingress's layout, checked on the compiled classes: it never reaches into the processor; no package cycles (the
 * wiring, {@code RelayIngress} and {@code KafkaBackend}, sits in the root package, above {@code http}, {@code kafka},
 * {@code batch} and the rest).
 */
@AnalyzeClasses(packages = "dev.relay.ingress", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    @ArchTest
    static final ArchRule ingressDoesNotKnowTheProcessor = noClasses()
            .that()
            .resideInAPackage("dev.relay.ingress..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage("dev.relay.processor..");

    @ArchTest
    static final ArchRule noPackageCycles =
            slices().matching("dev.relay.(**)").should().beFreeOfCycles();
}
