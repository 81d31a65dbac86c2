/*
 * driver_types.h - the few CUDA driver API types and constants launch.c passes to the driver, declared with the
 * same layout as cuda.h (CUDA 12.3 and newer) so that the library builds where no CUDA toolkit is installed.
 * layout_check.c asserts, against cuda.h, every size, offset and value used here; build.sh compiles it wherever
 * cuda.h exists.
 */
#ifndef DENDRITE_DRIVER_TYPES_H
#define DENDRITE_DRIVER_TYPES_H

#include <stddef.h>

/* CUresult values launch.c returns itself. */
#define DENDRITE_CUDA_ERROR_INVALID_VALUE 1
#define DENDRITE_CUDA_ERROR_OUT_OF_MEMORY 2
#define DENDRITE_CUDA_ERROR_NOT_FOUND 500

/* CUlaunchAttributeID CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION */
#define DENDRITE_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION 6
/* CUgraphDependencyType CU_GRAPH_DEPENDENCY_TYPE_PROGRAMMATIC */
#define DENDRITE_GRAPH_DEPENDENCY_TYPE_PROGRAMMATIC 1

/* The most parameters a kernel of kernels/cuda takes is 24 (batchnorm_forward_training); room to spare. */
#define DENDRITE_MAX_KERNEL_PARAMS 64

/* CUlaunchAttributeValue: a 64-byte union, 8-byte aligned (it holds pointers); the member used here is its first int. */
typedef union {
    _Alignas(8) char bytes[64];
    int programmatic_stream_serialization_allowed;
} DendriteLaunchAttributeValue;

/* CUlaunchAttribute: the id (an enum), padded to 8 bytes, then the value. */
typedef struct {
    int id;
    char pad[8 - sizeof(int)];
    DendriteLaunchAttributeValue value;
} DendriteLaunchAttribute;

/* CUlaunchConfig */
typedef struct {
    unsigned int grid_dim_x;
    unsigned int grid_dim_y;
    unsigned int grid_dim_z;
    unsigned int block_dim_x;
    unsigned int block_dim_y;
    unsigned int block_dim_z;
    unsigned int shared_mem_bytes;
    void *stream;
    DendriteLaunchAttribute *attrs;
    unsigned int num_attrs;
} DendriteLaunchConfig;

/* CUgraphEdgeData */
typedef struct {
    unsigned char from_port;
    unsigned char to_port;
    unsigned char type;
    unsigned char reserved[5];
} DendriteGraphEdgeData;

#endif
