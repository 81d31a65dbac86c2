/**
 * Model files and tensors on disk: safetensors, the model file's metadata, atomic writes and read limits.
 *
 * <p><b>Public:</b> {@code ModelFile}, {@code Safetensors}, {@code SafetensorsFile}, {@code StoredTensor},
 * {@code TensorData}, {@code ReadLimits} and {@code AtomicFiles}. {@code Json} and {@code JsonException} are the
 * strict JSON reader and writer of the model file's metadata, public so that a program can write a metadata value
 * ({@code Json.write(map, false)}); as a general JSON library they are <b>internal</b>. {@code SvgChart} is
 * <b>internal</b>, kept for the benchmark charts: use {@link dev.dendrite.plot.LineChart}.
 */
package dev.dendrite.io;
