/*
 * errors.h - reporting bad values that only the device sees.
 *
 * Some arguments live in device memory (sparse labels, shuffle indices, the batch counter), so an op cannot
 * check them when it is issued without a round trip to the host, which the device-resident training loop
 * must not make. Kernels therefore guard every such read, skip the bad element, and record the first bad
 * value in a small error block; the host reads the block whenever it waits for the device anyway
 * (download, synchronize) and throws there, naming the value.
 *
 * Layout of the block (DENDRITE_ERROR_WORDS ints): [code, value, detail, limit], code 0 = no error.
 */
#ifndef DENDRITE_ERRORS_H
#define DENDRITE_ERRORS_H

#include "dialect.h"

#define DENDRITE_ERROR_NONE 0
/* gather: indices[detail] = value is not a row of src; limit = rows of src */
#define DENDRITE_ERROR_GATHER_ROW 1
/* gather: batch value (counters[COUNTER_BATCH]) of size detail reads past the limit positions available */
#define DENDRITE_ERROR_GATHER_BATCH 2
/* softmaxCrossEntropy: label value in row detail is not a class index in [0, limit) */
#define DENDRITE_ERROR_LABEL 3
#define DENDRITE_ERROR_WORDS 4

/* Records an error unless one is already recorded: the first bad value is the one worth reporting. */
DENDRITE_DEVICE void dendrite_report_error(DENDRITE_GLOBAL int *err, int code, int value, int detail, int limit) {
    if (dendrite_atomic_cas_i32(err, DENDRITE_ERROR_NONE, code) == DENDRITE_ERROR_NONE) {
        err[1] = value;
        err[2] = detail;
        err[3] = limit;
    }
}

#endif /* DENDRITE_ERRORS_H */
