import java.nio.file.Path;
import java.util.Map;
import dev.dendrite.data.FashionMnist;
import dev.dendrite.data.Tensor;
import dev.dendrite.data.TrainTest;
import dev.dendrite.model.Sequential;
public class Eval {
    public static void main(String[] a) throws Exception {
        TrainTest data = FashionMnist.load();
        var img = data.test().images();
        int n = img.rows(), f = img.sampleSize();
        float[] px = new float[n * f];
        for (int r = 0; r < n; r++) for (int j = 0; j < f; j++) px[r * f + j] = img.pixel(r, j) / 255f;
        Tensor x = Tensor.wrap(px, data.test().size(), 28, 28);
        try (Sequential m = Sequential.load(Path.of(a[0]))) {
            m.summary();
            Map<String, Double> r = m.evaluate(x, x);
            System.out.printf("dendrite test loss %.6f%n", r.get("loss"));
        }
    }
}
