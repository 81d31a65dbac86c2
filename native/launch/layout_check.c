/*
 * layout_check.c - compiled (never run) by build.sh wherever cuda.h exists: it fails the build if a type or a
 * constant in driver_types.h differs from the CUDA driver API's own, so that launch.c cannot hand the driver a
 * struct it reads differently.
 */
#include <cuda.h>
#include <stddef.h>

#include "driver_types.h"

#define SAME_LAYOUT(ours, theirs) \
    _Static_assert(sizeof(ours) == sizeof(theirs), "sizeof " #ours " differs from " #theirs)
#define SAME_OFFSET(ours, our_field, theirs, their_field)                        \
    _Static_assert(offsetof(ours, our_field) == offsetof(theirs, their_field), \
                   "offset of " #ours "." #our_field " differs from " #theirs "." #their_field)

#define SAME_ALIGNMENT(ours, theirs) \
    _Static_assert(_Alignof(ours) == _Alignof(theirs), "alignment of " #ours " differs from " #theirs)

SAME_LAYOUT(DendriteLaunchAttributeValue, CUlaunchAttributeValue);
SAME_ALIGNMENT(DendriteLaunchAttributeValue, CUlaunchAttributeValue);
SAME_ALIGNMENT(DendriteLaunchAttribute, CUlaunchAttribute);
SAME_ALIGNMENT(DendriteLaunchConfig, CUlaunchConfig);
SAME_ALIGNMENT(DendriteGraphEdgeData, CUgraphEdgeData);
SAME_LAYOUT(DendriteLaunchAttribute, CUlaunchAttribute);
SAME_OFFSET(DendriteLaunchAttribute, id, CUlaunchAttribute, id);
SAME_OFFSET(DendriteLaunchAttribute, value, CUlaunchAttribute, value);
SAME_OFFSET(DendriteLaunchAttribute, value.programmatic_stream_serialization_allowed, CUlaunchAttribute,
            value.programmaticStreamSerializationAllowed);
_Static_assert(sizeof(CUlaunchAttributeID) == sizeof(int), "CUlaunchAttributeID is not an int");

SAME_LAYOUT(DendriteLaunchConfig, CUlaunchConfig);
SAME_OFFSET(DendriteLaunchConfig, grid_dim_x, CUlaunchConfig, gridDimX);
SAME_OFFSET(DendriteLaunchConfig, grid_dim_y, CUlaunchConfig, gridDimY);
SAME_OFFSET(DendriteLaunchConfig, grid_dim_z, CUlaunchConfig, gridDimZ);
SAME_OFFSET(DendriteLaunchConfig, block_dim_x, CUlaunchConfig, blockDimX);
SAME_OFFSET(DendriteLaunchConfig, block_dim_y, CUlaunchConfig, blockDimY);
SAME_OFFSET(DendriteLaunchConfig, block_dim_z, CUlaunchConfig, blockDimZ);
SAME_OFFSET(DendriteLaunchConfig, shared_mem_bytes, CUlaunchConfig, sharedMemBytes);
SAME_OFFSET(DendriteLaunchConfig, stream, CUlaunchConfig, hStream);
SAME_OFFSET(DendriteLaunchConfig, attrs, CUlaunchConfig, attrs);
SAME_OFFSET(DendriteLaunchConfig, num_attrs, CUlaunchConfig, numAttrs);

SAME_LAYOUT(DendriteGraphEdgeData, CUgraphEdgeData);
SAME_OFFSET(DendriteGraphEdgeData, type, CUgraphEdgeData, type);

_Static_assert(DENDRITE_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION
               == CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION, "attribute id differs");
_Static_assert(DENDRITE_GRAPH_DEPENDENCY_TYPE_PROGRAMMATIC == CU_GRAPH_DEPENDENCY_TYPE_PROGRAMMATIC,
               "dependency type differs");
_Static_assert(DENDRITE_CUDA_ERROR_INVALID_VALUE == CUDA_ERROR_INVALID_VALUE, "CUresult differs");
_Static_assert(DENDRITE_CUDA_ERROR_OUT_OF_MEMORY == CUDA_ERROR_OUT_OF_MEMORY, "CUresult differs");
_Static_assert(DENDRITE_CUDA_ERROR_NOT_FOUND == CUDA_ERROR_NOT_FOUND, "CUresult differs");
