package dev.tokenrelay.ops;

import dev.tokenrelay.accounts.CredentialCheck;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Collection;
import java.util.List;

/**
 * Gauges of the accounts that have no usable credential, so that an alert can fire on a key
 * forgotten in a deployment: {@value MetricNames#PROM_ACCOUNTS_WITHOUT_CREDENTIAL} counts them,
 * {@value MetricNames#PROM_ACCOUNT_WITHOUT_CREDENTIAL} is 1 for each of them (0 for the others),
 * which the {@code accounts} command shows. Read at each scrape from the processor's own view, the
 * one account selection uses.
 */
final class CredentialGauges {

    private CredentialGauges() {}

    static void bind(MeterRegistry registry, Collection<String> accounts, CredentialCheck credentials) {
        List<String> ids = List.copyOf(accounts);
        Gauge.builder(MetricNames.ACCOUNTS_WITHOUT_CREDENTIAL,
                        () -> ids.stream().filter(account -> credentials.missing(account).isPresent()).count())
                .description("Accounts that have no usable credential (variable unset, file missing, refresh refused): "
                        + "never chosen")
                .register(registry);
        for (String account : ids) {
            Gauge.builder(MetricNames.ACCOUNT_WITHOUT_CREDENTIAL, () -> credentials.missing(account).isPresent() ? 1 : 0)
                    .description("1 when the account has no usable credential and is not chosen, else 0")
                    .tag(MetricNames.ACCOUNT, account)
                    .register(registry);
        }
    }
}
