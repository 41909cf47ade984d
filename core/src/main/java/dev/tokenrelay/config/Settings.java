package dev.tokenrelay.config;

import java.time.Duration;

/** Checks shared by the settings records. */
final class Settings {

    private Settings() {}

    /** {@code value}, or {@code fallback} when absent; must be greater than zero. */
    static Duration positive(Duration value, Duration fallback, String path) {
        Duration result = value == null ? fallback : value;
        if (result.isNegative() || result.isZero()) {
            throw new InvalidConfigException(path, "must be greater than zero, got " + result);
        }
        return result;
    }

    /** {@code value}, or {@code fallback} when absent; must not be negative. */
    static Duration notNegative(Duration value, Duration fallback, String path) {
        Duration result = value == null ? fallback : value;
        if (result.isNegative()) {
            throw new InvalidConfigException(path, "must not be negative, got " + result);
        }
        return result;
    }
}
