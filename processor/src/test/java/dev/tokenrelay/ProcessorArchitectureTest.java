package dev.tokenrelay;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
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
        processor = new ClassFileImporter().importPath(Path.of("target/classes"));
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
        noClasses().should().callMethod(Instant.class, "now")
                .orShould().callMethod(Clock.class, "systemUTC")
                .orShould().callMethod(Clock.class, "systemDefaultZone")
                .orShould().callMethod(System.class, "currentTimeMillis")
                .orShould().callMethod(LocalDateTime.class, "now")
                .orShould().callMethod(OffsetDateTime.class, "now")
                .orShould().callMethod(ZonedDateTime.class, "now")
                .because("TokenRelay is given its Clock; timeouts may use System.nanoTime")
                .check(processor);
    }

    @Test
    void shouldHaveNoCycleBetweenPackages() {
        slices().matching("dev.tokenrelay.(*)..").should().beFreeOfCycles().check(processor);
    }
}
