package dev.dendrite.callbacks;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Keras's {@code CSVLogger}: one row per epoch, written and flushed as the epoch ends. The columns are
 * {@code epoch} (0-based, as Keras writes it) and then the epoch's log keys sorted by name, fixed by the first
 * epoch; Keras adds the {@code val_} twin of every key when the first epoch has none (validation may start later).
 * A key missing from an epoch's logs is written {@code NA}. Values are written as Python writes a float
 * ({@code 0.25}, {@code 1e-05}, {@code nan}), rows end in CRLF and a field holding the separator or a quote is
 * quoted, as Python's {@code csv.excel} dialect does.
 *
 * <p>With {@code append}, rows are added to an existing file and the header is written only if the file is empty;
 * otherwise the file is replaced when training begins.
 */
public final class CSVLogger extends Callback implements AutoCloseable {
    private final Path filename;
    private final String separator;
    private final boolean append;
    private BufferedWriter out;
    private List<String> keys;
    private boolean writeHeader;

    /** Comma-separated, replacing the file. */
    public CSVLogger(Path filename) {
        this(filename, ",", false);
    }

    public CSVLogger(Path filename, String separator, boolean append) {
        if (filename == null) {
            throw new IllegalArgumentException("CSVLogger filename is null; expected a file");
        }
        if (separator == null || separator.length() != 1 || separator.equals("\"") || separator.equals("\n")
                || separator.equals("\r")) {
            throw new IllegalArgumentException("CSVLogger separator '" + separator
                    + "'; expected one character other than a quote or a line break");
        }
        this.filename = filename;
        this.separator = separator;
        this.append = append;
    }

    @Override
    public void onTrainBegin(Logs logs) {
        keys = null;
        try {
            writeHeader = !append || !Files.exists(filename) || Files.size(filename) == 0;
            out = Files.newBufferedWriter(filename, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE, append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("CSVLogger cannot open " + filename + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void onEpochEnd(int epoch, Logs logs) {
        Map<String, Double> values = logs.asMap();
        if (keys == null) {
            keys = new ArrayList<>(values.keySet());
            keys.sort(null);
            if (keys.stream().noneMatch(k -> k.startsWith("val_"))) {
                List<String> val = new ArrayList<>();
                keys.forEach(k -> val.add("val_" + k));
                keys.addAll(val);
            }
        }
        StringBuilder sb = new StringBuilder();
        if (writeHeader) {
            sb.append("epoch");
            keys.forEach(k -> sb.append(separator).append(field(k)));
            sb.append("\r\n");
            writeHeader = false;
        }
        sb.append(epoch);
        for (String k : keys) {
            Double v = values.get(k);
            sb.append(separator).append(v == null ? "NA" : pythonFloat(v));
        }
        sb.append("\r\n");
        try {
            out.write(sb.toString());
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("CSVLogger cannot write " + filename + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void onTrainEnd(Logs logs) {
        close();
    }

    /** Closes the file if it is open (after a fit, or one that failed); idempotent. */
    @Override
    public void close() {
        try {
            if (out != null) {
                out.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("CSVLogger cannot close " + filename + ": " + e.getMessage(), e);
        } finally {
            out = null;
        }
    }

    private String field(String s) {
        if (s.contains(separator) || s.contains("\"") || s.contains("\n") || s.contains("\r")) {
            return "\"" + s.replace("\"", "\"\"") + "\"";
        }
        return s;
    }

    /**
     * {@code repr(float)} of Python: the shortest digits that read back as the same double, positional for
     * decimal exponents -5 to 15 ({@code 0.0001}, {@code 123.0}), else scientific ({@code 1e-05}, {@code 1.5e+16}).
     */
    static String pythonFloat(double v) {
        if (Double.isNaN(v)) {
            return "nan";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "inf" : "-inf";
        }
        if (v == 0) {
            return 1 / v < 0 ? "-0.0" : "0.0";
        }
        BigDecimal d = new BigDecimal(Double.toString(v)).stripTrailingZeros();
        String digits = d.unscaledValue().abs().toString();
        int exp = digits.length() - 1 - d.scale(); // the decimal exponent of the first digit
        String sign = v < 0 ? "-" : "";
        if (exp < -4 || exp >= 16) {
            String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return sign + mantissa + "e" + (exp < 0 ? "-" : "+") + (Math.abs(exp) < 10 ? "0" : "") + Math.abs(exp);
        }
        String plain = d.abs().toPlainString();
        return sign + (plain.contains(".") ? plain : plain + ".0");
    }
}
