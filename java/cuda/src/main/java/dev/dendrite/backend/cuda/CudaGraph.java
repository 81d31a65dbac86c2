package dev.dendrite.backend.cuda;

import static jcuda.driver.JCudaDriver.cuGraphDestroy;
import static jcuda.driver.JCudaDriver.cuGraphExecDestroy;
import static jcuda.driver.JCudaDriver.cuGraphGetEdges;
import static jcuda.driver.JCudaDriver.cuGraphGetNodes;
import static jcuda.driver.JCudaDriver.cuGraphInstantiate;
import static jcuda.driver.JCudaDriver.cuGraphLaunch;
import static jcuda.driver.JCudaDriver.cuStreamBeginCapture;
import static jcuda.driver.JCudaDriver.cuStreamEndCapture;

import dev.dendrite.backend.CapturedStep;
import jcuda.CudaException;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUstreamCaptureMode;

/**
 * A sequence of {@link CudaBackend} ops recorded once as a CUDA graph and replayed with one launch: how a whole
 * training step (gather, GEMMs, kernels, optimizer, advanceCounters) costs one host call instead of dozens.
 *
 * <pre>{@code
 * try (CudaGraph step = CudaGraph.capture(backend, () -> issueOneTrainingStep())) {
 *     for (int i = 0; i < steps; i++) {
 *         step.launch();
 *     }
 * }
 * }</pre>
 *
 * Everything that changes between replays must be read by the ops from device memory (the Backend contract
 * guarantees that: counters, hyper, stats); arguments passed by value (shapes, alpha, the TF32 mode, buffer
 * addresses) are frozen at capture. While capturing, ops that wait for the device, copy from the host or
 * allocate throw {@link IllegalStateException}. Closing the backend destroys its graphs.
 */
public final class CudaGraph implements CapturedStep {
    private final CudaBackend backend;
    private final CUgraph graph = new CUgraph();
    private final CUgraphExec exec = new CUgraphExec();
    private boolean capturing;
    private boolean hasGraph;
    private boolean instantiated;
    private boolean destroyed;

    private CudaGraph(CudaBackend backend) {
        this.backend = backend;
    }

    /**
     * Starts capturing the ops issued on {@code backend} from now on (by this thread) until {@link #end()}.
     *
     * @throws IllegalStateException if the backend is closed or already capturing
     */
    public static CudaGraph begin(CudaBackend backend) {
        CudaGraph g = new CudaGraph(backend);
        backend.captureStarted(g);
        try {
            cuStreamBeginCapture(backend.stream(), CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
        } catch (CudaException e) {
            backend.captureEnded();
            backend.forget(g);
            throw new CudaBackendException("cuda CudaGraph.begin failed: " + e.getMessage(), e);
        }
        g.capturing = true;
        return g;
    }

    /** Captures what {@code ops} issues on {@code backend} and instantiates it, ready to {@link #launch()}. */
    public static CudaGraph capture(CudaBackend backend, Runnable ops) {
        CudaGraph g = begin(backend);
        try {
            ops.run();
        } catch (RuntimeException | Error e) {
            try {
                g.close(); // ends the capture and drops what was recorded
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        g.end();
        return g;
    }

    /** Stops capturing and instantiates the recorded graph. */
    public void end() {
        if (!capturing) {
            throw new IllegalStateException("cuda CudaGraph.end: not capturing");
        }
        capturing = false;
        backend.captureEnded();
        try {
            cuStreamEndCapture(backend.stream(), graph);
            hasGraph = true;
            cuGraphInstantiate(exec, graph, 0L);
            instantiated = true;
            backend.graphRecorded(this);
        } catch (CudaException e) {
            throw new CudaBackendException("cuda CudaGraph.end failed: " + e.getMessage()
                    + " (an op issued during the capture may be one that cannot be captured)", e);
        }
    }

    /** The same as {@link #launch()}: a graph is the CUDA backend's {@link CapturedStep}. */
    @Override
    public void run() {
        launch();
    }

    /** Replays the graph on the backend's stream, asynchronously, in order with the ops around it. */
    public void launch() {
        if (!instantiated || destroyed) {
            throw new IllegalStateException("cuda CudaGraph.launch: the graph is "
                    + (destroyed ? "closed" : "not captured yet (call end())"));
        }
        backend.ensureOpen();
        try {
            cuGraphLaunch(exec, backend.stream());
        } catch (CudaException e) {
            throw new CudaBackendException("cuda CudaGraph.launch failed: " + e.getMessage(), e);
        }
        backend.graphLaunched();
    }

    /**
     * The recorded graph's node and edge counts: a chain of n nodes has n - 1 edges, and each branch
     * ({@link CudaBackend#branch}) that ran beside the main path adds one. For tests.
     */
    long[] nodesAndEdges() {
        long nodes = nodeCount("nodesAndEdges");
        long[] edges = new long[1];
        if (backend.programmaticDependentLaunch()) {
            // JCuda binds only the edge query of CUDA 12.2 and older, which cannot describe a programmatic edge.
            edges[0] = CudaLaunchEx.edges(graph)[1];
        } else {
            cuGraphGetEdges(graph, null, null, edges);
        }
        return new long[] {nodes, edges[0]};
    }

    /** The recorded graph's node count; {@code caller} names the method in the message when there is none. */
    private long nodeCount(String caller) {
        if (!hasGraph || destroyed) {
            throw new IllegalStateException("cuda CudaGraph." + caller + ": no graph recorded");
        }
        // Null arrays: only the count. (JCuda 12.6 passes the driver an uninitialised capacity along with
        // non-null arrays, and the driver then writes past them: a heap corruption, seen on an H200.)
        long[] nodes = new long[1];
        cuGraphGetNodes(graph, null, nodes);
        return nodes[0];
    }

    /**
     * The recorded graph's size: its nodes, its edges, and the nodes on its longest chain of edges (its critical
     * path; 1 for nodes without edges). At the course's batch sizes each node costs about one launch however small,
     * so the chain, not the node count, bounds a replayed step's time from below. The chain is -1 where
     * libdendrite_launch.so cannot read the graph's edges (no library, or a driver older than CUDA 12.3).
     */
    public GraphShape shape() {
        if (CudaLaunchEx.load() == null) {
            try {
                long nodes = nodeCount("shape");
                long[] edges = CudaLaunchEx.edges(graph); // the edges and the chain in one query
                return new GraphShape(nodes, edges[1], Math.max(edges[2], nodes > 0 ? 1 : 0));
            } catch (CudaException e) {
                // CUDA_ERROR_NOT_FOUND: the driver has no cuGraphGetEdges_v2; JCuda's query counts the edges
            }
        }
        long[] ne = nodesAndEdges();
        return new GraphShape(ne[0], ne[1], -1);
    }

    /** A recorded graph's nodes, edges and the nodes on its longest chain (-1 where unknown): {@link #shape()}. */
    public record GraphShape(long nodes, long edges, long criticalPath) {
    }

    /**
     * How many of the recorded graph's edges are programmatic: kernel launches that may start while the kernel
     * before them ends ({@link CudaBackend#programmaticDependentLaunch()}). 0 without PDL. For tests and benchmarks.
     */
    public long programmaticEdges() {
        if (!hasGraph || destroyed) {
            throw new IllegalStateException("cuda CudaGraph.programmaticEdges: no graph recorded");
        }
        return backend.programmaticDependentLaunch() ? CudaLaunchEx.edges(graph)[0] : 0;
    }

    /** Destroys the graph (ending an unfinished capture first). Idempotent. */
    @Override
    public void close() {
        if (destroyed) {
            return;
        }
        backend.forget(this);
        destroy();
    }

    /** Releases the driver objects; called by close() and by the backend's close(). */
    void destroy() {
        if (destroyed) {
            return;
        }
        destroyed = true;
        RuntimeException first = null;
        if (capturing) {
            capturing = false;
            backend.captureEnded();
            try {
                cuStreamEndCapture(backend.stream(), graph);
                hasGraph = true;
            } catch (CudaException e) {
                first = e; // an invalidated capture still ends; nothing to destroy then
            }
        }
        if (instantiated) {
            try {
                cuGraphExecDestroy(exec);
            } catch (CudaException e) {
                first = first == null ? e : first;
            }
        }
        if (hasGraph) {
            try {
                cuGraphDestroy(graph);
            } catch (CudaException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw new CudaBackendException("cuda CudaGraph.close failed: " + first.getMessage(), first);
        }
    }
}
