package dev.dendrite.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/** KernelCodes says what kernels/common/activations.h and errors.h define, for every activation. */
class KernelCodesTest {

    @Test
    void activationCodesAreThoseOfActivationsH() throws IOException {
        Map<String, Integer> defined = defines("activations.h", "DENDRITE_ACT_");
        assertEquals(ActivationFunction.values().length, defined.size(), "codes in activations.h: " + defined);
        for (ActivationFunction f : ActivationFunction.values()) {
            assertEquals(defined.get(f.name()), KernelCodes.activationCode(f), f.name());
        }
    }

    @Test
    void errorCodesAreThoseOfErrorsH() throws IOException {
        Map<String, Integer> defined = defines("errors.h", "DENDRITE_ERROR_");
        assertEquals(0, defined.get("NONE"));
        assertEquals(defined.get("GATHER_ROW"), KernelCodes.ERROR_GATHER_ROW);
        assertEquals(defined.get("GATHER_BATCH"), KernelCodes.ERROR_GATHER_BATCH);
        assertEquals(defined.get("LABEL"), KernelCodes.ERROR_LABEL);
        assertEquals(defined.get("WORDS"), KernelCodes.ERROR_WORDS);
        assertEquals(5, defined.size(), "an error code KernelCodes does not know: " + defined);
    }

    /**
     * The integer {@code #define}s of kernels/common/{@code file}, as the build puts it on the classpath for the
     * OpenCL backend, whose names start with {@code prefix}.
     */
    private static Map<String, Integer> defines(String file, String prefix) throws IOException {
        String path = "dev/dendrite/kernels/common/" + file;
        String src;
        try (InputStream in = KernelCodesTest.class.getClassLoader().getResourceAsStream(path)) {
            assertNotNull(in, path + " is not on the classpath");
            src = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Matcher m = Pattern.compile("#define\\s+" + prefix + "([A-Z0-9_]+)\\s+(\\d+)\\b").matcher(src);
        Map<String, Integer> out = new TreeMap<>();
        while (m.find()) {
            out.put(m.group(1), Integer.parseInt(m.group(2)));
        }
        return out;
    }
}
