package dev.tokenrelay.config;

import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * One upstream account: where to send calls, with which credential, and how many at once.
 *
 * @param provider the API the account speaks; required
 * @param baseUrl the API's base URL; required, absolute http or https with a host and no user info
 * @param apiKey the credential; optional, absent means calls carry no Authorization header
 * @param models the models this account serves, as requested (exact names, {@code prefix*} or
 *     {@code *}); default empty, meaning any model
 * @param maxInFlight the most concurrent calls; optional (at least 1), absent means
 *     {@link ProcessorSettings#defaultMaxInFlight()}
 * @param requestsPerMinute the most calls started in any 60 s; optional (at least 1), absent means no limit
 * @param tokensPerMinute the most tokens the calls started in any 60 s may use, each call counted by
 *     an estimate when it starts (its prompt at four characters a token plus its {@code max_tokens})
 *     and by the usage its response reports once it ends; optional (at least 1), absent means no limit
 * @param connectTimeout how long to wait for a connection; default 5s
 * @param responseTimeout how long a call may take in all, from its start to the end of the response; default 120s
 * @param headers extra HTTP headers sent with every call of this account, e.g. a ChatGPT account id
 *     or an {@code anthropic-version}; not for secrets (use apiKey); default none
 * @param modelMap the model name to ask this account for, by requested name: an exact name, then
 *     the longest matching {@code prefix*}, then {@code *}; a model matching none is sent as
 *     requested; default none
 * @param oauth an access token with an expiry, refreshed through a token endpoint, instead of
 *     {@code apiKey}; default none
 */
public record AccountConfig(ProviderType provider, URI baseUrl, Secret apiKey, List<String> models, Integer maxInFlight,
        Integer requestsPerMinute, Integer tokensPerMinute, Duration connectTimeout, Duration responseTimeout, Map<String, String> headers,
        Map<String, String> modelMap, OAuthConfig oauth) {

    /** Default {@link #connectTimeout()}. */
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** Default {@link #responseTimeout()}: long, because a long completion streams for minutes. */
    public static final Duration DEFAULT_RESPONSE_TIMEOUT = Duration.ofSeconds(120);

    /** Applies the defaults and checks every value. */
    public AccountConfig {
        if (provider == null) {
            throw new InvalidConfigException("provider", "required");
        }
        baseUrl = checkBaseUrl(baseUrl);
        models = checkModels(models);
        if (maxInFlight != null && maxInFlight < 1) {
            throw new InvalidConfigException("maxInFlight", "must be at least 1, got " + maxInFlight);
        }
        if (requestsPerMinute != null && requestsPerMinute < 1) {
            throw new InvalidConfigException("requestsPerMinute", "must be at least 1, got " + requestsPerMinute);
        }
        if (tokensPerMinute != null && tokensPerMinute < 1) {
            throw new InvalidConfigException("tokensPerMinute", "must be at least 1, got " + tokensPerMinute);
        }
        connectTimeout = Settings.positive(connectTimeout, DEFAULT_CONNECT_TIMEOUT, "connectTimeout");
        responseTimeout = Settings.positive(responseTimeout, DEFAULT_RESPONSE_TIMEOUT, "responseTimeout");
        headers = checkHeaders(headers);
        modelMap = checkModelMap(modelMap);
        if (apiKey != null && oauth != null) {
            throw new InvalidConfigException("oauth", "an account has either apiKey or oauth, not both");
        }
    }

    /** An account with a base URL and a key and every other setting at its default. */
    public AccountConfig(ProviderType provider, URI baseUrl, Secret apiKey) {
        this(provider, baseUrl, apiKey, null, null, null, null, null, null, null, null, null);
    }

    /** {@link #maxInFlight()} when set, else the processor-wide default. */
    public int effectiveMaxInFlight(ProcessorSettings processor) {
        return maxInFlight != null ? maxInFlight : processor.defaultMaxInFlight();
    }

    /**
     * Whether this account may be sent a request for {@code model}: it lists no models, or one of
     * its model patterns matches; a request that names no model goes anywhere.
     */
    public boolean servesModel(String model) {
        return models.isEmpty() || model == null || models.stream().anyMatch(pattern -> ModelNames.matches(pattern, model));
    }

    /** The model to ask this account for when {@code requested} is requested (see {@link #modelMap()}). */
    public String upstreamModel(String requested) {
        if (requested == null) {
            return null;
        }
        String mapped = ModelNames.bestMatch(modelMap, requested);
        return mapped != null ? mapped : requested;
    }

    private static URI checkBaseUrl(URI url) {
        if (url == null) {
            throw new InvalidConfigException("baseUrl", "required");
        }
        // Checked before anything that quotes the URL, so that credentials in it are not repeated.
        if (url.getRawUserInfo() != null) {
            throw new InvalidConfigException("baseUrl", "must not contain user info; put the credential in apiKey");
        }
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!url.isAbsolute() || !(scheme.equals("http") || scheme.equals("https")) || url.getHost() == null) {
            throw new InvalidConfigException("baseUrl", "not an absolute http(s) URL: '" + url + "'");
        }
        return url;
    }

    private static Map<String, String> checkModelMap(Map<String, String> modelMap) {
        if (modelMap == null) {
            return Map.of();
        }
        for (Map.Entry<String, String> entry : modelMap.entrySet()) {
            String key = entry.getKey();
            if (key.isBlank() || key.indexOf('*') != key.length() - 1 && key.contains("*")) {
                throw new InvalidConfigException("modelMap", "'" + key + "': a key is a model name, a prefix ending in *, or *");
            }
            if (entry.getValue() == null || entry.getValue().isBlank()) {
                throw new InvalidConfigException("modelMap." + key, "must name a model");
            }
        }
        return Map.copyOf(modelMap);
    }

    private static Map<String, String> checkHeaders(Map<String, String> headers) {
        if (headers == null) {
            return Map.of();
        }
        for (Map.Entry<String, String> header : headers.entrySet()) {
            String name = header.getKey();
            if (!name.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+")) {
                throw new InvalidConfigException("headers", "'" + name + "' is not a valid HTTP header name");
            }
            if (name.equalsIgnoreCase("authorization") || name.equalsIgnoreCase("x-api-key")) {
                throw new InvalidConfigException("headers." + name, "credentials go in apiKey, not in headers");
            }
            if (header.getValue() == null) {
                throw new InvalidConfigException("headers." + name, "must have a value");
            }
        }
        return Map.copyOf(headers);
    }

    private static List<String> checkModels(List<String> models) {
        if (models == null) {
            return List.of();
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < models.size(); i++) {
            String model = models.get(i);
            if (model == null || model.isBlank()) {
                throw new InvalidConfigException("models" + ConfigPaths.index(i), "must not be blank");
            }
            if (!seen.add(model)) {
                throw new InvalidConfigException("models" + ConfigPaths.index(i), "model '" + model + "' is listed twice");
            }
        }
        return List.copyOf(models);
    }
}
