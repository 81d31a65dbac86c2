package dev.dendrite.experiments;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import dev.dendrite.callbacks.Callback;
import dev.dendrite.callbacks.EarlyStopping;
import dev.dendrite.callbacks.ReduceLROnPlateau;
import dev.dendrite.constraints.MaxNorm;
import dev.dendrite.initializers.Initializer;
import dev.dendrite.layers.Activation;
import dev.dendrite.layers.BatchNormalization;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Dropout;
import dev.dendrite.layers.Flatten;
import dev.dendrite.layers.Input;
import dev.dendrite.model.Sequential;
import dev.dendrite.optimizers.Optimizer;
import dev.dendrite.regularizers.Regularizer;

/**
 * One MLP configuration in flat, Keras-named settings, the unit of a grid comparison: hidden widths, activation,
 * initializer, optimizer and its learning rate and momentum, dropout, batch norm, L2, max-norm, batch size, epochs,
 * early stopping and ReduceLROnPlateau. Immutable; {@link #with(String, String)} gives a copy with one setting changed,
 * by the same names as {@code dendrite train}'s options ({@code activation}, {@code batch_size} or
 * {@code batch-size}, ...). The defaults are the course notebook's: 512-512 relu, Glorot, Adam, batch 128,
 * 10 epochs. Serializable, so that a configuration can travel to another machine (dendrite-spark's tasks).
 */
public final class RunConfig implements java.io.Serializable {
    private static final long serialVersionUID = 1L;

    /** The setting names {@link #with} accepts, in the order they are listed. */
    public static final List<String> KEYS = List.of("layers", "activation", "initializer", "optimizer", "lr",
            "momentum", "nesterov", "dropout", "batch_norm", "l2", "max_norm", "batch_size", "epochs", "early_stopping",
            "early_stopping_monitor", "reduce_lr", "reduce_lr_factor");

    private int[] layers = {512, 512};
    private String activation = "relu";
    private String initializer = "glorot_uniform";
    private String optimizer = "adam";
    private Double lr;
    private double momentum;
    private boolean nesterov;
    private double dropout;
    private boolean batchNorm;
    private double l2;
    /** MaxNorm on each hidden kernel (0: none). */
    private double maxNorm;
    private int batchSize = 128;
    private int epochs = 10;
    private Integer earlyStopping;
    private String earlyStoppingMonitor = "val_loss";
    private Integer reduceLr;
    private double reduceLrFactor = 0.1;

    /** The notebook's configuration. */
    public RunConfig() {
    }

    private RunConfig copy() {
        RunConfig c = new RunConfig();
        c.layers = layers.clone();
        c.activation = activation;
        c.initializer = initializer;
        c.optimizer = optimizer;
        c.lr = lr;
        c.momentum = momentum;
        c.nesterov = nesterov;
        c.dropout = dropout;
        c.batchNorm = batchNorm;
        c.l2 = l2;
        c.maxNorm = maxNorm;
        c.batchSize = batchSize;
        c.epochs = epochs;
        c.earlyStopping = earlyStopping;
        c.earlyStoppingMonitor = earlyStoppingMonitor;
        c.reduceLr = reduceLr;
        c.reduceLrFactor = reduceLrFactor;
        return c;
    }

    /**
     * A copy with one setting changed; {@code key} is one of {@link #KEYS} (dashes may stand for underscores),
     * {@code value} as on the command line ({@code layers} as {@code 256,128} or {@code 256x128}; {@code none}
     * turns early stopping or ReduceLROnPlateau off).
     *
     * @throws IllegalArgumentException naming the key or value and what was expected
     */
    public RunConfig with(String key, String value) {
        String k = key.trim().toLowerCase(Locale.ROOT).replace('-', '_');
        String v = value.trim();
        RunConfig c = copy();
        try {
            switch (k) {
                case "layers":
                    c.layers = Arrays.stream(v.split("[,x]")).map(String::trim).mapToInt(Integer::parseInt).toArray();
                    for (int u : c.layers) {
                        if (u < 1) {
                            throw new IllegalArgumentException("layers '" + v + "' has width " + u
                                    + "; expected widths >= 1 like 512,512");
                        }
                    }
                    break;
                case "activation":
                    c.activation = v;
                    new Activation(v); // fails now, naming the value, rather than when the run starts
                    break;
                case "initializer":
                    Initializer.fromName(v);
                    c.initializer = v;
                    break;
                case "optimizer":
                    Optimizer.fromName(v);
                    c.optimizer = v.toLowerCase(Locale.ROOT);
                    break;
                case "lr":
                case "learning_rate":
                    c.lr = positive(k, Double.parseDouble(v));
                    break;
                case "momentum":
                    c.momentum = Double.parseDouble(v);
                    break;
                case "nesterov":
                    c.nesterov = bool(k, v);
                    break;
                case "dropout":
                    c.dropout = Double.parseDouble(v);
                    if (!(c.dropout >= 0 && c.dropout < 1)) {
                        throw new IllegalArgumentException("dropout " + v + "; expected a rate in [0, 1)");
                    }
                    break;
                case "batch_norm":
                    c.batchNorm = bool(k, v);
                    break;
                case "l2":
                    c.l2 = Double.parseDouble(v);
                    if (!(c.l2 >= 0)) {
                        throw new IllegalArgumentException("l2 " + v + "; expected a penalty >= 0");
                    }
                    break;
                case "max_norm":
                    c.maxNorm = v.equalsIgnoreCase("none") ? 0 : Double.parseDouble(v);
                    if (!(c.maxNorm >= 0) || Double.isInfinite(c.maxNorm)) {
                        throw new IllegalArgumentException("max_norm " + v + "; expected a bound on each hidden unit's "
                                + "incoming weights' norm, e.g. 3 (0 or none: no constraint)");
                    }
                    break;
                case "batch_size":
                    c.batchSize = (int) positive(k, Integer.parseInt(v));
                    break;
                case "epochs":
                    c.epochs = (int) positive(k, Integer.parseInt(v));
                    break;
                case "early_stopping":
                    c.earlyStopping = v.equalsIgnoreCase("none") ? null : (int) positive(k, Integer.parseInt(v));
                    break;
                case "early_stopping_monitor":
                    if (!List.of("val_loss", "val_accuracy").contains(v)) {
                        throw new IllegalArgumentException("early_stopping_monitor '" + v
                                + "'; expected val_loss or val_accuracy");
                    }
                    c.earlyStoppingMonitor = v;
                    break;
                case "reduce_lr":
                    c.reduceLr = v.equalsIgnoreCase("none") ? null : (int) positive(k, Integer.parseInt(v));
                    break;
                case "reduce_lr_factor":
                    c.reduceLrFactor = Double.parseDouble(v);
                    if (!(c.reduceLrFactor > 0 && c.reduceLrFactor < 1)) {
                        throw new IllegalArgumentException("reduce_lr_factor " + v + "; expected a factor in (0, 1)");
                    }
                    break;
                default:
                    throw new IllegalArgumentException("unknown setting '" + key + "'; expected one of " + KEYS);
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("setting '" + key + "' has value '" + value + "', which is not a number",
                    e);
        }
        return c;
    }

    private static double positive(String key, double v) {
        if (!(v > 0)) {
            throw new IllegalArgumentException(key + " " + v + "; expected a value > 0");
        }
        return v;
    }

    private static boolean bool(String key, String v) {
        switch (v.toLowerCase(Locale.ROOT)) {
            case "true": case "yes": case "on": case "1":
                return true;
            case "false": case "no": case "off": case "0":
                return false;
            default:
                throw new IllegalArgumentException(key + " '" + v + "'; expected true or false");
        }
    }

    public int epochs() {
        return epochs;
    }

    public int batchSize() {
        return batchSize;
    }

    /** Every setting by name (the learning rate as the optimizer's default when not set), for reports. */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        List<Object> l = new ArrayList<>();
        for (int u : layers) {
            l.add(u);
        }
        m.put("layers", l);
        m.put("activation", activation);
        m.put("initializer", initializer);
        m.put("optimizer", optimizer);
        m.put("lr", optimizer().learningRate());
        if (momentum != 0 || nesterov) {
            m.put("momentum", momentum);
            m.put("nesterov", nesterov);
        }
        m.put("dropout", dropout);
        m.put("batch_norm", batchNorm);
        m.put("l2", l2);
        if (maxNorm > 0) {
            m.put("max_norm", maxNorm);
        }
        m.put("batch_size", batchSize);
        m.put("epochs", epochs);
        m.put("early_stopping", earlyStopping == null ? "none" : earlyStopping + " (" + earlyStoppingMonitor + ")");
        m.put("reduce_lr", reduceLr == null ? "none" : reduceLr + " (factor " + reduceLrFactor + ")");
        return m;
    }

    /** The model, not yet built: Input, Flatten, then per hidden width Dense [BatchNormalization, Activation] [Dropout]. */
    public Sequential model(int[] sampleShape, int classes) {
        return model(sampleShape, classes, List.of());
    }

    /**
     * The network with {@code front} (augmentation layers, which must see the image before {@link Flatten} and
     * come before every layer with weights) between the input and the first hidden layer: how
     * {@code dendrite train}'s augmentation flags put a {@code RandomAffine} into the same network.
     */
    public Sequential model(int[] sampleShape, int classes, List<? extends dev.dendrite.layers.Layer> front) {
        Sequential model = new Sequential();
        model.add(new Input(sampleShape));
        for (dev.dendrite.layers.Layer layer : front) {
            model.add(layer);
        }
        model.add(new Flatten());
        for (int units : layers) {
            Dense d = new Dense(units, batchNorm ? "linear" : activation).kernelInitializer(initializer);
            if (l2 > 0) {
                d.kernelRegularizer(Regularizer.l2(l2));
            }
            if (maxNorm > 0) {
                d.kernelConstraint(new MaxNorm(maxNorm));
            }
            model.add(d);
            if (batchNorm) {
                model.add(new BatchNormalization());
                model.add(new Activation(activation));
            }
            if (dropout > 0) {
                model.add(new Dropout(dropout));
            }
        }
        model.add(new Dense(classes, "softmax").kernelInitializer(initializer));
        return model;
    }

    /** A new optimizer (a fresh state) with this configuration's rate and momentum. */
    public Optimizer optimizer() {
        Map<String, Object> c = new LinkedHashMap<>();
        if (lr != null) {
            c.put("learning_rate", lr);
        }
        c.put("momentum", momentum);
        c.put("nesterov", nesterov);
        return Optimizer.fromConfig(optimizer, c);
    }

    /** New callbacks (fresh state): EarlyStopping keeping the best weights, ReduceLROnPlateau on val_loss. */
    public List<Callback> callbacks(boolean hasValidation, int verbose) {
        List<Callback> cb = new ArrayList<>();
        if ((earlyStopping != null || reduceLr != null) && !hasValidation) {
            throw new IllegalArgumentException("early_stopping and reduce_lr watch val_loss and need a validation set");
        }
        if (reduceLr != null) {
            cb.add(new ReduceLROnPlateau("val_loss", reduceLrFactor, reduceLr).verbose(verbose));
        }
        if (earlyStopping != null) {
            cb.add(new EarlyStopping().monitor(earlyStoppingMonitor).patience(earlyStopping).restoreBestWeights(true)
                    .verbose(verbose));
        }
        return cb;
    }

    @Override
    public String toString() {
        return toMap().toString();
    }
}
