package dev.tokenrelay.config;

/**
 * A configuration that cannot be used, explained for the person who wrote it:
 * {@code "tokenrelay.yaml: accounts.a.baseUrl: not an absolute http(s) URL: 'ftp://x'"}.
 *
 * <p>The message is meant to be shown as it is, without a stack trace. It never contains a secret.
 */
public class ConfigException extends Exception {

    private final String source;
    private final String path;
    private final String problem;

    /**
     * A problem with the value at {@code path} of the configuration read from {@code source}.
     *
     * @param source the file (or other source) the configuration came from
     * @param path the dotted path of the offending value, such as {@code pools.main.accounts[1]};
     *     empty when the problem is not about one value
     * @param problem what is wrong, short, without the path
     */
    public ConfigException(String source, String path, String problem) {
        super(source + ": " + (path.isEmpty() ? "" : path + ": ") + problem);
        this.source = source;
        this.path = path;
        this.problem = problem;
    }

    /** The file (or other source) the configuration came from. */
    public String source() {
        return source;
    }

    /** The dotted path of the offending value; empty when the problem is not about one value. */
    public String path() {
        return path;
    }

    /** What is wrong, without the source and the path. */
    public String problem() {
        return problem;
    }
}
