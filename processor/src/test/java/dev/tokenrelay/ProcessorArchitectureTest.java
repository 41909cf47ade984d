package dev.tokenrelay;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import dev.tokenrelay.testing.ArchitectureRules;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the processor module may and may not do (ARCHITECTURE.md): it adapts Kafka Streams and HTTP
 * to the core's decisions, and ships without the testkit or the command line. These rules read this
 * module's compiled main classes.
 */
class ProcessorArchitectureTest {

    /** Packages whose {@code internal} subpackage no other package may touch. */
    private static final List<String> STAGES_WITH_INTERNALS = List.of("dispatch", "upstream");

    private static JavaClasses processor;

    @BeforeAll
    static void importProcessorClasses() {
        processor = ArchitectureRules.thisModulesClasses();
    }

    @Test
    void shouldNotDependOnTheTestkitOrTheCommandLine() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage(
                        "dev.tokenrelay.simulator..", "dev.tokenrelay.broker..", "dev.tokenrelay.cli..",
                        "dev.tokenrelay.tools..", "dev.tokenrelay.bench..", "dev.tokenrelay.chaos..",
                        "picocli..", "kafka..", "org.apache.kafka.server..")
                .because("a processor embedded in a user's application brings neither a broker nor a simulator")
                .check(processor);
    }

    @Test
    void shouldKeepEachStagesInternalsToItself() {
        for (String stage : STAGES_WITH_INTERNALS) {
            classes().that().resideInAPackage("dev.tokenrelay." + stage + ".internal..")
                    .should().onlyBeAccessed().byAnyPackage("dev.tokenrelay." + stage + "..")
                    .check(processor);
        }
    }

    @Test
    void shouldTakeTimeOnlyFromTheInjectedClock() {
        ArchitectureRules.readsNoWallClock().check(processor);
    }

    @Test
    void shouldHaveNoCycleBetweenPackages() {
        ArchitectureRules.noPackageCycles().check(processor);
    }
}
