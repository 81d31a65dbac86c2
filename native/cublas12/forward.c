/*
 * forward.c - the hand-written half of libcublas.so.12, the cuBLAS 12 -> 13 forwarding library (see
 * build.sh beside it, which generates trampolines.h: the symbol names and one "jmp *slot" per symbol).
 *
 * When the dynamic loader maps this library, the constructor below opens cuBLAS 13 once and fills every
 * trampoline's slot with the address of the same-named function there. Nothing else runs on a call: the
 * caller's jump lands directly in cuBLAS 13 with its arguments untouched.
 *
 * Where cuBLAS 13 is looked for, in order: $DENDRITE_CUBLAS (a file), the loader's search path
 * (libcublas.so.13), $CUDA_HOME/lib64, /usr/local/cuda/lib64, /usr/local/cuda/targets/x86_64-linux/lib.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "trampolines.h"

/* Slots the trampolines jump through; hidden, so the RIP-relative jumps need no dynamic relocation. */
__attribute__((visibility("hidden"))) void *dendrite_cublas_table[DENDRITE_CUBLAS_SYMBOLS];

/* cublasStatus_t values returned when there is nothing to forward to. */
static int dendrite_cublas_not_initialized(void) {
    return 1; /* CUBLAS_STATUS_NOT_INITIALIZED: libcublas.so.13 could not be loaded */
}

static int dendrite_cublas_not_supported(void) {
    return 15; /* CUBLAS_STATUS_NOT_SUPPORTED: cuBLAS 13 has no such function */
}

static void *dendrite_open_cublas13(void) {
    const char *explicit_path = getenv("DENDRITE_CUBLAS");
    if (explicit_path != NULL && explicit_path[0] != '\0') {
        return dlopen(explicit_path, RTLD_NOW | RTLD_LOCAL);
    }
    void *h = dlopen("libcublas.so.13", RTLD_NOW | RTLD_LOCAL);
    if (h != NULL) {
        return h;
    }
    const char *cuda_home = getenv("CUDA_HOME");
    if (cuda_home != NULL && cuda_home[0] != '\0') {
        char path[4096];
        if (snprintf(path, sizeof path, "%s/lib64/libcublas.so.13", cuda_home) < (int) sizeof path) {
            h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
            if (h != NULL) {
                return h;
            }
        }
    }
    static const char *const fallbacks[] = {
        "/usr/local/cuda/lib64/libcublas.so.13",
        "/usr/local/cuda/targets/x86_64-linux/lib/libcublas.so.13",
    };
    for (size_t i = 0; i < sizeof fallbacks / sizeof fallbacks[0]; i++) {
        h = dlopen(fallbacks[i], RTLD_NOW | RTLD_LOCAL);
        if (h != NULL) {
            return h;
        }
    }
    return NULL;
}

__attribute__((constructor)) static void dendrite_cublas_resolve(void) {
    void *h = dendrite_open_cublas13();
    for (int i = 0; i < DENDRITE_CUBLAS_SYMBOLS; i++) {
        void *p = h != NULL ? dlsym(h, dendrite_cublas_names[i]) : NULL;
        if (p == NULL) {
            p = h != NULL ? (void *) dendrite_cublas_not_supported : (void *) dendrite_cublas_not_initialized;
        }
        dendrite_cublas_table[i] = p;
    }
    if (h == NULL && getenv("DENDRITE_CUBLAS_QUIET") == NULL) {
        fprintf(stderr, "dendrite: libcublas.so.12 forwarding library: libcublas.so.13 not found (%s)\n",
                dlerror());
    }
}
