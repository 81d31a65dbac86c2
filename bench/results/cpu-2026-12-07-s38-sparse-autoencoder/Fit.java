import java.nio.file.Path;
import dev.dendrite.data.FashionMnist;
import dev.dendrite.data.Tensor;
import dev.dendrite.data.TrainTest;
import dev.dendrite.model.FitOptions;
import dev.dendrite.model.Sequential;
public class Fit {
    static Tensor pixels(dev.dendrite.data.ByteTensor img) {
        int n = img.rows(), f = img.sampleSize();
        float[] px = new float[n * f];
        for (int r = 0; r < n; r++) for (int j = 0; j < f; j++) px[r * f + j] = img.pixel(r, j) / 255f;
        return Tensor.wrap(px, n, 28, 28);
    }
    public static void main(String[] a) throws Exception {
        TrainTest data = FashionMnist.load();
        Tensor x = pixels(data.train().images()), xt = pixels(data.test().images());
        try (Sequential m = Sequential.load(Path.of(a[0]))) {
            System.out.printf("loaded: test loss %.6f%n", m.evaluate(xt, xt).get("loss"));
            var h = m.fit(x, x, new FitOptions().epochs(1).batchSize(128).verbose(2));
            System.out.printf("after one more epoch here: train loss %.6f, test loss %.6f%n", h.get("loss").get(0), m.evaluate(xt, xt).get("loss"));
            m.save(Path.of(a[1]));
        }
    }
}
