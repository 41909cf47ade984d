package dev.tokenrelay.upstream.auth;

import dev.tokenrelay.accounts.CredentialCheck;
import dev.tokenrelay.config.AccountConfig;
import dev.tokenrelay.config.TokenRelayConfig;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every account's credential source, and which accounts have no usable credential: those are not
 * chosen (docs/design.md, section 3), and {@link #warnAtStart()} names them once when the processor starts.
 *
 * <p>When it is checked: at creation, then again when selection asks about an account whose
 * answer is older than {@link #RECHECK}. A variable cannot change inside a running process, but a
 * key file or a token file can appear, be replaced or vanish; re-reading it at every selection
 * would put a file read on the stream thread for every request, so the answer is kept for a few
 * seconds instead. A file that appears is used within {@link #RECHECK}; a change is logged once
 * (WARN when an account loses its credential, INFO when it has one again). A credential that is
 * found unusable only at call time (a refresh refused during the attempt) ends that attempt as
 * SKIPPED_AUTH, and the next check sees it.
 */
public final class Credentials implements CredentialCheck {

    /** How long an account's answer is trusted before a selection checks it again. */
    public static final Duration RECHECK = Duration.ofSeconds(5);

    private static final Logger LOG = LoggerFactory.getLogger(Credentials.class);

    private final Map<String, CredentialSource> sources;
    private final Map<String, AtomicReference<Checked>> checked;
    private final Clock clock;

    /**
     * @param sources every account's credential source, by account id, in the configuration's order
     */
    public Credentials(Map<String, CredentialSource> sources, Clock clock) {
        this.sources = Collections.unmodifiableMap(new LinkedHashMap<>(sources));
        this.clock = clock;
        Map<String, AtomicReference<Checked>> initial = new LinkedHashMap<>();
        Instant now = clock.instant();
        this.sources.forEach((account, source) -> initial.put(account, new AtomicReference<>(check(source, now))));
        this.checked = Collections.unmodifiableMap(initial);
    }

    /** The sources of the configured accounts: an OAuth token file refreshed through {@code client}, or a key. */
    public static Credentials of(TokenRelayConfig config, CloseableHttpAsyncClient client, Clock clock) {
        Map<String, CredentialSource> sources = new LinkedHashMap<>();
        config.accounts().forEach((id, account) -> sources.put(id, sourceOf(id, account, client, clock)));
        return new Credentials(sources, clock);
    }

    private static CredentialSource sourceOf(String id, AccountConfig account, CloseableHttpAsyncClient client,
            Clock clock) {
        return account.oauth() != null ? new OAuthTokens(id, account.oauth(), client, clock)
                : new StaticKey(account.apiKey());
    }

    /** The account's credential source; an account without one configured gets a source of none. */
    public CredentialSource source(String account) {
        CredentialSource source = sources.get(account);
        return source != null ? source : new StaticKey(null);
    }

    @Override
    public Optional<String> missing(String account) {
        AtomicReference<Checked> entry = checked.get(account);
        if (entry == null) {
            return Optional.empty();
        }
        Checked last = entry.get();
        Instant now = clock.instant();
        if (now.isBefore(last.at().plus(RECHECK))) {
            return last.missing();
        }
        Checked fresh = check(sources.get(account), now);
        // Only the thread that swaps the answer logs its change, so a change is logged once.
        if (entry.compareAndSet(last, fresh) && !fresh.missing().equals(last.missing())) {
            logChange(account, fresh.missing());
        }
        return fresh.missing();
    }

    /** Every account without a usable credential, with why, in the configuration's order. */
    public Map<String, String> missing() {
        Map<String, String> missing = new LinkedHashMap<>();
        sources.keySet().forEach(account -> missing(account).ifPresent(why -> missing.put(account, why)));
        return missing;
    }

    /** How many accounts have no usable credential now. */
    public int countMissing() {
        return missing().size();
    }

    /** Logs, once per account, each account that has no usable credential: it will not be chosen. */
    public void warnAtStart() {
        checked.forEach((account, entry) -> entry.get().missing().ifPresent(why -> LOG.atWarn()
                .addKeyValue("account", account).addKeyValue("credential", why)
                .log("no usable credential: the account is not chosen until it has one")));
    }

    private static void logChange(String account, Optional<String> missing) {
        if (missing.isPresent()) {
            LOG.atWarn().addKeyValue("account", account).addKeyValue("credential", missing.get())
                    .log("no usable credential any more: the account is not chosen until it has one");
        } else {
            LOG.atInfo().addKeyValue("account", account).log("usable credential again: the account is chosen again");
        }
    }

    private static Checked check(CredentialSource source, Instant now) {
        Optional<String> missing;
        try {
            missing = source.unavailable();
        } catch (RuntimeException e) {
            missing = Optional.of("credential cannot be checked (" + e.getClass().getSimpleName() + ")");
        }
        return new Checked(missing, now);
    }

    /** What a check found, and when. */
    private record Checked(Optional<String> missing, Instant at) {}
}
