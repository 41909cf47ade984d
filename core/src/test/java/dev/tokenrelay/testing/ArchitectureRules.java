package dev.tokenrelay.testing;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;

/** The architecture rules every module checks of its own classes (ARCHITECTURE.md). */
public final class ArchitectureRules {

    private ArchitectureRules() {}

    /** The main classes of the module whose tests run: those under its {@code target/classes}. */
    public static JavaClasses thisModulesClasses() {
        return new ClassFileImporter().importPath(Path.of("target/classes"));
    }

    /** Time only from the injected Clock: cooldowns, deadlines and probes are tested by advancing one. */
    public static ArchRule readsNoWallClock() {
        return noClasses().should().callMethod(Instant.class, "now")
                .orShould().callMethod(Clock.class, "systemUTC")
                .orShould().callMethod(Clock.class, "systemDefaultZone")
                .orShould().callMethod(System.class, "currentTimeMillis")
                .orShould().callMethod(LocalDateTime.class, "now")
                .orShould().callMethod(OffsetDateTime.class, "now")
                .orShould().callMethod(ZonedDateTime.class, "now")
                .because("the relay's time comes from the Clock it is given; timeouts may use System.nanoTime");
    }

    /** No two packages of a module depend on each other. */
    public static ArchRule noPackageCycles() {
        return slices().matching("dev.tokenrelay.(*)..").should().beFreeOfCycles();
    }
}
