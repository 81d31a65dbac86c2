package dev.dendrite.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonTest {

    // ------------------------------------------------------------------------------------------------ reading

    @Test
    void parsesScalars() {
        assertNull(Json.parse("null"));
        assertEquals(Boolean.TRUE, Json.parse("true"));
        assertEquals(Boolean.FALSE, Json.parse(" \t\r\nfalse\n"));
        assertEquals("", Json.parse("\"\""));
        assertEquals(0.0, Json.parse("0"));
        assertEquals(-12.25, Json.parse("-12.25"));
        assertEquals(1500.0, Json.parse("1.5e3"));
        assertEquals(1500.0, Json.parse("1.5E+3"));
        assertEquals(0.01, Json.parse("1e-2"));
        assertEquals(0.0, Json.parse("1e-400"), "underflow to zero is a valid double");
    }

    @Test
    void numbersAreAlwaysDoubles() {
        assertInstanceOf(Double.class, Json.parse("3"));
        assertInstanceOf(Double.class, Json.parse("9007199254740993"));
        Object negZero = Json.parse("-0");
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits((Double) negZero));
    }

    @Test
    void floatsKeepTheirPointWhenAskedForPythonsSake() {
        List<Object> values = Arrays.asList(1.0, 1.0f, -0.0, 0.5, 1e20, 3, 7L, null);
        assertEquals("[1,1,-0,0.5,1E20,3,7,null]", Json.write(values));
        assertEquals("[1.0,1.0,-0.0,0.5,1E20,3,7,null]", Json.write(values, false, true));
        assertEquals(List.of(1.0, 1.0, -0.0, 0.5, 1e20, 3.0, 7.0), ((List<?>) Json.parse(
                Json.write(values, false, true))).subList(0, 7), "reads back the same");
    }

    @Test
    void decodesEveryEscape() {
        String json = "\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u00e9\\u00E9 \\uD83D\\uDE00\"";
        assertEquals("q\" b\\ s/ \b\f\n\r\t \u00e9\u00e9 \uD83D\uDE00", Json.parse(json));
    }

    @Test
    void keepsRawUnicodeAndSurrogatePairs() {
        assertEquals("caf\u00e9 \uD83D\uDE00", Json.parse("\"caf\u00e9 \uD83D\uDE00\""));
    }

    @Test
    void objectsKeepFileOrderAndNest() {
        Object v = Json.parse("{ \"z\" : 1 , \"a\":[ true ,null, {\"x\":\"y\"} ], \"m\":{} , \"e\": [] }");
        Map<?, ?> m = assertInstanceOf(LinkedHashMap.class, v);
        assertEquals(List.of("z", "a", "m", "e"), new ArrayList<>(m.keySet()));
        List<?> a = assertInstanceOf(List.class, m.get("a"));
        assertEquals(Arrays.asList(true, null, Map.of("x", "y")), a);
        assertEquals(Map.of(), m.get("m"));
        assertEquals(List.of(), m.get("e"));
    }

    @Test
    void nestingUpToTheLimitIsAccepted() {
        String deep = "[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH);
        Object v = Json.parse(deep);
        for (int i = 1; i < Json.MAX_DEPTH; i++) {
            v = ((List<?>) v).get(0);
        }
        assertEquals(List.of(), v);
    }

    // ------------------------------------------------------------------------------------------------ rejections

    /** Each malformed text, the exact offset, and a fragment the message must contain. */
    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "``                 | 0 | expected a JSON value at offset 0, found end of input",
            "`   `              | 3 | expected a JSON value at offset 3, found end of input",
            "{} x               | 3 | expected end of input at offset 3, found 'x'",
            "1 2                | 2 | expected end of input at offset 2, found '2'",
            "[1 2]              | 3 | expected ',' or ']' at offset 3, found '2'",
            "{\"a\" 1}          | 5 | expected ':' at offset 5, found '1'",
            "{\"a\":1 \"b\":2}  | 7 | expected ',' or '}' at offset 7, found '\"'",
            "{\"a\":1,\"a\":2}  | 7 | duplicate key \"a\" at offset 7",
            "{a:1}              | 1 | expected '\"' (a member name) or '}' at offset 1, found 'a'",
            "{\"a\":1,}         | 7 | expected '\"' (a member name) at offset 7, found '}'",
            "[1,]               | 3 | expected a JSON value at offset 3, found ']'",
            "[1,                | 3 | expected a JSON value at offset 3, found end of input",
            "{                  | 1 | found end of input",
            "01                 | 1 | number at offset 0 has a leading zero",
            "-01                | 2 | number at offset 0 has a leading zero",
            "[00]               | 2 | number at offset 1 has a leading zero",
            "1.                 | 2 | expected a digit after '.' at offset 2, found end of input",
            "1.e3               | 2 | expected a digit after '.' at offset 2, found 'e'",
            ".5                 | 0 | expected a JSON value at offset 0, found '.'",
            "+1                 | 0 | expected a JSON value at offset 0, found '+'",
            "-                  | 1 | expected a digit at offset 1, found end of input",
            "-x                 | 1 | expected a digit at offset 1, found 'x'",
            "1e                 | 2 | expected a digit in the exponent at offset 2",
            "1e+                | 3 | expected a digit in the exponent at offset 3",
            "1e400              | 0 | number 1e400 at offset 0 is outside the double range",
            "-1e400             | 0 | is outside the double range",
            "tru                | 3 | expected 'e' (in 'true') at offset 3, found end of input",
            "True               | 0 | expected a JSON value at offset 0, found 'T'",
            "nul                | 3 | (in 'null')",
            "'a'                | 0 | found '''",
            "\"abc              | 4 | expected '\"' (end of the string) at offset 4, found end of input",
            "\"a\\x\"           | 3 | expected an escape character (one of \" \\ / b f n r t u) after '\\' at offset 3, found 'x'",
            "\"\\u12G4\"        | 5 | expected a hex digit (4 after \\u) at offset 5, found 'G'",
            "\"\\u12\"          | 5 | expected a hex digit (4 after \\u) at offset 5, found '\"'",
            "\"\\uD800\"        | 7 | expected a low surrogate escape \\uDC00-\\uDFFF after the high surrogate \\uD800 at offset 7",
            "\"\\uD800x\"       | 7 | after the high surrogate \\uD800 at offset 7, found 'x'",
            "\"\\uD800\\u0041\" | 7 | expected a low surrogate \\uDC00-\\uDFFF at offset 7 after the high surrogate \\uD800, found \\u0041",
            "\"\\uDC00\"        | 1 | unpaired low surrogate \\uDC00 at offset 1",
            "/* c */ 1          | 0 | found '/'",
    })
    void rejectsMalformedText(String text, int offset, String fragment) {
        JsonException e = assertThrows(JsonException.class, () -> Json.parse(text));
        assertTrue(e.getMessage().contains(fragment), () -> "message: " + e.getMessage());
        assertEquals(offset, e.offset(), () -> "message: " + e.getMessage());
    }

    @Test
    void rejectsControlCharactersInStrings() {
        JsonException e = assertThrows(JsonException.class, () -> Json.parse("\"a\nb\""));
        assertEquals("unescaped control character U+000A in string at offset 2; expected it written as an escape"
                + " such as \\n or \\u000A", e.getMessage());
        assertThrows(JsonException.class, () -> Json.parse("\"\u0000\""));
        assertThrows(JsonException.class, () -> Json.parse("\"\u001f\""));
        assertEquals("\u007f", Json.parse("\"\u007f\""), "DEL is not a control character in JSON");
    }

    @Test
    void rejectsRawUnpairedSurrogates() {
        JsonException e = assertThrows(JsonException.class, () -> Json.parse("\"a\uD800b\""));
        assertTrue(e.getMessage().contains("unpaired surrogate U+D800 in string at offset 2"), e.getMessage());
        assertThrows(JsonException.class, () -> Json.parse("\"\uDC00\""));
    }

    @Test
    void rejectsNonJsonWhitespace() {
        JsonException e = assertThrows(JsonException.class, () -> Json.parse("\u00a01"));
        assertEquals("expected a JSON value at offset 0, found U+00A0", e.getMessage());
    }

    @Test
    void rejectsNestingDeeperThanTheLimit() {
        int n = Json.MAX_DEPTH + 1;
        JsonException arrays = assertThrows(JsonException.class,
                () -> Json.parse("[".repeat(n) + "]".repeat(n)));
        assertEquals(Json.MAX_DEPTH, arrays.offset());
        assertTrue(arrays.getMessage().startsWith("nesting deeper than 512 levels at offset 512"),
                arrays.getMessage());
        String objects = "{\"a\":".repeat(n) + "1" + "}".repeat(n);
        assertThrows(JsonException.class, () -> Json.parse(objects));
        // Far deeper input must not overflow the stack either.
        assertThrows(JsonException.class, () -> Json.parse("[".repeat(1_000_000)));
    }

    @Test
    void jsonExceptionIsAnIllegalArgumentException() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.parse("x"));
        assertInstanceOf(JsonException.class, e);
    }

    // ------------------------------------------------------------------------------------------------ writing

    @ParameterizedTest
    @CsvSource({
            "3.0, 3", "-0.0, -0", "0.0, 0", "0.1, 0.1", "-2.5, -2.5", "1e20, 1E20", "1e-7, 1E-7",
            "1.5e-7, 1.5E-7", "123456789012.0, 123456789012", "9.2e18, 9200000000000000000",
            "4.9e-324, 4.9E-324",
    })
    void writesDoubles(double d, String expected) {
        assertEquals(expected, Json.write(d));
        assertEquals(Double.doubleToRawLongBits(d), Double.doubleToRawLongBits((Double) Json.parse(expected)));
    }

    @Test
    void writesOtherNumberTypes() {
        assertEquals("42", Json.write(42));
        assertEquals("9223372036854775807", Json.write(Long.MAX_VALUE));
        assertEquals("-7", Json.write((short) -7));
        assertEquals("0.1", Json.write(0.1f), "a float is written as its own shortest form, not the widened double");
        assertEquals("16777216", Json.write(16777216f));
        assertEquals("10000000000", Json.write(1e10f));
        assertEquals("1.5E-7", Json.write(1.5e-7f));
        assertEquals("[1,0.5,0.1,-0]", Json.write(new float[] {1f, 0.5f, 0.1f, -0f}));
        assertEquals("[1,0.25]", Json.write(new double[] {1, 0.25}));
        assertEquals("[3,-4]", Json.write(new int[] {3, -4}));
        assertEquals("[]", Json.write(new float[0]));
    }

    @Test
    void randomFloatsRoundTripExactly() {
        SplittableRandom rnd = new SplittableRandom(7);
        float[] values = new float[5000];
        for (int i = 0; i < values.length; i++) {
            float f;
            do {
                f = Float.intBitsToFloat(rnd.nextInt());
            } while (Float.isNaN(f) || Float.isInfinite(f));
            values[i] = f;
        }
        List<?> back = (List<?>) Json.parse(Json.write(values));
        for (int i = 0; i < values.length; i++) {
            float f = ((Double) back.get(i)).floatValue();
            assertEquals(Float.floatToRawIntBits(values[i]), Float.floatToRawIntBits(f), "value " + values[i]);
        }
    }

    @Test
    void randomDoublesRoundTripExactly() {
        SplittableRandom rnd = new SplittableRandom(11);
        double[] values = new double[5000];
        for (int i = 0; i < values.length; i++) {
            double d;
            do {
                d = Double.longBitsToDouble(rnd.nextLong());
            } while (Double.isNaN(d) || Double.isInfinite(d));
            values[i] = d;
        }
        List<?> back = (List<?>) Json.parse(Json.write(values));
        for (int i = 0; i < values.length; i++) {
            assertEquals(Double.doubleToRawLongBits(values[i]), Double.doubleToRawLongBits((Double) back.get(i)));
        }
    }

    @Test
    void escapesStrings() {
        assertEquals("\"q\\\" b\\\\ / \\b\\f\\n\\r\\t \\u0001\\u001f \u00e9 \uD83D\uDE00\"",
                Json.write("q\" b\\ / \b\f\n\r\t \u0001\u001f \u00e9 \uD83D\uDE00"));
    }

    @Test
    void structuresRoundTripCompactAndPretty() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", "dense \"1\"\n\u00e9\uD83D\uDE00");
        m.put("units", 64.0);
        m.put("rate", 0.001);
        m.put("flags", Arrays.asList(true, false, null));
        m.put("nested", Map.of("k", List.of(List.of(), Map.of())));
        m.put("neg", -0.0);
        for (boolean pretty : new boolean[] {false, true}) {
            String text = Json.write(m, pretty);
            Object back = Json.parse(text);
            assertEquals(m, back, text);
            assertEquals(new ArrayList<>(m.keySet()), new ArrayList<>(((Map<?, ?>) back).keySet()));
        }
    }

    @Test
    void prettyPrintsWithTwoSpaces() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a", 1);
        m.put("b", Arrays.asList(true, null, List.of(2)));
        m.put("c", Map.of());
        m.put("d", List.of());
        m.put("e", Map.of("f", "g"));
        String expected = """
                {
                  "a": 1,
                  "b": [
                    true,
                    null,
                    [
                      2
                    ]
                  ],
                  "c": {},
                  "d": [],
                  "e": {
                    "f": "g"
                  }
                }""";
        assertEquals(expected, Json.writePretty(m));
        assertEquals("{\"a\":1,\"b\":[true,null,[2]],\"c\":{},\"d\":[],\"e\":{\"f\":\"g\"}}", Json.write(m));
    }

    @Test
    void refusesNonFiniteNumbersNamingThePath() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a", List.of(1.0, Double.NaN));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.write(m));
        assertEquals("cannot write JSON at $.a[1]: number NaN has no JSON form; expected a finite value",
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Json.write(Double.POSITIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> Json.write(Float.NEGATIVE_INFINITY));
        e = assertThrows(IllegalArgumentException.class,
                () -> Json.write(Map.of("w", new float[] {0, Float.NaN})));
        assertTrue(e.getMessage().contains("$.w[1]"), e.getMessage());
    }

    @Test
    void refusesWhatJsonCannotHold() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Json.write(List.of(new Object())));
        assertTrue(e.getMessage().startsWith("cannot write JSON at $[0]: unsupported value of type java.lang.Object"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Json.write(Map.of(3, "x")));
        assertTrue(e.getMessage().contains("map key 3 (java.lang.Integer); expected a String"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Json.write("a\uD800"));
        assertTrue(e.getMessage().contains("unpaired surrogate U+D800 at index 1"), e.getMessage());
    }

    @Test
    void refusesCyclesInsteadOfOverflowingTheStack() {
        List<Object> cyclic = new ArrayList<>();
        cyclic.add(cyclic);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Json.write(cyclic));
        assertTrue(e.getMessage().contains("nesting deeper than 512"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 511, 512})
    void writerAcceptsNestingUpToTheLimit(int depth) {
        Object v = 1.0; // parse gives Doubles back
        for (int i = 0; i < depth; i++) {
            v = List.of(v);
        }
        assertEquals(v, Json.parse(Json.write(v)));
    }
}
