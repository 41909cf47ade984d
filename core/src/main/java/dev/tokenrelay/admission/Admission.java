package dev.tokenrelay.admission;

import dev.tokenrelay.accounts.AccountSelector;
import dev.tokenrelay.accounts.AccountStates;
import dev.tokenrelay.accounts.Choice;
import dev.tokenrelay.accounts.CredentialCheck;
import dev.tokenrelay.accounts.ModelRouting;
import dev.tokenrelay.config.RequestLimits;
import dev.tokenrelay.config.TokenRelayConfig;
import dev.tokenrelay.lanes.Cancellations;
import dev.tokenrelay.metrics.PipelineMetrics;
import dev.tokenrelay.results.Emission;
import dev.tokenrelay.results.ResultLog;
import dev.tokenrelay.results.Results;
import dev.tokenrelay.schema.Attempt;
import dev.tokenrelay.schema.ChatRequest;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.DeadLetter;
import dev.tokenrelay.schema.ErrorInfo;
import dev.tokenrelay.schema.InvalidMessageException;
import dev.tokenrelay.schema.JsonCodec;
import dev.tokenrelay.schema.MessageValidator;
import dev.tokenrelay.schema.ResultStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The intake stage's decisions (docs/design.md, section 1), with no Kafka: whether a raw request
 * is admitted, dropped as a duplicate or rejected, and, when admitted, its pool and first account.
 * The output is what the stage emits: the first attempt keyed by its account, or a final result
 * and a dead letter. Input that cannot be accepted gets a rejected result (when an id can be found)
 * and always a dead letter holding the original bytes (unless they are too large to copy); bad
 * input never throws.
 *
 * <p>The checks run cheapest first, so hostile input costs little: the size of the value against
 * {@link RequestLimits#maxRequestBytes()} before it is parsed, the nesting depth while it is parsed,
 * then the schema, the record key (it must be the request id), and the size of the metadata. A
 * submission already admitted within {@code processor.dedupeRetention} is dropped.
 *
 * <p>Time is only the {@code now} each call is given: deadlines, dedupe windows and cooldowns count
 * from it.
 */
public final class Admission {

    private static final Logger LOG = LoggerFactory.getLogger(Admission.class);
    private static final MessageValidator VALIDATOR = MessageValidator.instance();
    /** Room in a dead letter beyond the request limit: reason, source, id, field names. */
    private static final int DEAD_LETTER_ROOM = 32 * 1024;
    private static final String STAGE = "intake";

    private final TokenRelayConfig config;
    private final CredentialCheck credentials;
    private final AccountSelector selector;
    private final ModelRouting models;
    private final Duration retention;
    private final RequestLimits limits;
    private final AccountStates states;
    private final SeenRequests seen;
    private final PipelineMetrics metrics;
    private final Cancellations cancellations;

    /**
     * @param credentials which accounts have no usable credential: they are not chosen
     * @param states      the accounts' health, for choosing the first account
     * @param seen        the submissions admitted so far, for dropping a duplicate
     * @param metrics     told of every final result
     */
    public Admission(TokenRelayConfig config, CredentialCheck credentials, AccountStates states, SeenRequests seen,
            PipelineMetrics metrics) {
        this(config, credentials, states, seen, Cancellations.NONE, metrics);
    }

    /**
     * As {@link #Admission(TokenRelayConfig, CredentialCheck, AccountStates, SeenRequests, PipelineMetrics)},
     * ending a request that arrives after its cancellation {@code cancelled}, with no attempt.
     */
    public Admission(TokenRelayConfig config, CredentialCheck credentials, AccountStates states, SeenRequests seen,
            Cancellations cancellations, PipelineMetrics metrics) {
        this.cancellations = cancellations;
        this.config = config;
        this.credentials = credentials;
        this.selector = new AccountSelector(config, credentials);
        this.models = new ModelRouting(config);
        this.retention = config.processor().dedupeRetention();
        this.limits = config.processor().limits();
        this.states = states;
        this.seen = seen;
        this.metrics = metrics;
    }

    /**
     * Decides one record of the requests topic.
     *
     * @param key    the record key, which must be the request id; may be {@code null}
     * @param value  the raw request; may be {@code null}
     * @param source where the record was read, for a dead letter; may be {@code null}
     * @param now    the time the request is admitted at
     * @return what to emit, in order, each with its key; empty for a duplicate
     */
    public List<Emission> admit(String key, byte[] value, DeadLetter.SourceRecord source, Instant now) {
        byte[] bytes = value == null ? new byte[0] : value;
        String tooLarge = limits.requestTooLarge(bytes.length);
        if (tooLarge != null) {
            return reject(key, value, idOf(key, value), "invalid request: " + tooLarge, source, now);
        }
        ChatRequest request;
        try {
            request = VALIDATOR.readRequest(bytes, limits.maxNestingDepth());
        } catch (JsonCodec.TooDeepException e) {
            return reject(key, value, idOf(key, value), "invalid request: " + limits.tooDeep(), source, now);
        } catch (InvalidMessageException e) {
            return reject(key, value, idOf(key, value), "invalid request: " + e.getMessage(), source, now);
        }
        String keyProblem = keyProblem(key, request.id());
        if (keyProblem != null) {
            return reject(key, value, request.id(), "invalid request: " + keyProblem, source, now);
        }
        if (request.metadata() != null) {
            String metadataTooLarge = limits.metadataTooLarge(JsonCodec.encode(request.metadata()).length);
            if (metadataTooLarge != null) {
                return reject(key, value, request.id(), "invalid request: " + metadataTooLarge, source, now);
            }
        }
        if (alreadySeen(request, now)) {
            LOG.atDebug().addKeyValue("requestId", request.id()).addKeyValue("generation", request.generation())
                    .log("duplicate submission ignored");
            return List.of();
        }
        seen.remember(request.submissionKey(), now);
        return reported(accept(request, now));
    }

    /**
     * Why the record key breaks the rule that it is the request id, or {@code null}. A keyless
     * record would land on a partition of its own choosing, so two submissions of one id could be
     * read by two tasks at once and both be answered: the key is required, not just checked.
     */
    public static String keyProblem(String key, String id) {
        if (key == null) {
            return "the record has no key; its key must be the request id '" + id + "'";
        }
        return key.equals(id) ? null : "the record key '" + key + "' is not the request id '" + id + "'";
    }

    private List<Emission> accept(ChatRequest request, Instant now) {
        String problem = unroutable(request);
        if (problem != null) {
            ChatResult result = Results.failed(request, ResultStatus.REJECTED, 400,
                    ErrorInfo.of("invalid_request", problem), List.of(), now);
            return Results.unsuccessful(request, result, now);
        }
        Optional<String> cancelled = cancellations.cancelled(request);
        if (cancelled.isPresent()) {
            ChatResult result = Results.failed(request, ResultStatus.CANCELLED, 499,
                    ErrorInfo.of("cancelled", cancelled.get()), List.of(), now);
            return Results.unsuccessful(request, result, now);
        }
        if (request.deadline() != null && !request.deadline().isAfter(now)) {
            ChatResult result = Results.failed(request, ResultStatus.EXPIRED, 504,
                    ErrorInfo.of("expired", "the deadline " + request.deadline() + " had passed on arrival"), List.of(), now);
            return Results.unsuccessful(request, result, now);
        }
        String pool = request.pool() != null ? request.pool() : config.defaultPool();
        String unserved = unservedModel(request, pool);
        if (unserved != null) {
            ChatResult result = Results.failed(request, ResultStatus.FAILED, 404,
                    ErrorInfo.of("model_not_found", unserved), List.of(), now);
            return Results.unsuccessful(request, result, now);
        }
        Instant deadline = request.deadline() != null ? request.deadline()
                : now.plus(config.processor().defaultDeadline());
        if (request.pinned()) {
            Optional<String> missing = credentials.missing(request.account());
            if (missing.isPresent()) {
                ChatResult result = Results.failed(request, ResultStatus.FAILED, 503, ErrorInfo.of(
                        "no_account_available", AccountSelector.pinnedNoCredentialMessage(request.account(),
                                missing.get())), List.of(), now);
                return Results.unsuccessful(request, result, now);
            }
            // A cooling pinned account is waited for by the dispatch stage that owns it.
            return List.of(new Emission.ToAttempts(
                    new Attempt(request, 1, request.account(), pool, List.of(), null, now, deadline, null)));
        }
        Choice choice = selector.chooseOrWait(pool, models.unserved(request.model()), request.id(), states, now,
                deadline);
        if (choice instanceof Choice.Chosen chosen) {
            return List.of(new Emission.ToAttempts(new Attempt(request, 1, chosen.account(), chosen.pool(), List.of(),
                    null, now, deadline, chosen.notBefore())));
        }
        Choice.NoneLeft none = (Choice.NoneLeft) choice;
        String message;
        if (!none.allCooling() && !none.withoutCredential().isEmpty()) {
            message = selector.noCredentialMessage(pool, none.withoutCredential());
        } else {
            message = "every account of pool '" + pool + "' and its fallbacks is disabled or cooling down past the deadline"
                    + (none.withoutCredential().isEmpty() ? ""
                            : " or has no usable credential: " + none.withoutCredentialText());
        }
        ChatResult result = Results.failed(request, ResultStatus.FAILED, 503,
                ErrorInfo.of("no_account_available", message), List.of(), now);
        return Results.unsuccessful(request, result, now);
    }

    /** Why no account the request may go to serves its model, or {@code null} when one does. */
    private String unservedModel(ChatRequest request, String pool) {
        String model = request.model();
        if (request.pinned()) {
            return config.account(request.account()).servesModel(model) ? null
                    : "account '" + request.account() + "' does not serve model '" + model + "'";
        }
        return models.servedIn(pool, model) ? null
                : "no account of pool '" + pool + "' or its fallbacks serves model '" + model + "'";
    }

    /** Why the request names a pool or account that does not exist, or {@code null}. */
    private String unroutable(ChatRequest request) {
        if (request.pool() != null && !config.pools().containsKey(request.pool())) {
            return "/pool: unknown pool '" + request.pool() + "' (known: " + config.pools().keySet() + ")";
        }
        if (request.account() != null && !config.accounts().containsKey(request.account())) {
            return "/account: unknown account '" + request.account() + "'";
        }
        return null;
    }

    private boolean alreadySeen(ChatRequest request, Instant now) {
        Instant from = now.minus(retention);
        return seen.seenSince(request.submissionKey(), from.isBefore(Instant.EPOCH) ? Instant.EPOCH : from, now);
    }

    private List<Emission> reject(String key, byte[] value, String id, String reason, DeadLetter.SourceRecord source,
            Instant now) {
        LOG.atWarn().addKeyValue("requestId", id).log("request rejected: {}", reason);
        byte[] original = value != null && value.length > limits.maxRequestBytes() ? null : value;
        DeadLetter deadLetter = Results.unreadable(id, reason, original, source, now, deadLetterBudget(),
                value == null ? 0 : value.length);
        List<Emission> emissions = new ArrayList<>(2);
        if (id != null) {
            emissions.add(new Emission.ToResults(
                    Results.rejected(id, 0, null, ErrorInfo.of("invalid_request", reason), now)));
        }
        emissions.add(new Emission.ToDeadLetter(id != null ? id : key, deadLetter));
        return reported(emissions);
    }

    /** Reports each final result among {@code emissions} to the metrics and the result log. */
    private List<Emission> reported(List<Emission> emissions) {
        for (Emission emission : emissions) {
            if (emission instanceof Emission.ToResults toResults) {
                metrics.resultEmitted(STAGE, toResults.result());
                if (config.ops().resultLog()) {
                    ResultLog.finished(toResults.result());
                }
            }
        }
        return emissions;
    }

    /**
     * The largest dead letter of unreadable input, encoded: the largest request accepted plus room
     * for the reason and the source, so that it never outgrows what the request limit lets through.
     */
    private int deadLetterBudget() {
        return limits.maxRequestBytes() + DEAD_LETTER_ROOM;
    }

    /**
     * The request id of unreadable input: the {@code id} field if the value is a JSON object with
     * one before whatever is wrong with it, else the key.
     */
    private String idOf(String key, byte[] value) {
        if (value != null) {
            String id = JsonCodec.scanId(value, limits.maxNestingDepth());
            if (id != null) {
                return id;
            }
        }
        return key == null || key.isBlank() ? null : key;
    }
}
