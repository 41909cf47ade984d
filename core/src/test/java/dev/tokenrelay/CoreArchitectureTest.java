package dev.tokenrelay;

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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the core module may and may not do (ARCHITECTURE.md): it decides, in plain Java, from the
 * time it is given. These rules read this module's compiled classes, so a new package is covered
 * the day it is added.
 */
class CoreArchitectureTest {

    private static JavaClasses core;

    @BeforeAll
    static void importCoreClasses() {
        core = new ClassFileImporter().importPath(Path.of("target/classes"));
    }

    @Test
    void shouldNotTalkToKafkaNorMakeHttpCalls() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage(
                        "org.apache.kafka..", "org.apache.hc..", "io.micrometer..", "java.net.http..")
                .because("the core decides; the processor module adapts Kafka and HTTP to it")
                .check(core);
    }

    @Test
    void shouldNotDependOnTheModulesBuiltOnIt() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage(
                        "dev.tokenrelay.intake..", "dev.tokenrelay.dispatch..", "dev.tokenrelay.kafka..",
                        "dev.tokenrelay.upstream..", "dev.tokenrelay.ops..", "dev.tokenrelay.simulator..",
                        "dev.tokenrelay.broker..", "dev.tokenrelay.cli..", "dev.tokenrelay.tools..",
                        "dev.tokenrelay.bench..", "dev.tokenrelay.chaos..")
                .check(core);
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
                .because("cooldowns, deadlines and probes are tested by advancing a fixed clock")
                .check(core);
    }

    @Test
    void shouldHaveNoCycleBetweenPackages() {
        slices().matching("dev.tokenrelay.(*)..").should().beFreeOfCycles().check(core);
    }
}
