/*
 * kernel_trace.c - every kernel, memset and copy a process runs on the GPU, with its start and end on the device's
 * clock, and the host calls that launch graphs or wait for the device: a CUPTI activity tracer that the CUDA driver
 * loads into any process named by CUDA_INJECTION64_PATH (Java through JCuda and PyTorch alike).
 *
 * Why: the lent H200 has no Nsight Systems, and Nsight Compute replays each kernel alone, so neither shows how a
 * replayed training step spends its time: which kernels run, how long each really takes beside the others, how
 * long the device waits between two kernels of a graph and between two graphs, and whether the host keeps ahead.
 * CUPTI's activity records (the same source Nsight Systems and PyTorch's profiler read) give all of that with the
 * kernels running as they normally do (CONCURRENT_KERNEL does not serialise them). bench/gpu/trace/trace_report.py
 * turns the file into a step's table.
 *
 *   CUDA_INJECTION64_PATH=/path/libkernel_trace.so KERNEL_TRACE_OUT=trace.csv  program ...
 *
 * Output (CSV, one record a line, times in ns on CUPTI's clock, which host and device records share):
 *   K,name,start,end,stream,correlation,graph,graph_node,grid_x,grid_y,grid_z,block_x,block_y,block_z  a kernel
 *   S,memset,start,end,stream,correlation,graph,graph_node,bytes                                       a memset
 *   C,memcpy,start,end,stream,correlation,graph,graph_node,bytes                                       a copy
 *   A,name,start,end,thread,correlation                                         a host API call (graph launches,
 *                                                                               synchronisations, copies to host)
 *   #,text                                                                      notes (version, dropped records)
 * Kernels that a graph launch ran carry that launch's correlation id, so one step's kernels group by it.
 * Names are as CUPTI gives them (C++ kernels mangled; commas cannot occur in a mangled name).
 */
#include <cupti.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1 MiB: about 4,800 kernel records. CUPTI's periodic flush hands over only full buffers, so smaller buffers reach
 * the file sooner; what the last one holds is written at exit (a process killed without exit loses only that). */
#define BUFFER_BYTES (1u << 20)
#define RECORD_ALIGN 8

static FILE *trace_out;
static pthread_mutex_t trace_lock = PTHREAD_MUTEX_INITIALIZER;
static int trace_started;

/* The host calls worth a record: the ones that launch a step or make the host wait for the device. */
static int api_wanted(const char *name) {
    static const char *const wanted[] = {"GraphLaunch", "Synchronize", "MemcpyDtoH", "memcpy", "Memcpy",
                                         "StreamWaitEvent", "EventQuery", "StreamQuery", NULL};
    if (name == NULL) {
        return 0;
    }
    for (int i = 0; wanted[i] != NULL; i++) {
        if (strstr(name, wanted[i]) != NULL) {
            return 1;
        }
    }
    return 0;
}

/* A memset (tag S) or copy (tag C) row: the columns a kernel row has up to its graph node, then the bytes. */
static void write_transfer(char tag, const char *name, uint64_t start, uint64_t end, uint32_t stream,
                           uint32_t correlation, uint32_t graph, uint64_t node, uint64_t bytes) {
    fprintf(trace_out, "%c,%s,%llu,%llu,%u,%u,%u,%llu,%llu\n", tag, name, (unsigned long long) start,
            (unsigned long long) end, stream, correlation, graph, (unsigned long long) node,
            (unsigned long long) bytes);
}

static void write_record(const CUpti_Activity *record) {
    switch (record->kind) {
    case CUPTI_ACTIVITY_KIND_KERNEL:
    case CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL: {
        const CUpti_ActivityKernel10 *k = (const CUpti_ActivityKernel10 *) record;
        fprintf(trace_out, "K,%s,%llu,%llu,%u,%u,%u,%llu,%d,%d,%d,%d,%d,%d\n", k->name != NULL ? k->name : "?",
                (unsigned long long) k->start, (unsigned long long) k->end, k->streamId, k->correlationId,
                k->graphId, (unsigned long long) k->graphNodeId, k->gridX, k->gridY, k->gridZ, k->blockX,
                k->blockY, k->blockZ);
        break;
    }
    case CUPTI_ACTIVITY_KIND_MEMSET: {
        const CUpti_ActivityMemset4 *m = (const CUpti_ActivityMemset4 *) record;
        write_transfer('S', "memset", m->start, m->end, m->streamId, m->correlationId, m->graphId, m->graphNodeId,
                       m->bytes);
        break;
    }
    case CUPTI_ACTIVITY_KIND_MEMCPY: {
        const CUpti_ActivityMemcpy6 *m = (const CUpti_ActivityMemcpy6 *) record;
        write_transfer('C', "memcpy", m->start, m->end, m->streamId, m->correlationId, m->graphId, m->graphNodeId,
                       m->bytes);
        break;
    }
    case CUPTI_ACTIVITY_KIND_DRIVER:
    case CUPTI_ACTIVITY_KIND_RUNTIME: {
        const CUpti_ActivityAPI *a = (const CUpti_ActivityAPI *) record;
        const char *name = NULL;
        CUpti_CallbackDomain domain = record->kind == CUPTI_ACTIVITY_KIND_DRIVER ? CUPTI_CB_DOMAIN_DRIVER_API
                                                                                 : CUPTI_CB_DOMAIN_RUNTIME_API;
        if (cuptiGetCallbackName(domain, a->cbid, &name) == CUPTI_SUCCESS && api_wanted(name)) {
            fprintf(trace_out, "A,%s,%llu,%llu,%u,%u\n", name, (unsigned long long) a->start,
                    (unsigned long long) a->end, a->threadId, a->correlationId);
        }
        break;
    }
    default:
        break;
    }
}

static void CUPTIAPI buffer_requested(uint8_t **buffer, size_t *size, size_t *max_records) {
    *buffer = aligned_alloc(RECORD_ALIGN, BUFFER_BYTES);
    *size = *buffer != NULL ? BUFFER_BYTES : 0; /* no buffer: CUPTI drops records and counts them */
    *max_records = 0;
}

static void CUPTIAPI buffer_completed(CUcontext context, uint32_t stream, uint8_t *buffer, size_t size,
                                      size_t valid) {
    (void) size;
    CUpti_Activity *record = NULL;
    pthread_mutex_lock(&trace_lock);
    while (cuptiActivityGetNextRecord(buffer, valid, &record) == CUPTI_SUCCESS) {
        write_record(record);
    }
    size_t dropped = 0;
    if (cuptiActivityGetNumDroppedRecords(context, stream, &dropped) == CUPTI_SUCCESS && dropped > 0) {
        fprintf(trace_out, "#,dropped %zu records (buffers full)\n", dropped);
    }
    fflush(trace_out);
    pthread_mutex_unlock(&trace_lock);
    free(buffer);
}

/* At exit, what the buffers still hold: without it the last steps of a run would be missing. */
static void flush_at_exit(void) {
    cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
    pthread_mutex_lock(&trace_lock);
    if (trace_out != NULL) {
        fprintf(trace_out, "#,end\n");
        fflush(trace_out);
    }
    pthread_mutex_unlock(&trace_lock);
}

static int check(CUptiResult r, const char *what) {
    if (r == CUPTI_SUCCESS) {
        return 1;
    }
    const char *why = NULL;
    cuptiGetResultString(r, &why);
    fprintf(stderr, "kernel_trace: %s failed: %s\n", what, why != NULL ? why : "unknown CUPTI error");
    if (trace_out != NULL) {
        fprintf(trace_out, "#,%s failed: %s\n", what, why != NULL ? why : "unknown CUPTI error");
        fflush(trace_out);
    }
    return 0;
}

/* Called by the CUDA driver, once, when it initialises in a process started with CUDA_INJECTION64_PATH. */
int InitializeInjection(void) {
    if (trace_started) {
        return 1;
    }
    trace_started = 1;
    const char *path = getenv("KERNEL_TRACE_OUT");
    trace_out = fopen(path != NULL && path[0] != '\0' ? path : "kernel-trace.csv", "w");
    if (trace_out == NULL) {
        fprintf(stderr, "kernel_trace: cannot write %s; nothing is traced\n", path != NULL ? path : "kernel-trace.csv");
        return 0;
    }
    uint32_t version = 0;
    cuptiGetVersion(&version);
    fprintf(trace_out, "#,kernel_trace CUPTI API %u\n", version);
    int ok = check(cuptiActivityRegisterCallbacks(buffer_requested, buffer_completed), "registering buffers")
             && check(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL), "tracing kernels");
    if (ok) {
        /* Optional kinds: a failure is noted, and kernels are still traced. */
        check(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_MEMSET), "tracing memsets");
        check(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_MEMCPY), "tracing copies");
        check(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_DRIVER), "tracing driver calls");
        check(cuptiActivityEnable(CUPTI_ACTIVITY_KIND_RUNTIME), "tracing runtime calls");
        /* Full buffers reach the file every half second, so a process killed at its time limit leaves most. */
        check(cuptiActivityFlushPeriod(500), "setting the flush period");
        atexit(flush_at_exit);
    }
    fflush(trace_out);
    return ok;
}
