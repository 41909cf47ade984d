/**
 * The user's tools: {@code submit} (JSONL and OpenAI Batch files to the requests topic),
 * {@code results} (the results topic as JSONL or Batch output lines) and {@code replay} (failed
 * requests from the dead-letter topic, re-submitted as a new generation).
 *
 * <p>The picocli commands in {@code dev.tokenrelay.cli} parse arguments and print; everything else
 * (finding the cluster, reading and checking lines, producing, scanning topics, selecting,
 * formatting, showing progress) lives here so it can be tested without a command line. Expected
 * problems are {@link dev.tokenrelay.tools.ToolException}s whose message is written for the person
 * at the terminal.
 */
package dev.tokenrelay.tools;
