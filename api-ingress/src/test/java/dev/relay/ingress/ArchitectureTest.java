package dev.relay.ingress;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The ingress's layout, checked on the compiled classes: it never reaches into the processor. The "no package cycles"
 * rule of the other modules is not here yet: {@code http}, {@code kafka}, {@code batch} and the root package still
 * depend on one another (IngressBackend, JobPublisher, JobView, ResultRenderer, Batches, Catalog, FileContents).
 */
@AnalyzeClasses(packages = "dev.relay.ingress", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    @ArchTest
    static final ArchRule ingressDoesNotKnowTheProcessor = noClasses()
            .that().resideInAPackage("dev.relay.ingress..")
            .should().dependOnClassesThat().resideInAPackage("dev.relay.processor..");
}
