package dev.dendrite.backend.cuda;

import dev.dendrite.backend.GemmVariant;

/**
 * Every kernel of {@code dendrite_kernels.fatbin} the CUDA backend launches, by its {@code extern "C"} name in
 * {@code kernels/cuda/*.cu}. {@link CudaBackend} resolves all of them when it starts (so a missing one fails at
 * once, naming it), and {@code CudaKernelNamesTest} checks statically that each exists in every image of the
 * built fatbin, and that each constant's {@link #signature()} matches the kernel's declaration. The backend
 * launches kernels only through these constants.
 */
enum CudaKernel {
    // activations.cu
    BIAS_ACTIVATION_FORWARD("bias_activation_forward", "PPIIIFPPFIIIP"),
    SOFTMAX_FORWARD("softmax_forward", "PPIIP"),
    ACTIVATION_BACKWARD("activation_backward", "PPPIIFFIIIP"),
    ACTIVATION_BACKWARD_BIAS("activation_backward_bias", "PPPPIIIFFIIIPPPIPI"),
    SOFTMAX_BACKWARD("softmax_backward", "PPPII"),
    RELU_LAYER_FORWARD("relu_layer_forward", "PIFIFFP"),
    RELU_LAYER_BACKWARD("relu_layer_backward", "PPIFIFFP"),
    PRELU_FORWARD("prelu_forward", "PPIIP"),
    PRELU_BACKWARD("prelu_backward", "PPPPPII"),
    FEATURE_AFFINE("feature_affine", "PIIPPIFFP"),
    // losses.cu
    SOFTMAX_XENT_SPARSE("softmax_xent_sparse", "PPIIPPPPFPP"),
    SOFTMAX_XENT_DENSE("softmax_xent_dense", "PPIIPPPPFPP"),
    SOFTMAX_FORWARD_XENT_SPARSE("softmax_forward_xent_sparse", "PIPPPPIIPPFPP"),
    SOFTMAX_FORWARD_XENT_DENSE("softmax_forward_xent_dense", "PIPPPPIIPPFPP"),
    SOFTMAX_FORWARD_XENT_ROWS("softmax_forward_xent_rows", "PPIPPPPPIIPPFPP"),
    SIGMOID_XENT("sigmoid_xent", "PPIIFPPPPFPP"),
    REGRESSION_LOSS("regression_loss", "PPIIIFPPFPP"),
    // dropout.cu
    DROPOUT("dropout", "PPIFIIIP"),
    // noise.cu
    GAUSSIAN_NOISE("gaussian_noise", "PPIFFIIIP"),
    ALPHA_DROPOUT("alpha_dropout", "PPIFFFFIIIP"),
    // layernorm.cu
    LAYERNORM_FORWARD("layernorm_forward", "PIIPPFPPP"),
    LAYERNORM_BACKWARD_DX("layernorm_backward_dx", "PPIIPPPP"),
    LAYERNORM_BACKWARD_PARAMS("layernorm_backward_params", "PPIIPPPP"),
    // batchnorm.cu
    BATCHNORM_FORWARD_TRAINING("batchnorm_forward_training", "PIIPPFFPPPPPFIIIPIPIPIFP"),
    BATCHNORM_FORWARD_INFERENCE("batchnorm_forward_inference", "PIIPPFPPP"),
    BATCHNORM_BACKWARD("batchnorm_backward", "PPIIPPPPPPFIIIPPPIPIPIFP"),
    // optimizers.cu
    SGD_UPDATE("sgd_update", "PPPIPFIPP"),
    ADAM_UPDATE("adam_update", "PPPPPIPPFFFIPP"),
    RMSPROP_UPDATE("rmsprop_update", "PPPPPIPFFF"),
    ADAGRAD_UPDATE("adagrad_update", "PPPIPF"),
    // optimizer_options.cu
    LR_SCHEDULE("lr_schedule", "PIPPP"),
    ACCUMULATE_GRADIENTS("accumulate_gradients", "PPIPIP"),
    RESTORE_UNLESS_UPDATE("restore_unless_update", "PPIPI"),
    EMA_UPDATE("ema_update", "PPIPIFI"),
    ADAMAX_UPDATE("adamax_update", "PPPPIPPFFF"),
    NADAM_UPDATE("nadam_update", "PPPPIPPFFF"),
    LION_UPDATE("lion_update", "PPPIPFF"),
    ADADELTA_UPDATE("adadelta_update", "PPPPIPFF"),
    FTRL_UPDATE("ftrl_update", "PPPPIPFFFFF"),
    LAMB_UPDATE("lamb_update", "PPPPIPPFFF"),
    ADAFACTOR_UPDATE("adafactor_update", "PPPIIPPFFFF"),
    WEIGHT_DECAY("weight_decay", "PIPF"),
    CLIP_BY_VALUE("clip_by_value", "PIF"),
    CLIP_BY_NORM("clip_by_norm", "PIF"),
    // reductions.cu
    COLUMN_SUMS("column_sums", "PIIP"),
    // regularizers.cu
    REGULARIZER_GRADIENT("regularizer_gradient", "PPIFF"),
    REGULARIZER_PENALTY("regularizer_penalty", "PIFFPP"),
    NORM_CONSTRAINT_ROWS("norm_constraint_rows", "PIIFFF"),
    NORM_CONSTRAINT_COLUMNS("norm_constraint_columns", "PIIFFF"),
    NON_NEG_CONSTRAINT("non_neg_constraint", "PI"),
    // data.cu
    GATHER_U8("gather_u8", "PIIPIPIPPPP"),
    GATHER_F32("gather_f32", "PIIPIPIPPPP"),
    GATHER_I32("gather_i32", "PIIPIPIPP"),
    GATHER_BATCH_U8("gather_batch_u8", "PIIPIPIPPPPIPPP"),
    GATHER_BATCH_F32("gather_batch_f32", "PIIPIPIPPPPIPPP"),
    PERMUTATION_KEYS("permutation_keys", "PIIIIII"),
    BITONIC_SORT_LOCAL("bitonic_sort_local", "P"),
    BITONIC_MERGE_GLOBAL("bitonic_merge_global", "PIII"),
    BITONIC_MERGE_LOCAL("bitonic_merge_local", "PI"),
    PERMUTATION_WRITE("permutation_write", "PIP"),
    ADVANCE_COUNTERS("advance_counters", "P"),
    // augment.cu
    AUGMENT_AFFINE("augment_affine", "PPIIIFFFFFFFFFFFFIIIFIIIP"),
    AUGMENT_PIXELS("augment_pixels", "PPIIIFFFFFFFFFFFIIIIP"),
    MIXUP_LAMBDAS("mixup_lambdas", "IFIIIPP"),
    MIXUP_APPLY("mixup_apply", "PPIIIIIIIPPPP"),
    // metrics.cu
    METRIC_CONFUSION("metric_confusion", "PPPIIIPIP"),
    METRIC_BUCKETS("metric_buckets", "PPPIIIIP"),
    METRIC_HITS("metric_hits", "PPPIIIIIFP"),
    METRIC_CLASS_COUNTS("metric_class_counts", "PPPIIIIFP"),
    // gemm.cu: the tiled variants of kernels/common/gemm_tiled.h, looked up with gemm(variant, transA, transB);
    // each takes m, n, k, alpha, a, b, beta, c, w (the work space of a split product, or null)
    GEMM_TILE64_NN("gemm_tile64_nn", "IIIFPPFPP"),
    GEMM_TILE64_NT("gemm_tile64_nt", "IIIFPPFPP"),
    GEMM_TILE64_TN("gemm_tile64_tn", "IIIFPPFPP"),
    GEMM_TILE64_TT("gemm_tile64_tt", "IIIFPPFPP"),
    GEMM_LARGE_NN("gemm_large_nn", "IIIFPPFPP"),
    GEMM_LARGE_NT("gemm_large_nt", "IIIFPPFPP"),
    GEMM_LARGE_TN("gemm_large_tn", "IIIFPPFPP"),
    GEMM_LARGE_TT("gemm_large_tt", "IIIFPPFPP"),
    GEMM_SMALL_NN("gemm_small_nn", "IIIFPPFPP"),
    GEMM_SMALL_NT("gemm_small_nt", "IIIFPPFPP"),
    GEMM_SMALL_TN("gemm_small_tn", "IIIFPPFPP"),
    GEMM_SMALL_TT("gemm_small_tt", "IIIFPPFPP"),
    GEMM_FOLD("gemm_fold", "IIFPFP"),
    GEMM_FOLD_BIAS_ACTIVATION("gemm_fold_bias_activation", "IIPPIIFPPPFIIIP"),
    GEMM_FOLD_BIAS_SOFTMAX("gemm_fold_bias_softmax", "IIIPPPP"),
    GEMM_SIMPLE("gemm_simple", "IIIIIFPPFP"),
    GEMM_ROWS("gemm_rows", "IIIIIFPPFP"),
    GEMM_SPLIT_TF32("gemm_split_tf32", "PPPI");

    /** Class-path location of the fatbin that kernels/cuda/build.sh produces. */
    static final String FATBIN_RESOURCE = "/dev/dendrite/kernels/cuda/dendrite_kernels.fatbin";

    private final String symbol;
    private final String signature;

    CudaKernel(String symbol, String signature) {
        this.symbol = symbol;
        this.signature = signature;
    }

    /** The kernel's name in the module, as cuModuleGetFunction wants it. */
    String symbol() {
        return symbol;
    }

    /**
     * The kernel of {@code variant} for one transpose combination ({@link GemmVariant#kernelName}).
     *
     * @throws IllegalArgumentException when no constant has that name (a variant gemm.cu does not instantiate)
     */
    static CudaKernel gemm(GemmVariant variant, boolean transA, boolean transB) {
        String name = variant.kernelName(transA, transB);
        for (CudaKernel k : values()) {
            if (k.symbol.equals(name)) {
                return k;
            }
        }
        throw new IllegalArgumentException("no CUDA kernel " + name + " for GEMM variant " + variant);
    }

    /**
     * The kernel's parameters, one letter each: {@code P} a device pointer (null allowed), {@code I} a 32-bit
     * integer (int or unsigned int), {@code F} a float. {@code CudaKernelNamesTest} checks it against the
     * declaration in kernels/cuda/*.cu; {@link CudaBackend} checks every launch against it.
     */
    String signature() {
        return signature;
    }
}
