package dev.dendrite.data;

import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Which class names a dataset's pixels belong to, so that a model trained on them can record the names without
 * the user saying so (Fashion-MNIST's "T-shirt/top" ... "Ankle boot" when trained on Fashion-MNIST). Every
 * {@link Dataset} registers its images' backing array; the views a program trains on share it ({@code rows},
 * {@code Preprocessing.apply}, {@code withTransform}). The arrays are held weakly, by identity.
 */
public final class KnownClassNames {
    private static final Map<byte[], String[]> NAMES = Collections.synchronizedMap(new WeakHashMap<>());

    private KnownClassNames() {
    }

    static void remember(ByteTensor images, String[] classNames) {
        NAMES.put(images.array(), classNames.clone());
    }

    /** The class names of the dataset whose pixels {@code x} shows, or null when it is no dataset's. */
    public static String[] of(Inputs x) {
        if (!(x instanceof ByteTensor)) {
            return null;
        }
        String[] names = NAMES.get(((ByteTensor) x).array());
        return names == null ? null : names.clone();
    }
}
