package dev.tokenrelay.tools;

import java.util.List;
import java.util.Locale;

/** Lines of cells as a plain-text table: columns left-aligned, two spaces apart, no trailing blanks. */
final class TextTable {

    private TextTable() {}

    /** The lines, the first one usually the headers, each ending in a newline. */
    static String render(List<List<String>> lines) {
        int columns = lines.stream().mapToInt(List::size).max().orElse(0);
        int[] widths = new int[columns];
        for (List<String> line : lines) {
            for (int i = 0; i < line.size(); i++) {
                widths[i] = Math.max(widths[i], line.get(i).length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (List<String> line : lines) {
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < line.size(); i++) {
                text.append(String.format(Locale.ROOT, "%-" + widths[i] + "s", line.get(i)));
                if (i < line.size() - 1) {
                    text.append("  ");
                }
            }
            out.append(text.toString().stripTrailing()).append('\n');
        }
        return out.toString();
    }
}
