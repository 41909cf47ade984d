package dev.tokenrelay.tools;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tokenrelay.schema.AccountState;
import dev.tokenrelay.schema.OutcomeKind;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class AccountsTableTest {

    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

    @Test
    void shouldShowACoolingAccountWithTimeLeftReasonAndLastError() {
        // Given an account cooling for 14 more seconds after a 429, with figures from the metrics
        AccountState cooling = new AccountState("a", NOW.plusSeconds(14), "status_429", OutcomeKind.RETRYABLE, 429, 2,
                false, NOW);
        AccountsTable.Row row = new AccountsTable.Row("a", cooling, new AccountsTable.AccountMetrics(1, 4, 39, 40, 0));

        // When its cells are made
        List<String> cells = AccountsTable.cells(row, NOW);

        // Then every column says what is known
        assertThat(cells).containsExactly("a", "12:00:14Z (14s left)", "status_429", "2", "no", "ok", "1", "4",
                "97% (39/40)", "status_429 (429)");
    }

    @Test
    void shouldShowEveryFailureAndTheLatestOneForAnAccountThatNeverCooled() {
        // Given an account that answered 100 empty completions and then reset a connection, never cooling
        AccountState failing = new AccountState("e", null, null, null, null, 101, null, 0, false, null, NOW, "reset",
                null);
        AccountState emptied = new AccountState("f", null, null, null, null, 100, null, 0, false, null, NOW,
                "empty_completion", 200);

        // When their cells are made / Then FAILURES counts them all and LAST ERROR is the latest, while nothing cools
        assertThat(AccountsTable.cells(new AccountsTable.Row("e", failing, null), NOW))
                .containsExactly("e", "-", "-", "101", "no", "-", "-", "-", "-", "reset");
        assertThat(AccountsTable.cells(new AccountsTable.Row("f", emptied, null), NOW))
                .containsExactly("f", "-", "-", "100", "no", "-", "-", "-", "-", "empty_completion (200)");
    }

    @Test
    void shouldShowTheLatestFailureRatherThanTheOneThatCooledTheAccount() {
        // Given an account cooling after a 429, whose latest failure was an empty completion elsewhere in the window
        AccountState state = new AccountState("g", NOW.plusSeconds(5), "status_429", OutcomeKind.RETRYABLE, 429, 2, null,
                0, false, null, NOW, "empty_completion", 200);

        // When its cells are made / Then WHY says why it cools and LAST ERROR what failed last
        assertThat(AccountsTable.cells(new AccountsTable.Row("g", state, null), NOW))
                .containsExactly("g", "12:00:05Z (5s left)", "status_429", "2", "no", "-", "-", "-", "-",
                        "empty_completion (200)");
    }

    @Test
    void shouldShowDashesForWhatIsNotKnown() {
        // Given an account that never had a state, and no metrics
        AccountsTable.Row row = new AccountsTable.Row("b", null, null);

        // Then it is healthy, and the metrics columns are dashes
        assertThat(AccountsTable.cells(row, NOW)).containsExactly("b", "-", "-", "0", "no", "-", "-", "-", "-", "-");
    }

    @Test
    void shouldShowNoCredentialInItsOwnColumnWhenAProcessorHasNone() {
        // Given an account that one of two processor instances has no usable credential for
        AccountsTable.AccountMetrics figures = new AccountsTable.AccountMetrics(0, 0, 0, 0, 0)
                .plus(new AccountsTable.AccountMetrics(0, 0, 0, 0, 1));

        // When its cells are made
        List<String> cells = AccountsTable.cells(new AccountsTable.Row("no-key", null, figures), NOW);

        // Then the credential column says so, and the account is otherwise healthy
        assertThat(cells).containsExactly("no-key", "-", "-", "0", "no", "no credential", "0", "0", "-", "-");
    }

    @Test
    void shouldNotShowACooldownThatEndedOrARecoveryAsAnError() {
        // Given an account whose cooldown is over, and one that recovered
        AccountState ended = new AccountState("c", NOW.minusSeconds(1), "status_503", OutcomeKind.RETRYABLE, 503, 1,
                true, NOW);
        AccountState recovered = new AccountState("d", null, "recovered", OutcomeKind.SUCCESS, 200, 0, false, NOW);

        // Then neither is cooling; the first still shows its last error and that it is disabled
        assertThat(AccountsTable.cells(new AccountsTable.Row("c", ended, null), NOW))
                .containsExactly("c", "-", "-", "1", "yes", "-", "-", "-", "-", "status_503 (503)");
        assertThat(AccountsTable.cells(new AccountsTable.Row("d", recovered, null), NOW))
                .containsExactly("d", "-", "-", "0", "no", "-", "-", "-", "-", "-");
    }

    @Test
    void shouldShowAnAccountDisabledByTheRuleAsProbingOnceItsProbeIsDue() {
        // Given an account the rule disabled, its probe ten seconds away
        Instant probeAt = NOW.plusSeconds(10);
        AccountState state = new AccountState("e", probeAt, "disabled after 3 failures within PT1M: status_500",
                OutcomeKind.RETRYABLE, 500, 3, NOW.minusSeconds(5), 3, true, probeAt, NOW);
        AccountsTable.Row row = new AccountsTable.Row("e", state, null);

        // Then it cools until the probe and is disabled; once the probe is due it is probing
        assertThat(AccountsTable.cells(row, NOW)).startsWith("e", "12:00:10Z (10s left)",
                "disabled after 3 failures within PT1M: status_500", "3", "yes");
        assertThat(AccountsTable.cells(row, probeAt)).startsWith("e", "-", "-", "3", "probing");
    }

    @Test
    void shouldAlignColumnsUnderTheHeader() {
        // Given two rows of different widths
        String table = AccountsTable.render(List.of(
                new AccountsTable.Row("a-long-account-name", null, new AccountsTable.AccountMetrics(0, 0, 0, 0, 0)),
                new AccountsTable.Row("b", null, new AccountsTable.AccountMetrics(12, 0, 3, 3, 0))), NOW);

        // Then every line starts its second column at the same place
        List<String> lines = table.lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).startsWith("ACCOUNT              COOLING UNTIL");
        assertThat(lines.get(2)).startsWith("b                    -");
        assertThat(lines.get(2)).contains("100% (3/3)");
    }

    @Test
    void shouldWriteShortDurations() {
        assertThat(AccountsTable.left(Duration.ofMillis(200))).isEqualTo("1s");
        assertThat(AccountsTable.left(Duration.ofSeconds(125))).isEqualTo("2m05s");
        assertThat(AccountsTable.left(Duration.ofMinutes(62))).isEqualTo("1h02m");
    }
}
