package dev.dendrite.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import dev.dendrite.backend.GemmVariant;
import dev.dendrite.callbacks.Callback;
import dev.dendrite.callbacks.Logs;
import dev.dendrite.data.Dataset;
import dev.dendrite.data.FashionMnist;
import dev.dendrite.data.Inputs;
import dev.dendrite.data.Preprocessing;
import dev.dendrite.layers.Dense;
import dev.dendrite.layers.Flatten;
import dev.dendrite.layers.Input;
import dev.dendrite.model.FitOptions;
import dev.dendrite.model.History;
import dev.dendrite.model.Sequential;

/**
 * Dense layers whose passes end in their tiled products (gemm.cl's gemm_&lt;variant&gt;_dense forward, and
 * gemm_&lt;variant&gt;_backward for a layer under another with more than THIN_K units) train bit for bit like their
 * products apart: two epochs of a relu network (48 units under 40, so the 40-unit layer's input gradient is not thin)
 * with a validation split, on the tile64 variant, each way forced; history, weights and predictions compared. With
 * the switches on (the default), the recorded step shows where the launches went: the two hidden layers' forward
 * passes in one launch each, where apart each is two, and the lower one's backward pass with the upper one's weight
 * gradient in one (gemm_&lt;variant&gt;_backward_pair), where apart they are three.
 */
class OpenClDenseEndingTest {
    private record Run(TrainedRun run, List<String> step) {
    }

    private static Run train(String densePath) throws IOException {
        OpenClBackend backend = OpenClTestSupport.backendOrSkip();
        Dataset data = FashionMnist.loadSample().train().rows(0, 400);
        Inputs x = Preprocessing.fit("standardize", data.images()).apply(data.images());
        List<List<String>> seen = new ArrayList<>();
        try (backend; Sequential m = new Sequential(new Input(28, 28), new Flatten(), new Dense(48, "relu"),
                new Dense(40, "relu"), new Dense(10, "softmax")).backend(backend)) {
            backend.forceGemmVariant(GemmVariant.TILE64);
            backend.forceDensePath(densePath);
            m.compile("adam", "sparse_categorical_crossentropy", "accuracy");
            Callback probe = new Callback() {
                @Override
                public void onTrainBatchEnd(int batch, Logs logs) {
                    if (batch == 4) { // each batch buffer's first step is issued, its second recorded
                        seen.addAll(backend.recordedCommands());
                    }
                }
            };
            History h = m.fit(x, data.labels(), new FitOptions().batchSize(50).epochs(2).verbose(0)
                    .validationSplit(0.25).seed(3).callbacks(probe));
            return new Run(new TrainedRun(h, m.getWeights(), m.predict(x.rows(0, 60)).toArray()),
                    seen.isEmpty() ? List.of() : seen.get(seen.size() - 1));
        }
    }

    @Test
    void denseLayersEndingInTheirProductsTrainBitForBitLikeTheProductsApart() throws IOException {
        Run ending = train(OpenClGemmOps.DENSE_ENDING);
        Run apart = train(OpenClGemmOps.DENSE_APART);
        ending.run().assertSameAs(apart.run());

        boolean switchesOn = Stream.of("dendrite.opencl.fuse", "dendrite.opencl.denseEpilogue",
                        "dendrite.opencl.lastGroup", "dendrite.fuseLayers", "dendrite.fuseInputGradient",
                        "dendrite.opencl.record")
                .allMatch(p -> System.getProperty(p) == null);
        org.junit.jupiter.api.Assumptions.assumeTrue(switchesOn && !ending.step().isEmpty(),
                "a switch is off or no step was recorded: the launches differ, the bits were checked above");
        assertEquals(2, count(ending.step(), "gemm.cl:gemm_tile64_dense"), "forward endings: " + ending.step());
        // The 48-unit layer's backward pass ends the 40-unit layer's input gradient, with that layer's weight
        // gradient beside it (both products on tile64: gemm_tile64_backward_pair).
        assertEquals(1, count(ending.step(), "gemm.cl:gemm_tile64_backward_pair"), "backward pair: " + ending.step());
        assertEquals(0, count(apart.step(), "gemm.cl:gemm_tile64_backward_pair"), "apart: " + apart.step());
        // The 40-unit layer's activation backward takes the output layer's thin input gradient either way.
        assertEquals(1, count(ending.step(), "activations.cl:activation_backward"), "ending: " + ending.step());
        assertEquals(2, count(apart.step(), "activations.cl:activation_backward"), "apart: " + apart.step());
        assertEquals(apart.step().size() - 4, ending.step().size(), "four launches fewer a step");
    }

    private static long count(List<String> step, String command) {
        return step.stream().filter(command::equals).count();
    }
}
