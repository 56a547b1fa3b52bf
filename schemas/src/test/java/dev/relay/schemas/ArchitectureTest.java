package dev.relay.schemas;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** The records are the public interface every role shares: they know none of the roles; no package cycles. */
@AnalyzeClasses(packages = "dev.relay.schemas", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    @ArchTest
    static final ArchRule schemasDoNotKnowTheRoles = noClasses()
            .that()
            .resideInAPackage("dev.relay.schemas..")
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("dev.relay.processor..", "dev.relay.ingress..", "dev.relay.replay..");

    @ArchTest
    static final ArchRule noPackageCycles =
            slices().matching("dev.relay.(**)").should().beFreeOfCycles();
}
