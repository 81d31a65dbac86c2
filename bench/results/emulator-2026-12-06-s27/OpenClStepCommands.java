// Lists the commands of the OpenCL backend's recorded mlp512 step after 3 steps (reflection on OpenClRecording), as
// bench/RESULTS.md counts them (2026-12-06 session 27). Run from the repository root after `mvn -q -o install -DskipTests`:
//   CP=java/core/target/classes:java/opencl/target/classes:$HOME/.m2/repository/org/jocl/jocl/2.0.5/jocl-2.0.5.jar
//   javac -cp $CP -d /tmp/steps OpenClStepCommands.java && java --add-modules jdk.incubator.vector -cp $CP:/tmp/steps OpenClStepCommands
import dev.dendrite.backend.*;
import dev.dendrite.data.*;
import dev.dendrite.layers.*;
import dev.dendrite.model.*;
import java.lang.reflect.*;
import java.util.*;

public class OpenClStepCommands {
    public static void main(String[] a) throws Exception {
        Backend b = Backends.create("opencl");
        Dataset d = FashionMnist.loadSample().train().rows(0, 640);
        Preprocessing p = Preprocessing.fit("scale", d.images());
        try (Sequential m = new Sequential(new Input(28, 28), new Flatten(), new Dense(512, "relu"), new Dense(512, "relu"), new Dense(10, "softmax")).backend(b)) {
            m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            final Backend bb = b;
            dev.dendrite.callbacks.Callback cb = new dev.dendrite.callbacks.Callback() {
                @Override public void onTrainBatchEnd(int batch, dev.dendrite.callbacks.Logs logs) {
                    if (batch == 3) { try { dump(bb); } catch (Exception e) { throw new RuntimeException(e); } }
                }
            };
            m.fit(p.apply(d.images()), d.labels(), new FitOptions().batchSize(128).epochs(1).verbose(0).seed(1).callbacks(cb));
        }
        b.close();
    }
    static void dump(Backend b) throws Exception {
        {
            Field f = b.getClass().getDeclaredField("recordings"); f.setAccessible(true);
            for (Object r : (List<?>) f.get(b)) {
                Field c = r.getClass().getDeclaredField("commands"); c.setAccessible(true);
                List<?> cmds = (List<?>) c.get(r);
                StringBuilder sb = new StringBuilder();
                for (Object o : cmds) {
                    if (o instanceof Record) { Method nm = o.getClass().getDeclaredMethod("name"); nm.setAccessible(true); sb.append(nm.invoke(o)).append(' '); }
                    else sb.append("(fill/copy) ");
                }
                System.out.println(cmds.size() + " commands: " + sb);
            }
        }
    }
}
