package dev.dendrite.plot;

/** Several charts in rows of {@code columns}, each in a cell the size of the largest chart. */
final class ChartGrid extends Chart {
    private final int columns;
    private final Chart[] charts;
    private final double cellW;
    private final double cellH;

    ChartGrid(int columns, Chart... charts) {
        if (columns < 1 || charts.length == 0) {
            throw new IllegalArgumentException("a chart grid needs at least one column and one chart; got "
                    + columns + " columns and " + charts.length + " charts");
        }
        this.columns = Math.min(columns, charts.length);
        this.charts = charts.clone();
        double w = 0;
        double h = 0;
        for (Chart c : charts) {
            w = Math.max(w, c.width());
            h = Math.max(h, c.height());
        }
        cellW = w;
        cellH = h;
    }

    @Override
    public double width() {
        return cellW * columns;
    }

    @Override
    public double height() {
        return cellH * ((charts.length + columns - 1) / columns);
    }

    @Override
    void draw(Canvas canvas) {
        for (int i = 0; i < charts.length; i++) {
            double dx = cellW * (i % columns);
            double dy = cellH * (i / columns);
            canvas.translate(dx, dy);
            charts[i].draw(canvas);
            canvas.translate(-dx, -dy);
        }
    }
}
