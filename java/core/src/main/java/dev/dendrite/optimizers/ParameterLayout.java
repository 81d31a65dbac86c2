package dev.dendrite.optimizers;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import dev.dendrite.layers.Layer;
import dev.dendrite.layers.WeightSpec;

/**
 * Where each trainable weight tensor lies in a model's flat parameter (and gradient) buffer: what Keras's
 * {@code optimizer.build(var_list)} sees as the list of variables. Options that act per variable (Keras 3's
 * {@code clipnorm}) and per-variable optimizers need it; element-wise updates ignore it.
 *
 * @param variables in buffer order, without gaps
 */
public record ParameterLayout(List<Variable> variables) {
    /**
     * One weight tensor.
     *
     * @param name   the layer's name and the weight's, e.g. {@code dense_1/kernel}
     * @param offset its first element in the flat buffer
     * @param shape  its shape, e.g. {@code [inputs, units]} for a Dense kernel
     */
    public record Variable(String name, int offset, int[] shape) {
        public Variable {
            if (offset < 0) {
                throw new IllegalArgumentException("variable " + name + ": offset " + offset + "; expected >= 0");
            }
            shape = shape.clone();
        }

        /** Its number of elements. */
        public int size() {
            int p = 1;
            for (int d : shape) {
                p = Math.multiplyExact(p, d);
            }
            return p;
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Variable v && v.name.equals(name) && v.offset == offset
                    && Arrays.equals(v.shape, shape);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * name.hashCode() + offset) + Arrays.hashCode(shape);
        }

        @Override
        public String toString() {
            return name + Arrays.toString(shape) + "@" + offset;
        }
    }

    public ParameterLayout {
        variables = List.copyOf(variables);
        int next = 0;
        for (Variable v : variables) {
            if (v.offset() != next) {
                throw new IllegalArgumentException("variable " + v + " starts at " + v.offset() + "; expected " + next
                        + ", right after the previous one");
            }
            next = Math.addExact(next, v.size());
        }
    }

    /** The layout of the trainable weights of {@code layers}, in the order a compiled model packs them. */
    public static ParameterLayout of(List<Layer> layers) {
        List<Variable> vs = new ArrayList<>();
        int offset = 0;
        for (Layer layer : layers) {
            for (WeightSpec w : layer.weights()) {
                if (w.trainable()) {
                    vs.add(new Variable(layer.name() + "/" + w.name(), offset, w.shape()));
                    offset += w.size();
                }
            }
        }
        return new ParameterLayout(vs);
    }

    /** One variable of {@code n} elements: a flat buffer without structure. */
    public static ParameterLayout single(int n) {
        return new ParameterLayout(List.of(new Variable("params", 0, new int[] {n})));
    }

    /** The total number of elements. */
    public int size() {
        return variables.isEmpty() ? 0 : variables.get(variables.size() - 1).offset()
                + variables.get(variables.size() - 1).size();
    }
}
