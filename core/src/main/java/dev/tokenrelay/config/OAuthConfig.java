package dev.tokenrelay.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * An account whose credential is an OAuth access token that expires, kept with its refresh token
 * in a JSON file ({@code access_token}, {@code refresh_token}, {@code expires_at} as an ISO-8601
 * instant or epoch seconds). The processor refreshes it through {@code tokenUrl} before it
 * expires, and once more when the upstream answers 401, and writes the new tokens back to the
 * file atomically.
 *
 * @param tokenFile     the token file; required
 * @param tokenUrl      the OAuth token endpoint (refresh_token grant); required, absolute http(s)
 * @param clientId      sent as {@code client_id} with the refresh, when the endpoint needs it
 * @param refreshBefore how long before expiry to refresh; default 5m
 */
public record OAuthConfig(Path tokenFile, URI tokenUrl, String clientId, Duration refreshBefore) {

    /** Default {@link #refreshBefore()}. */
    public static final Duration DEFAULT_REFRESH_BEFORE = Duration.ofMinutes(5);

    /** Applies the defaults and checks every value. */
    public OAuthConfig {
        if (tokenFile == null) {
            throw new InvalidConfigException("tokenFile", "required");
        }
        if (tokenUrl == null) {
            throw new InvalidConfigException("tokenUrl", "required");
        }
        String scheme = tokenUrl.getScheme() == null ? "" : tokenUrl.getScheme().toLowerCase(Locale.ROOT);
        if (tokenUrl.getRawUserInfo() != null || !tokenUrl.isAbsolute()
                || !(scheme.equals("http") || scheme.equals("https")) || tokenUrl.getHost() == null) {
            throw new InvalidConfigException("tokenUrl", "not an absolute http(s) URL without user info");
        }
        refreshBefore = Settings.notNegative(refreshBefore, DEFAULT_REFRESH_BEFORE, "refreshBefore");
    }
}
