package dev.tokenrelay.testing;

import dev.tokenrelay.simulator.SimulatedUpstream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension that gives a test class one {@link SimulatedUpstream} on 127.0.0.1, with its
 * scripts and counters cleared before every test.
 * <pre>{@code
 * @RegisterExtension
 * static final Upstream UPSTREAM = new Upstream();
 * ...
 * UPSTREAM.get().script("a", Behaviour.ok());
 * }</pre>
 */
public final class Upstream implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback {

    private SimulatedUpstream upstream;
    private Class<?> owner;

    @Override
    public void beforeAll(ExtensionContext context) {
        // @Nested classes run this again: they share the outer class's upstream.
        if (upstream == null) {
            upstream = SimulatedUpstream.start();
            owner = context.getRequiredTestClass();
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        upstream.reset();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (upstream != null && context.getRequiredTestClass() == owner) {
            upstream.close();
            upstream = null;
        }
    }

    public SimulatedUpstream get() {
        if (upstream == null) {
            throw new IllegalStateException("register Upstream with @RegisterExtension on a static field");
        }
        return upstream;
    }
}
