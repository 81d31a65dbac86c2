package dev.dendrite.backend;

import java.util.Random;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;

/**
 * The base of an op family's own conformance suite (e.g. {@link NoiseConformanceTest}): the guarded buffers, seeds,
 * random data and comparisons of {@link BackendConformanceTest}, used through an instance of it rather than by
 * extending it, so that a family's suite does not run the whole op-set suite a second time. Its lifecycle (backend
 * per class, seed per test, guard check after each test) is driven from here.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class OpFamilyConformance {
    protected static final double EPS = BackendConformanceTest.EPS;

    /** The backend under test, created once per test class. */
    protected abstract Backend createBackend();

    private BackendConformanceTest suite;
    protected Backend backend;
    protected Random rnd;
    /** This test's seed, quoted in failure messages. */
    protected long seed;

    @BeforeAll
    final void openFamilyBackend() {
        String name = getClass().getSimpleName();
        suite = new BackendConformanceTest() {
            @Override
            protected Backend createBackend() {
                Backend b = OpFamilyConformance.this.createBackend();
                // The suite's own line follows, "<its class name>: <backend>; base seed ...", and an anonymous
                // class has an empty name: this class's goes first.
                System.out.print(name);
                return b;
            }
        };
        suite.openBackend();
        backend = suite.backend;
    }

    @AfterAll
    final void closeFamilyBackend() {
        if (suite != null) {
            suite.closeBackend();
        }
    }

    @BeforeEach
    final void seedFamilyTest(TestInfo info) {
        suite.seedTest(info);
        rnd = suite.rnd;
        seed = suite.seed;
    }

    @AfterEach
    final void checkFamilyGuards() {
        suite.checkGuardsAndFree();
    }

    protected Slice f32(float[] data) {
        return suite.f32(data);
    }

    protected Slice f32Out(int n) {
        return suite.f32Out(n);
    }

    protected Slice i32(int[] data) {
        return suite.i32(data);
    }

    protected float[] get(Slice s) {
        return suite.get(s);
    }

    protected int[] getInts(Slice s) {
        return suite.getInts(s);
    }

    protected float[] normal(int n, double scale) {
        return suite.normal(n, scale);
    }

    protected static double[] d(float[] x) {
        return BackendConformanceTest.d(x);
    }

    protected void assertClose(String what, double[] expected, float[] actual, double rtol, double atol) {
        suite.assertClose(what, expected, actual, rtol, atol);
    }

    protected void assertWithin(String what, double[] expected, float[] actual, double[] tol) {
        suite.assertWithin(what, expected, actual, tol);
    }

    protected static double[] sumTolerance(double[] absSums, int k, double extra) {
        return BackendConformanceTest.sumTolerance(absSums, k, extra);
    }
}
