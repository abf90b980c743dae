using System.Globalization;

namespace FacePipeline.BlendshapeReport;

/// <summary>One curve of a panel: values in [0, 1] per frame.</summary>
internal sealed record Series(string Label, IReadOnlyList<double> Values, (byte R, byte G, byte B) Colour, int Thickness, bool Measured);

/// <summary>A panel: a title and its curves, on a shared frame axis, y from 0 to 1.</summary>
internal sealed record Panel(string Title, IReadOnlyList<Series> Series);

/// <summary>Draws stacked line-plot panels into an RGB buffer (no imaging library: the PNG is encoded by ffmpeg).</summary>
internal static class CurvePlot
{
    private static readonly (byte, byte, byte) Background = (255, 255, 255);
    private static readonly (byte, byte, byte) Ink = (30, 30, 30);
    private static readonly (byte, byte, byte) Grid = (215, 215, 215);

    public static RgbCanvas Draw(string title, IReadOnlyList<Panel> panels, int frameCount, double framesPerSecond, int width = 960, int panelHeight = 190)
    {
        const int left = 56, right = 16, top = 34, gap = 58, scale = 2;
        var height = top + (panels.Count * (panelHeight + gap)) + 8;
        var canvas = new RgbCanvas(width, height, Background);
        PixelFont.Draw(canvas, title, left, 8, scale, Ink);
        var plotWidth = width - left - right;
        double X(int frame) => left + (plotWidth * (double)frame / Math.Max(1, frameCount - 1));

        for (var p = 0; p < panels.Count; p++)
        {
            var panel = panels[p];
            var y0 = top + (p * (panelHeight + gap)) + 22;
            double Y(double v) => y0 + panelHeight - (Math.Clamp(v, 0, 1) * panelHeight);

            PixelFont.Draw(canvas, panel.Title, left, y0 - 20, scale, Ink);
            foreach (var v in new[] { 0.0, 0.25, 0.5, 0.75, 1.0 })
            {
                canvas.DashedHorizontal(left, left + plotWidth, (int)Y(v), Grid);
                var label = v.ToString("0.##", CultureInfo.InvariantCulture);
                PixelFont.Draw(canvas, label, left - 6 - PixelFont.Measure(label, 1), (int)Y(v) - 3, 1, Ink);
            }

            var secondStep = Math.Max(1, (int)Math.Round(framesPerSecond / 2));
            for (var f = 0; f < frameCount; f += secondStep)
            {
                var x = (int)X(f);
                canvas.Line(x, y0 + panelHeight, x, y0 + panelHeight + 4, Ink);
                var label = (f / framesPerSecond).ToString("0.0", CultureInfo.InvariantCulture);
                PixelFont.Draw(canvas, label, x - (PixelFont.Measure(label, 1) / 2), y0 + panelHeight + 7, 1, Ink);
            }

            canvas.Line(left, y0, left, y0 + panelHeight, Ink);
            canvas.Line(left, y0 + panelHeight, left + plotWidth, y0 + panelHeight, Ink);

            foreach (var series in panel.Series)
            {
                for (var f = 1; f < series.Values.Count; f++)
                {
                    canvas.Line(X(f - 1), Y(series.Values[f - 1]), X(f), Y(series.Values[f]), series.Colour, series.Thickness);
                }
            }

            // Legend, right-aligned above the panel.
            var lx = left + plotWidth;
            for (var s = panel.Series.Count - 1; s >= 0; s--)
            {
                var series = panel.Series[s];
                lx -= PixelFont.Measure(series.Label, 1) + 30;
                canvas.FillRect(lx, y0 - 14, 18, series.Measured ? 2 : 4, series.Colour);
                PixelFont.Draw(canvas, series.Label, lx + 22, y0 - 17, 1, Ink);
            }
        }

        var axis = "TIME (S)";
        PixelFont.Draw(canvas, axis, left + plotWidth - PixelFont.Measure(axis, 1), height - 12, 1, Ink);
        return canvas;
    }
}
