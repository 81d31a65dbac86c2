import dev.dendrite.data.Dataset;
import dev.dendrite.data.FashionMnist;
import dev.dendrite.data.TrainTest;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Flatten;
import dev.dendrite.layers.Input;
import dev.dendrite.layers.Rescaling;
import dev.dendrite.model.FitOptions;
import dev.dendrite.model.Sequential;

/** The course's comparison in one JVM: each optimizer named on the command line trains the notebook network. */
public class Mix {
    static long allocated() {
        com.sun.management.ThreadMXBean t =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long sum = 0;
        for (long b : t.getThreadAllocatedBytes(t.getAllThreadIds())) {
            sum += Math.max(0, b);
        }
        return sum;
    }

    public static void main(String[] args) throws Exception {
        TrainTest data = FashionMnist.load();
        Dataset train = data.train().rows(10_000, 60_000);
        for (String opt : args) {
            try (Sequential model = new Sequential(new Input(28, 28), new Rescaling(1.0 / 255), new Flatten(),
                    new Dense(512, "relu"), new Dense(512, "relu"), new Dense(10, "softmax"))) {
                model.compile(opt, "sparse_categorical_crossentropy", "accuracy");
                for (int e = 0; e < 3; e++) {
                    long a0 = allocated();
                    long t0 = System.nanoTime();
                    model.fit(train.images(), train.labels(), new FitOptions().batchSize(128).epochs(1).seed(1)
                            .verbose(0));
                    System.out.printf("%s epoch %d: %.2f s, %.0f MB allocated%n", opt, e + 1,
                            (System.nanoTime() - t0) / 1e9, (allocated() - a0) / 1e6);
                }
            }
        }
    }
}
