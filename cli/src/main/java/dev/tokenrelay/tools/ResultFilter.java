package dev.tokenrelay.tools;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tokenrelay.schema.ChatResult;
import dev.tokenrelay.schema.ResultStatus;
import java.util.Collection;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Which results to keep: every condition given must hold; an empty set or map is no condition.
 *
 * @param statuses the final statuses to keep
 * @param ids the request ids to keep
 * @param metadata top-level metadata fields and the values they must have (compared as text, so
 *     {@code priority=2} matches the number 2 and {@code vip=true} the boolean)
 */
public record ResultFilter(Set<ResultStatus> statuses, Set<String> ids, Map<String, String> metadata)
        implements Predicate<ChatResult> {

    public ResultFilter {
        statuses = Set.copyOf(statuses);
        ids = Set.copyOf(ids);
        metadata = Map.copyOf(metadata);
    }

    /** Keeps everything. */
    public static ResultFilter all() {
        return new ResultFilter(Set.of(), Set.of(), Map.of());
    }

    @Override
    public boolean test(ChatResult result) {
        if (!statuses.isEmpty() && !statuses.contains(result.status())) {
            return false;
        }
        if (!ids.isEmpty() && !ids.contains(result.id())) {
            return false;
        }
        return metadata.entrySet().stream().allMatch(wanted -> matches(result.metadata(), wanted.getKey(), wanted.getValue()));
    }

    private static boolean matches(JsonNode metadata, String key, String value) {
        if (metadata == null || !metadata.has(key)) {
            return false;
        }
        JsonNode field = metadata.get(key);
        return field.isValueNode() ? field.asText().equals(value) : field.toString().equals(value);
    }

    /**
     * Reads status names as written in results ({@code succeeded}, {@code failed}, {@code expired},
     * {@code rejected}), in any case.
     *
     * @throws ToolException (usage) naming the option and the valid names
     */
    public static Set<ResultStatus> statuses(String option, Collection<String> names) {
        Set<ResultStatus> statuses = EnumSet.noneOf(ResultStatus.class);
        for (String name : names) {
            try {
                statuses.add(ResultStatus.valueOf(name.strip().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw ToolException.usage(option + ": unknown status '" + name
                        + "' (use succeeded, failed, expired or rejected)");
            }
        }
        return statuses;
    }
}
