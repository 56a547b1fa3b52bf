package dev.relay.config;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** The config reader serves every role and knows none of them; no package cycles. */
@AnalyzeClasses(packages = "dev.relay.config", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    @ArchTest
    static final ArchRule configDoesNotKnowTheRoles = noClasses()
            .that()
            .resideInAPackage("dev.relay.config..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("dev.relay.processor..", "dev.relay.ingress..", "dev.relay.replay..");

    @ArchTest
    static final ArchRule noPackageCycles =
            slices().matching("dev.relay.(**)").should().beFreeOfCycles();
}
