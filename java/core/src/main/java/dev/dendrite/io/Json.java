package dev.dendrite.io;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small, strict JSON (RFC 8259) reader and writer, so that model files need no third-party dependency.
 *
 * <h2>Value mapping</h2>
 * <table>
 * <caption>JSON to Java</caption>
 * <tr><th>JSON</th><th>{@link #parse} returns</th><th>{@link #write} also accepts</th></tr>
 * <tr><td>null</td><td>{@code null}</td><td></td></tr>
 * <tr><td>true / false</td><td>{@link Boolean}</td><td></td></tr>
 * <tr><td>number</td><td>{@link Double} (always)</td><td>Integer, Long, Short, Byte, Float</td></tr>
 * <tr><td>string</td><td>{@link String}</td><td></td></tr>
 * <tr><td>array</td><td>{@code List<Object>} (an {@link ArrayList})</td><td>any List, float[], double[], int[]</td></tr>
 * <tr><td>object</td><td>{@code Map<String, Object>} (a {@link LinkedHashMap}, file order kept)</td>
 *     <td>any Map with String keys, written in its iteration order</td></tr>
 * </table>
 *
 * <h2>Numbers</h2>
 * Integral values (doubles and floats included) are written without a fraction, e.g. {@code 3} not {@code 3.0};
 * {@code -0.0} is written {@code -0} so the sign survives. Other doubles are written with {@link Double#toString}
 * and floats with {@link Float#toString}: the shortest decimal that reads back to the same value, so a float
 * written here and parsed back (as a double) casts to exactly the original float. NaN and infinities have no JSON
 * form and are refused.
 *
 * <h2>Strictness</h2>
 * The reader accepts exactly RFC 8259 and rejects, among others: trailing content after the value, duplicate
 * object keys, numbers with leading zeros, unescaped control characters in strings, unpaired surrogates, numbers
 * outside the double range, and nesting deeper than {@value #MAX_DEPTH}. Every rejection is a
 * {@link JsonException} saying what was expected, at which offset, and what was found.
 */
public final class Json {
    /** Deepest nesting of arrays/objects either direction accepts; bounds recursion (and catches cycles when writing). */
    public static final int MAX_DEPTH = 512;

    private Json() {
    }

    // ------------------------------------------------------------------------------------------------ writing

    /**
     * Writes {@code value} as compact JSON (no whitespace).
     *
     * @throws IllegalArgumentException naming the value's path (e.g. {@code $.layers[2].rate}) if it holds NaN or
     *                                  an infinity, an unsupported type, a non-String map key, a string with an
     *                                  unpaired surrogate, or nests deeper than {@value #MAX_DEPTH}
     */
    public static String write(Object value) {
        return write(value, false);
    }

    /** Writes {@code value} indented by two spaces per level, one member or element per line. */
    public static String writePretty(Object value) {
        return write(value, true);
    }

    /**
     * Writes {@code value} as JSON, compact or pretty-printed (2-space indent).
     *
     * @throws IllegalArgumentException as described for {@link #write(Object)}
     */
    public static String write(Object value, boolean pretty) {
        return write(value, pretty, false);
    }

    /**
     * Writes {@code value} as JSON, with every {@code Double} and {@code Float} written as a number with a point or
     * an exponent ({@code 1.0}, never {@code 1}) when {@code floatsKeepPoint}: for readers that type numbers by how
     * they are written, as Python's {@code json} does (Keras refuses {@code learning_rate=1}, an int).
     *
     * @throws IllegalArgumentException as described for {@link #write(Object)}
     */
    public static String write(Object value, boolean pretty, boolean floatsKeepPoint) {
        Writer w = new Writer(pretty, floatsKeepPoint);
        w.value(value, 0);
        return w.out.toString();
    }

    private static final class Writer {
        private final StringBuilder out = new StringBuilder();
        private final boolean pretty;
        private final boolean floatsKeepPoint;
        /** Map keys (String) and list indexes (Integer) from the root to the value being written, for messages. */
        private final List<Object> path = new ArrayList<>();

        Writer(boolean pretty, boolean floatsKeepPoint) {
            this.pretty = pretty;
            this.floatsKeepPoint = floatsKeepPoint;
        }

        void value(Object v, int depth) {
            if (v == null) {
                out.append("null");
            } else if (v instanceof Boolean b) {
                out.append(b.booleanValue());
            } else if (v instanceof String s) {
                string(s);
            } else if (v instanceof Double d) {
                number(d);
            } else if (v instanceof Float f) {
                number(f);
            } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
                out.append(((Number) v).longValue());
            } else if (v instanceof Map<?, ?> m) {
                object(m, depth + 1);
            } else if (v instanceof List<?> l) {
                open('[', depth + 1);
                int i = 0;
                for (Object e : l) {
                    element(i++, depth + 1);
                    value(e, depth + 1);
                    path.remove(path.size() - 1);
                }
                close(']', depth, i);
            } else if (v instanceof float[] a) {
                open('[', depth + 1);
                for (int i = 0; i < a.length; i++) {
                    element(i, depth + 1);
                    number(a[i]);
                    path.remove(path.size() - 1);
                }
                close(']', depth, a.length);
            } else if (v instanceof double[] a) {
                open('[', depth + 1);
                for (int i = 0; i < a.length; i++) {
                    element(i, depth + 1);
                    number(a[i]);
                    path.remove(path.size() - 1);
                }
                close(']', depth, a.length);
            } else if (v instanceof int[] a) {
                open('[', depth + 1);
                for (int i = 0; i < a.length; i++) {
                    element(i, depth + 1);
                    out.append(a[i]);
                    path.remove(path.size() - 1);
                }
                close(']', depth, a.length);
            } else {
                throw fail("unsupported value of type " + v.getClass().getName() + "; expected null, Boolean, "
                        + "String, Integer, Long, Float, Double, List, Map, float[], double[] or int[]");
            }
        }

        private void object(Map<?, ?> m, int depth) {
            open('{', depth);
            int i = 0;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw fail("map key " + e.getKey() + " ("
                            + (e.getKey() == null ? "null" : e.getKey().getClass().getName())
                            + "); expected a String");
                }
                if (i++ > 0) {
                    out.append(',');
                }
                newline(depth);
                path.add(key);
                string(key);
                out.append(pretty ? ": " : ":");
                value(e.getValue(), depth);
                path.remove(path.size() - 1);
            }
            close('}', depth - 1, i);
        }

        private void open(char bracket, int depth) {
            if (depth > MAX_DEPTH) {
                // A cyclic structure (a list containing itself) ends up here too, instead of a StackOverflowError.
                throw fail("nesting deeper than " + MAX_DEPTH + " levels (a cyclic structure?)");
            }
            out.append(bracket);
        }

        /** Starts element {@code i} of an array at nesting {@code depth}: separator, indentation, path entry. */
        private void element(int i, int depth) {
            if (i > 0) {
                out.append(',');
            }
            newline(depth);
            path.add(i);
        }

        private void close(char bracket, int depth, int count) {
            if (count > 0) {
                newline(depth);
            }
            out.append(bracket);
        }

        private void newline(int depth) {
            if (pretty) {
                out.append('\n');
                for (int i = 0; i < depth; i++) {
                    out.append("  ");
                }
            }
        }

        private void number(double d) {
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw fail("number " + d + " has no JSON form; expected a finite value");
            }
            integralOr(d, Double.toString(d));
        }

        private void number(float f) {
            if (Float.isNaN(f) || Float.isInfinite(f)) {
                throw fail("number " + f + " has no JSON form; expected a finite value");
            }
            // Float.toString gives the shortest decimal that identifies the float; widening first would print
            // the double's longer expansion (0.1f -> 0.10000000149011612).
            integralOr(f, Float.toString(f));
        }

        private void integralOr(double d, String shortest) {
            if (d == 0 && 1 / d < 0) {
                out.append(floatsKeepPoint ? "-0.0" : "-0");
            } else if (d == Math.rint(d) && Math.abs(d) < 0x1p63) {
                // Exact: every integral double below 2^63 is a long, and its decimal reads back to the same double.
                out.append((long) d).append(floatsKeepPoint ? ".0" : "");
            } else {
                // Java writes "1.0E20"; JSON allows it, but "1E20" is what the integral rule promises.
                out.append(shortest.replace(".0E", "E"));
            }
        }

        private void string(String s) {
            out.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> out.append("\\\"");
                    case '\\' -> out.append("\\\\");
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    case '\t' -> out.append("\\t");
                    case '\b' -> out.append("\\b");
                    case '\f' -> out.append("\\f");
                    default -> {
                        if (c < 0x20) {
                            out.append(String.format("\\u%04x", (int) c));
                        } else if (Character.isHighSurrogate(c) && i + 1 < s.length()
                                && Character.isLowSurrogate(s.charAt(i + 1))) {
                            out.append(c).append(s.charAt(++i));
                        } else if (Character.isSurrogate(c)) {
                            // Would become '?' in UTF-8, silently changing the text; our reader rejects it too.
                            throw fail("string has an unpaired surrogate U+" + hex4(c) + " at index " + i
                                    + "; expected valid UTF-16");
                        } else {
                            out.append(c);
                        }
                    }
                }
            }
            out.append('"');
        }

        private IllegalArgumentException fail(String what) {
            StringBuilder p = new StringBuilder("$");
            for (Object seg : path) {
                if (seg instanceof Integer i) {
                    p.append('[').append(i).append(']');
                } else {
                    p.append('.').append(seg);
                }
            }
            return new IllegalArgumentException("cannot write JSON at " + p + ": " + what);
        }
    }

    // ------------------------------------------------------------------------------------------------ reading

    /**
     * Parses one JSON value (any type, not only objects) that must make up all of {@code text}, apart from
     * surrounding whitespace.
     *
     * @return null, Boolean, Double, String, {@code ArrayList<Object>} or {@code LinkedHashMap<String, Object>}
     * @throws JsonException if {@code text} is not exactly one valid JSON value; the message gives the offset
     *                       (a {@code String} index) and what was expected there
     */
    public static Object parse(String text) {
        Parser p = new Parser(text);
        p.skipWhitespace();
        Object v = p.value(0);
        p.skipWhitespace();
        if (p.pos < text.length()) {
            throw p.expected("end of input");
        }
        return v;
    }

    private static final class Parser {
        private final String s;
        private int pos;

        Parser(String s) {
            this.s = s;
        }

        Object value(int depth) {
            if (pos >= s.length()) {
                throw expected("a JSON value");
            }
            char c = s.charAt(pos);
            return switch (c) {
                case '{' -> object(depth + 1);
                case '[' -> array(depth + 1);
                case '"' -> string();
                case 't' -> literal("true", Boolean.TRUE);
                case 'f' -> literal("false", Boolean.FALSE);
                case 'n' -> literal("null", null);
                default -> {
                    if (c == '-' || (c >= '0' && c <= '9')) {
                        yield number();
                    }
                    throw expected("a JSON value");
                }
            };
        }

        private Map<String, Object> object(int depth) {
            checkDepth(depth);
            pos++; // '{'
            Map<String, Object> m = new LinkedHashMap<>();
            skipWhitespace();
            if (peek() == '}') {
                pos++;
                return m;
            }
            while (true) {
                if (peek() != '"') {
                    throw expected(m.isEmpty() ? "'\"' (a member name) or '}'" : "'\"' (a member name)");
                }
                int keyAt = pos;
                String key = string();
                if (m.containsKey(key)) {
                    throw new JsonException("duplicate key " + quote(key) + " at offset " + keyAt
                            + "; expected each name once per object", keyAt);
                }
                skipWhitespace();
                expect(':');
                skipWhitespace();
                m.put(key, value(depth));
                skipWhitespace();
                if (peek() == ',') {
                    pos++;
                    skipWhitespace();
                } else if (peek() == '}') {
                    pos++;
                    return m;
                } else {
                    throw expected("',' or '}'");
                }
            }
        }

        private List<Object> array(int depth) {
            checkDepth(depth);
            pos++; // '['
            List<Object> l = new ArrayList<>();
            skipWhitespace();
            if (peek() == ']') {
                pos++;
                return l;
            }
            while (true) {
                l.add(value(depth));
                skipWhitespace();
                if (peek() == ',') {
                    pos++;
                    skipWhitespace();
                } else if (peek() == ']') {
                    pos++;
                    return l;
                } else {
                    throw expected("',' or ']'");
                }
            }
        }

        private void checkDepth(int depth) {
            if (depth > MAX_DEPTH) {
                throw new JsonException("nesting deeper than " + MAX_DEPTH + " levels at offset " + pos
                        + "; expected at most " + MAX_DEPTH, pos);
            }
        }

        private Object literal(String word, Object v) {
            for (int i = 0; i < word.length(); i++) {
                if (peek() != word.charAt(i)) {
                    throw expected("'" + word.charAt(i) + "' (in '" + word + "')");
                }
                pos++;
            }
            return v;
        }

        private Double number() {
            int start = pos;
            if (peek() == '-') {
                pos++;
            }
            if (peek() == '0') {
                pos++;
                if (isDigit(peek())) {
                    throw new JsonException("number at offset " + start + " has a leading zero; expected '.', 'e'"
                            + " or the end of the number at offset " + pos + ", found " + found(), pos);
                }
            } else if (isDigit(peek())) {
                digits();
            } else {
                throw expected("a digit");
            }
            if (peek() == '.') {
                pos++;
                if (!isDigit(peek())) {
                    throw expected("a digit after '.'");
                }
                digits();
            }
            if (peek() == 'e' || peek() == 'E') {
                pos++;
                if (peek() == '+' || peek() == '-') {
                    pos++;
                }
                if (!isDigit(peek())) {
                    throw expected("a digit in the exponent");
                }
                digits();
            }
            String literal = s.substring(start, pos);
            // The grammar above is a subset of what parseDouble accepts, so this cannot throw.
            double d = Double.parseDouble(literal);
            if (Double.isInfinite(d)) {
                throw new JsonException("number " + literal + " at offset " + start
                        + " is outside the double range; expected a magnitude below 1.8e308", start);
            }
            return d;
        }

        private void digits() {
            while (isDigit(peek())) {
                pos++;
            }
        }

        private static boolean isDigit(int c) {
            return c >= '0' && c <= '9';
        }

        private String string() {
            pos++; // opening '"'
            StringBuilder b = null; // only allocated once an escape is seen; most strings have none
            int runStart = pos;
            while (true) {
                if (pos >= s.length()) {
                    throw expected("'\"' (end of the string)");
                }
                char c = s.charAt(pos);
                if (c == '"') {
                    String str = b == null ? s.substring(runStart, pos) : b.append(s, runStart, pos).toString();
                    pos++;
                    return str;
                } else if (c == '\\') {
                    if (b == null) {
                        b = new StringBuilder();
                    }
                    b.append(s, runStart, pos);
                    escape(b);
                    runStart = pos;
                } else if (c < 0x20) {
                    throw new JsonException("unescaped control character U+" + hex4(c) + " in string at offset "
                            + pos + "; expected it written as an escape such as \\n or \\u" + hex4(c), pos);
                } else if (Character.isHighSurrogate(c) && pos + 1 < s.length()
                        && Character.isLowSurrogate(s.charAt(pos + 1))) {
                    pos += 2;
                } else if (Character.isSurrogate(c)) {
                    throw new JsonException("unpaired surrogate U+" + hex4(c) + " in string at offset " + pos
                            + "; expected valid Unicode text", pos);
                } else {
                    pos++;
                }
            }
        }

        /** Decodes the escape at {@code pos} (a backslash) into {@code b}, leaving {@code pos} after it. */
        private void escape(StringBuilder b) {
            int at = pos;
            pos++; // '\'
            int c = peek();
            switch (c) {
                case '"' -> b.append('"');
                case '\\' -> b.append('\\');
                case '/' -> b.append('/');
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'u' -> {
                    pos++;
                    char u = hexEscapeBody();
                    if (Character.isHighSurrogate(u)) {
                        if (pos + 1 < s.length() && s.charAt(pos) == '\\' && s.charAt(pos + 1) == 'u') {
                            int lowAt = pos;
                            pos += 2;
                            char low = hexEscapeBody();
                            if (!Character.isLowSurrogate(low)) {
                                throw new JsonException("expected a low surrogate \\uDC00-\\uDFFF at offset " + lowAt
                                        + " after the high surrogate \\u" + hex4(u) + ", found \\u" + hex4(low),
                                        lowAt);
                            }
                            b.append(u).append(low);
                        } else {
                            throw expected("a low surrogate escape \\uDC00-\\uDFFF after the high surrogate \\u"
                                    + hex4(u));
                        }
                    } else if (Character.isLowSurrogate(u)) {
                        throw new JsonException("unpaired low surrogate \\u" + hex4(u) + " at offset " + at
                                + "; expected a high surrogate \\uD800-\\uDBFF before it", at);
                    } else {
                        b.append(u);
                    }
                    return;
                }
                default -> throw expected("an escape character (one of \" \\ / b f n r t u) after '\\'");
            }
            pos++;
        }

        /** Reads the four hex digits after {@code \\u}. */
        private char hexEscapeBody() {
            int v = 0;
            for (int i = 0; i < 4; i++) {
                int d = Character.digit(peek(), 16);
                // Character.digit also accepts non-ASCII digits; JSON allows only 0-9a-fA-F.
                if (d < 0 || peek() > 'f') {
                    throw expected("a hex digit (4 after \\u)");
                }
                v = v * 16 + d;
                pos++;
            }
            return (char) v;
        }

        private void expect(char c) {
            if (peek() != c) {
                throw expected("'" + c + "'");
            }
            pos++;
        }

        /** The character at {@code pos}, or -1 at the end of the input. */
        private int peek() {
            return pos < s.length() ? s.charAt(pos) : -1;
        }

        void skipWhitespace() {
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                    return;
                }
                pos++;
            }
        }

        JsonException expected(String what) {
            return new JsonException("expected " + what + " at offset " + pos + ", found " + found(), pos);
        }

        private String found() {
            if (pos >= s.length()) {
                return "end of input";
            }
            char c = s.charAt(pos);
            return c >= 0x20 && c < 0x7f ? "'" + c + "'" : "U+" + hex4(c);
        }
    }

    private static String hex4(char c) {
        return String.format("%04X", (int) c);
    }

    private static String quote(String key) {
        return write(key);
    }
}
