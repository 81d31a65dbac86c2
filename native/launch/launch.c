/*
 * launch.c - libdendrite_launch.so, the CUDA driver calls the CUDA backend needs and JCuda 12.6 does not bind:
 *
 *   - cuLaunchKernelEx with the launch attribute programmaticStreamSerialization, so that on Hopper a kernel may
 *     be placed while the kernel before it on the stream still runs (programmatic dependent launch, PDL; every
 *     kernel of kernels/cuda begins with dendrite_pdl_begin(), which waits for that kernel before touching memory);
 *   - cuGraphGetEdges_v2, to count the programmatic edges a stream capture made of such launches (the tests' and
 *     the benchmarks' proof that PDL is in effect, not merely asked for), and the graph's longest chain of nodes.
 *
 * Java side: dev.dendrite.backend.cuda.CudaLaunchEx. JCuda's handles (CUfunction, CUstream, CUgraph, CUdeviceptr)
 * are read from their private fields here, as JCuda's own natives read them, so no JCuda internals are called.
 *
 * The driver is opened with dlopen at the first call, not linked: the library loads on machines without one (CI),
 * where every call reports CUDA_ERROR_NOT_FOUND and availability() says why. The driver types used below are
 * declared here rather than taken from cuda.h, which a build machine need not have; build.sh checks these
 * declarations against cuda.h wherever it finds one (layout_check.c).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <jni.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver_types.h"

typedef int (*launch_kernel_ex_fn)(const DendriteLaunchConfig *, void *, void **, void **);
typedef int (*graph_get_edges_fn)(void *, void **, void **, DendriteGraphEdgeData *, size_t *);

static pthread_once_t driver_once = PTHREAD_ONCE_INIT;
static launch_kernel_ex_fn launch_kernel_ex;
static graph_get_edges_fn graph_get_edges;
static char driver_problem[256];

static jfieldID native_pointer_field;
static jfieldID byte_offset_field;
static jclass pointer_class; /* a global reference to jcuda.Pointer, made by bind() */

static void open_driver(void) {
    void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        snprintf(driver_problem, sizeof driver_problem, "the CUDA driver (libcuda.so.1) could not be opened: %s",
                 dlerror());
        return;
    }
    /* cuLaunchKernelEx came with CUDA 11.8 drivers, cuGraphGetEdges_v2 with 12.3: an older driver lacks them. */
    launch_kernel_ex = (launch_kernel_ex_fn) dlsym(h, "cuLaunchKernelEx");
    graph_get_edges = (graph_get_edges_fn) dlsym(h, "cuGraphGetEdges_v2");
    if (launch_kernel_ex == NULL || graph_get_edges == NULL) {
        /* Both or neither: a backend whose graphs cannot be asked for their programmatic edges stays without PDL. */
        snprintf(driver_problem, sizeof driver_problem,
                 "the CUDA driver has no %s (it needs a CUDA 12.3 or newer driver)",
                 launch_kernel_ex == NULL ? "cuLaunchKernelEx" : "cuGraphGetEdges_v2");
        launch_kernel_ex = NULL;
        graph_get_edges = NULL;
    }
}

/*
 * The native handle inside a JCuda object (NativePointerObject.nativePointer, plus Pointer.byteOffset), 0 for
 * null. Only after bind() has succeeded (CudaLaunchEx calls nothing else before it).
 */
static uint64_t handle_of(JNIEnv *env, jobject o) {
    if (o == NULL) {
        return 0;
    }
    uint64_t address = (uint64_t) (*env)->GetLongField(env, o, native_pointer_field);
    if ((*env)->IsInstanceOf(env, o, pointer_class)) {
        address += (uint64_t) (*env)->GetLongField(env, o, byte_offset_field);
    }
    return address;
}

JNIEXPORT jboolean JNICALL Java_dev_dendrite_backend_cuda_CudaLaunchEx_bind(JNIEnv *env, jclass cls) {
    (void) cls;
    jclass object = (*env)->FindClass(env, "jcuda/NativePointerObject");
    jclass pointer = (*env)->FindClass(env, "jcuda/Pointer");
    if (object == NULL || pointer == NULL) {
        (*env)->ExceptionClear(env);
        return JNI_FALSE;
    }
    native_pointer_field = (*env)->GetFieldID(env, object, "nativePointer", "J");
    byte_offset_field = (*env)->GetFieldID(env, pointer, "byteOffset", "J");
    if (native_pointer_field == NULL || byte_offset_field == NULL) {
        (*env)->ExceptionClear(env);
        return JNI_FALSE;
    }
    pointer_class = (*env)->NewGlobalRef(env, pointer);
    return pointer_class != NULL ? JNI_TRUE : JNI_FALSE;
}

JNIEXPORT jstring JNICALL Java_dev_dendrite_backend_cuda_CudaLaunchEx_driverProblem(JNIEnv *env, jclass cls) {
    (void) cls;
    pthread_once(&driver_once, open_driver);
    return driver_problem[0] == '\0' ? NULL : (*env)->NewStringUTF(env, driver_problem);
}

JNIEXPORT jlong JNICALL Java_dev_dendrite_backend_cuda_CudaLaunchEx_address(JNIEnv *env, jclass cls, jobject o) {
    (void) cls;
    return (jlong) handle_of(env, o);
}

/*
 * Launches `function` on `stream` with one 8-byte slot per kernel parameter (CudaLaunchEx packs them: a device
 * address, or an int or float in the slot's low 4 bytes, which is where the driver reads a 4-byte parameter on a
 * little-endian machine). Returns the driver's CUresult.
 */
JNIEXPORT jint JNICALL Java_dev_dendrite_backend_cuda_CudaLaunchEx_launchEx(
        JNIEnv *env, jclass cls, jobject function, jobject stream, jint grid_x, jint grid_y, jint grid_z,
        jint block_x, jint block_y, jint block_z, jint shared_bytes, jlongArray slots, jboolean programmatic) {
    (void) cls;
    pthread_once(&driver_once, open_driver);
    if (launch_kernel_ex == NULL) {
        return DENDRITE_CUDA_ERROR_NOT_FOUND;
    }
    jsize count = (*env)->GetArrayLength(env, slots);
    if (count > DENDRITE_MAX_KERNEL_PARAMS) {
        return DENDRITE_CUDA_ERROR_INVALID_VALUE;
    }
    jlong values[DENDRITE_MAX_KERNEL_PARAMS];
    void *params[DENDRITE_MAX_KERNEL_PARAMS];
    (*env)->GetLongArrayRegion(env, slots, 0, count, values);
    for (jsize i = 0; i < count; i++) {
        params[i] = &values[i];
    }
    DendriteLaunchAttribute attribute;
    memset(&attribute, 0, sizeof attribute);
    attribute.id = DENDRITE_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION;
    attribute.value.programmatic_stream_serialization_allowed = 1;
    DendriteLaunchConfig config;
    memset(&config, 0, sizeof config);
    config.grid_dim_x = (unsigned int) grid_x;
    config.grid_dim_y = (unsigned int) grid_y;
    config.grid_dim_z = (unsigned int) grid_z;
    config.block_dim_x = (unsigned int) block_x;
    config.block_dim_y = (unsigned int) block_y;
    config.block_dim_z = (unsigned int) block_z;
    config.shared_mem_bytes = (unsigned int) shared_bytes;
    config.stream = (void *) (uintptr_t) handle_of(env, stream);
    config.attrs = programmatic ? &attribute : NULL;
    config.num_attrs = programmatic ? 1u : 0u;
    return launch_kernel_ex(&config, (void *) (uintptr_t) handle_of(env, function), count > 0 ? params : NULL,
                            NULL);
}

static int compare_handles(const void *a, const void *b) {
    uintptr_t x = (uintptr_t) *(void *const *) a, y = (uintptr_t) *(void *const *) b;
    return x < y ? -1 : x > y;
}

static size_t index_of(void *const *sorted, size_t n, void *handle) {
    void *const *at = bsearch(&handle, sorted, n, sizeof *sorted, compare_handles);
    return (size_t) (at - sorted);
}

/*
 * The number of nodes on the longest chain of edges (0 without edges): at the course's batch sizes every node
 * costs about one launch however small, so this chain, not the node count, bounds a replayed step from below.
 * Kahn's order over the nodes the edges name; a node without edges is a chain of one, which the caller adds.
 */
static size_t longest_chain(void *const *from, void *const *to, size_t edges) {
    size_t n = 0, longest = 0;
    void **nodes = malloc(2 * edges * sizeof *nodes);
    size_t *in = calloc(2 * edges, sizeof *in), *depth = calloc(2 * edges, sizeof *depth);
    size_t *order = malloc(2 * edges * sizeof *order), *f = malloc(edges * sizeof *f), *t = malloc(edges * sizeof *t);
    if (nodes == NULL || in == NULL || depth == NULL || order == NULL || f == NULL || t == NULL) {
        goto done;
    }
    for (size_t i = 0; i < edges; i++) {
        nodes[n++] = from[i];
        nodes[n++] = to[i];
    }
    qsort(nodes, n, sizeof *nodes, compare_handles);
    size_t unique = 0;
    for (size_t i = 0; i < n; i++) {
        if (unique == 0 || nodes[unique - 1] != nodes[i]) {
            nodes[unique++] = nodes[i];
        }
    }
    n = unique;
    for (size_t i = 0; i < edges; i++) {
        f[i] = index_of(nodes, n, from[i]);
        t[i] = index_of(nodes, n, to[i]);
        in[t[i]]++;
    }
    size_t head = 0, tail = 0;
    for (size_t v = 0; v < n; v++) {
        depth[v] = 1;
        if (in[v] == 0) {
            order[tail++] = v;
        }
    }
    while (head < tail) { /* edges are few (tens): a scan per node is cheaper than building adjacency lists */
        size_t v = order[head++];
        longest = depth[v] > longest ? depth[v] : longest;
        for (size_t i = 0; i < edges; i++) {
            if (f[i] == v) {
                depth[t[i]] = depth[v] + 1 > depth[t[i]] ? depth[v] + 1 : depth[t[i]];
                if (--in[t[i]] == 0) {
                    order[tail++] = t[i];
                }
            }
        }
    }
done:
    free(nodes);
    free(in);
    free(depth);
    free(order);
    free(f);
    free(t);
    return longest;
}

/*
 * How many of the graph's edges are programmatic, into counts[0], how many edges it has, into counts[1], and how
 * many nodes its longest chain of edges holds (longest_chain), into counts[2]. Returns the driver's CUresult
 * (CUDA_ERROR_NOT_FOUND where the driver has no cuGraphGetEdges_v2).
 */
JNIEXPORT jint JNICALL Java_dev_dendrite_backend_cuda_CudaLaunchEx_countEdges(JNIEnv *env, jclass cls,
                                                                              jobject graph, jlongArray counts) {
    (void) cls;
    pthread_once(&driver_once, open_driver);
    if (graph_get_edges == NULL) {
        return DENDRITE_CUDA_ERROR_NOT_FOUND;
    }
    void *g = (void *) (uintptr_t) handle_of(env, graph);
    size_t edges = 0;
    int rc = graph_get_edges(g, NULL, NULL, NULL, &edges);
    if (rc != 0) {
        return rc;
    }
    jlong result[3] = {0, (jlong) edges, 0};
    if (edges > 0) {
        void **from = calloc(edges, sizeof *from);
        void **to = calloc(edges, sizeof *to);
        DendriteGraphEdgeData *data = calloc(edges, sizeof *data);
        if (from == NULL || to == NULL || data == NULL) {
            rc = DENDRITE_CUDA_ERROR_OUT_OF_MEMORY;
        } else {
            size_t n = edges;
            rc = graph_get_edges(g, from, to, data, &n);
            n = n < edges ? n : edges;
            for (size_t i = 0; rc == 0 && i < n; i++) {
                result[0] += data[i].type == DENDRITE_GRAPH_DEPENDENCY_TYPE_PROGRAMMATIC;
            }
            result[1] = (jlong) n;
            result[2] = rc == 0 ? (jlong) longest_chain(from, to, n) : 0;
        }
        free(from);
        free(to);
        free(data);
    }
    if (rc == 0) {
        (*env)->SetLongArrayRegion(env, counts, 0, 3, result);
    }
    return rc;
}
