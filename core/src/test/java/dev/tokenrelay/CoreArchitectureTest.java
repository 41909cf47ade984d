package dev.tokenrelay;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import dev.tokenrelay.testing.ArchitectureRules;
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
        core = ArchitectureRules.thisModulesClasses();
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
        ArchitectureRules.readsNoWallClock().check(core);
    }

    @Test
    void shouldHaveNoCycleBetweenPackages() {
        ArchitectureRules.noPackageCycles().check(core);
    }
}
