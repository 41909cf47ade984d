package dev.tokenrelay.results;

import dev.tokenrelay.schema.AccountState;
import dev.tokenrelay.schema.Attempt;
import dev.tokenrelay.schema.AttemptOutcome;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.DeadLetter;

/**
 * A record a stage writes, tagged with the output topic it belongs to. Stages forward emissions;
 * the topology routes each kind to its topic with its serde, so no stage names a topic.
 */
public sealed interface Emission {

    /** The Kafka key of the record. */
    String key();

    /** An attempt for the failover topic, keyed by the account to call. */
    record ToAttempts(Attempt attempt) implements Emission {
        @Override
        public String key() {
            return attempt.account();
        }
    }

    /** The one final result of a request, keyed by request id. */
    record ToResults(ChatResult result) implements Emission {
        @Override
        public String key() {
            return result.id();
        }
    }

    /** The outcome of one attempt, keyed by request id. */
    record ToOutcomes(AttemptOutcome outcome) implements Emission {
        @Override
        public String key() {
            return outcome.requestId();
        }
    }

    /** A failed or unreadable request, keyed by request id (or the original key when none was read). */
    record ToDeadLetter(String key, DeadLetter deadLetter) implements Emission {}

    /** An account's new health state, keyed by account id. */
    record ToAccounts(AccountState state) implements Emission {
        @Override
        public String key() {
            return state.account();
        }
    }
}
