package dev.tokenrelay;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import dev.tokenrelay.testing.ArchitectureRules;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the command line module may and may not do (ARCHITECTURE.md): it drives the processor
 * through its public API and reads the topics as any client would. These rules read this module's
 * compiled main classes.
 */
class CliArchitectureTest {

    private static JavaClasses cli;

    @BeforeAll
    static void importCliClasses() {
        cli = ArchitectureRules.thisModulesClasses();
    }

    @Test
    void shouldNotReachIntoAStagesInternals() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("..internal..")
                .because("the stages' internals are theirs; the command line uses TokenRelay and the topics")
                .check(cli);
    }

    @Test
    void shouldHaveNoCycleBetweenPackages() {
        ArchitectureRules.noPackageCycles().check(cli);
    }
}
