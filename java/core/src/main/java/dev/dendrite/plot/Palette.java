package dev.dendrite.plot;

import java.awt.Color;

/** Colours shared by every chart: the ten "tab10" colours, which stay distinct for most colour-blind readers. */
final class Palette {
    static final Color TEXT = new Color(0x222222);
    static final Color AXIS = new Color(0x444444);
    static final Color GRID = new Color(0xe3e3e3);
    static final Color WRONG = new Color(0xd62728);
    private static final Color[] SERIES = {new Color(0x1f77b4), new Color(0xff7f0e), new Color(0x2ca02c),
        new Color(0xd62728), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f),
        new Color(0xbcbd22), new Color(0x17becf)};

    private Palette() {
    }

    /** The colour of series {@code i}; after ten the colours repeat. */
    static Color series(int i) {
        return SERIES[Math.floorMod(i, SERIES.length)];
    }

    /** White to dark blue for a value in [0, 1] (the heat map's scale). */
    static Color blues(double v) {
        double t = Math.max(0, Math.min(1, v));
        return new Color((int) Math.round(247 + (8 - 247) * t), (int) Math.round(251 + (48 - 251) * t),
                (int) Math.round(255 + (107 - 255) * t));
    }
}
