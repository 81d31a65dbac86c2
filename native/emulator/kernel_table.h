/*
 * kernel_table.h - how build.sh's generated kernels.cc turns each kernel into a demu::Kernel: the parameter
 * sizes and the call come from the kernel's own declaration, so the table cannot disagree with it.
 */
#ifndef DENDRITE_EMU_KERNEL_TABLE_H
#define DENDRITE_EMU_KERNEL_TABLE_H

#include <cstring>
#include <type_traits>
#include <utility>

#include "emu.h"

namespace demu {

template <class F>
struct Signature;

template <class... A>
struct Signature<void (*)(A...)> {
    template <void (*F)(A...), size_t... I>
    static void call(void **p, std::index_sequence<I...>) {
        F(*static_cast<std::remove_cv_t<std::remove_reference_t<A>> *>(p[I])...);
    }
    template <void (*F)(A...)>
    static void invoke(void **p) {
        call<F>(p, std::index_sequence_for<A...>{});
    }
    static std::vector<size_t> sizes() { return {sizeof(A)...}; }
};

}  // namespace demu

#define DEMU_KERNEL(name, max_threads)                                                                       \
    Kernel {                                                                                                  \
        #name, Signature<decltype(&name)>::sizes(), &Signature<decltype(&name)>::template invoke<&name>,       \
            (unsigned int) (max_threads)                                                                      \
    }

#define DEMU_KERNEL_LOOKUP(table)                                     \
    const Kernel *find_kernel(const char *name) {                     \
        for (const Kernel &k : table) {                               \
            if (std::strcmp(k.name, name) == 0) {                     \
                return &k;                                            \
            }                                                         \
        }                                                             \
        return nullptr;                                               \
    }                                                                 \
    size_t kernel_count() { return sizeof(table) / sizeof(table[0]); }

#endif
