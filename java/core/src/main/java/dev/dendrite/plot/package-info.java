/**
 * Charts as PNG and SVG: training curves, sample-image grids and confusion matrices, drawn by the library's own
 * small code (Java2D for PNG, text for SVG) against one canvas so that both formats agree.
 *
 * <p><b>Public:</b> {@code Charts}, {@code Chart}, {@code LineChart}, {@code ImageGridChart},
 * {@code ConfusionMatrixChart}. The canvases and their helpers are package-private.
 */
package dev.dendrite.plot;
