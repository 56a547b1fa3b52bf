package dev.relay.replay;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** The replay tool's layout, checked on the compiled classes: it never reaches into the ingress; no package cycles. */
@AnalyzeClasses(packages = "dev.relay.replay", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    @ArchTest
    static final ArchRule replayDoesNotKnowTheIngress = noClasses()
            .that()
            .resideInAPackage("dev.relay.replay..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage("dev.relay.ingress..");

    @ArchTest
    static final ArchRule noPackageCycles =
            slices().matching("dev.relay.(**)").should().beFreeOfCycles();
}
