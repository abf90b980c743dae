using System.Globalization;

namespace FacePipeline.Retarget;

/// <summary>The size of an image in pixels.</summary>
/// <param name="Width">Columns.</param>
/// <param name="Height">Rows.</param>
public readonly record struct FrameSize(int Width, int Height);

/// <summary>
/// The side-by-side review frame of a retarget: source | target | result, each scaled to a common panel
/// height (aspect kept, widths rounded to even) with a label strip below each panel, e.g. "SOURCE 12",
/// "TARGET 34", "RESULT 56", drawn in a built-in bitmap font. Downscaling by 2 or more averages the
/// source pixels under each output pixel (no aliasing); otherwise bilinear. The output is RGB24 with even
/// dimensions, ready for <c>H264ClipEncoder</c>. Immutable and thread-safe.
/// </summary>
public sealed class ReviewComposer
{
    /// <summary>Default panel height in pixels.</summary>
    public const int DefaultPanelHeight = 360;

    /// <summary>Height of the label strip under the panels, in pixels.</summary>
    public const int LabelStripHeight = 24;

    private const int LabelScale = 2;
    private static readonly (byte R, byte G, byte B) StripColour = (24, 24, 24);
    private static readonly (byte R, byte G, byte B) TextColour = (235, 235, 235);

    /// <summary>Lays out a review of frames of the given sizes.</summary>
    /// <param name="source">Size of the source actor's frames.</param>
    /// <param name="target">Size of the target actor's frames.</param>
    /// <param name="result">Size of the rendered frames.</param>
    /// <param name="panelHeight">Common panel height (even, ≥ 2).</param>
    public ReviewComposer(FrameSize source, FrameSize target, FrameSize result, int panelHeight = DefaultPanelHeight)
    {
        if (panelHeight < 2 || (panelHeight & 1) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(panelHeight), panelHeight, "The panel height must be even and at least 2.");
        }

        PanelHeight = panelHeight;
        Source = source;
        Target = target;
        Result = result;
        SourcePanel = new PixelRect(0, 0, PanelWidth(source, panelHeight), panelHeight);
        TargetPanel = new PixelRect(SourcePanel.Width, 0, PanelWidth(target, panelHeight), panelHeight);
        ResultPanel = new PixelRect(TargetPanel.X + TargetPanel.Width, 0, PanelWidth(result, panelHeight), panelHeight);
        Width = ResultPanel.X + ResultPanel.Width;
        Height = panelHeight + LabelStripHeight;
    }

    /// <summary>Common panel height.</summary>
    public int PanelHeight { get; }

    /// <summary>Source frame size.</summary>
    public FrameSize Source { get; }

    /// <summary>Target frame size.</summary>
    public FrameSize Target { get; }

    /// <summary>Result frame size.</summary>
    public FrameSize Result { get; }

    /// <summary>Where the source is drawn (left).</summary>
    public PixelRect SourcePanel { get; }

    /// <summary>Where the target is drawn (middle).</summary>
    public PixelRect TargetPanel { get; }

    /// <summary>Where the result is drawn (right).</summary>
    public PixelRect ResultPanel { get; }

    /// <summary>Output width: the sum of the panel widths (even).</summary>
    public int Width { get; }

    /// <summary>Output height: panel height + <see cref="LabelStripHeight"/> (even).</summary>
    public int Height { get; }

    /// <summary>Bytes of one output frame (RGB24).</summary>
    public int FrameSizeBytes => checked(Width * Height * 3);

    /// <summary>
    /// The panel width for a frame of <paramref name="size"/> at <paramref name="panelHeight"/>: width ×
    /// panelHeight / height rounded to the nearest even number, at least 2.
    /// </summary>
    public static int PanelWidth(FrameSize size, int panelHeight)
    {
        if (size.Width < 1 || size.Height < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "Frame sizes must be positive.");
        }

        return Math.Max(2, 2 * (int)Math.Round((double)size.Width * panelHeight / size.Height / 2, MidpointRounding.AwayFromZero));
    }

    /// <summary>
    /// Composes one review frame into <paramref name="output"/> (<see cref="FrameSizeBytes"/> bytes, every
    /// byte written). Frames are RGB24 of the sizes given at construction; the frame numbers are printed
    /// after the labels (non-negative).
    /// </summary>
    public void Compose(
        ReadOnlySpan<byte> source,
        int sourceFrame,
        ReadOnlySpan<byte> target,
        int targetFrame,
        ReadOnlySpan<byte> result,
        int resultFrame,
        Span<byte> output)
    {
        PiecewiseAffineWarp.RequireImage(source.Length, Source.Width, Source.Height, nameof(source));
        PiecewiseAffineWarp.RequireImage(target.Length, Target.Width, Target.Height, nameof(target));
        PiecewiseAffineWarp.RequireImage(result.Length, Result.Width, Result.Height, nameof(result));
        PiecewiseAffineWarp.RequireImage(output.Length, Width, Height, nameof(output));
        ArgumentOutOfRangeException.ThrowIfNegative(sourceFrame);
        ArgumentOutOfRangeException.ThrowIfNegative(targetFrame);
        ArgumentOutOfRangeException.ThrowIfNegative(resultFrame);

        var strip = output[(PanelHeight * Width * 3)..];
        for (var i = 0; i < strip.Length; i += 3)
        {
            strip[i] = StripColour.R;
            strip[i + 1] = StripColour.G;
            strip[i + 2] = StripColour.B;
        }

        Panel(source, Source, SourcePanel, "SOURCE", sourceFrame, output);
        Panel(target, Target, TargetPanel, "TARGET", targetFrame, output);
        Panel(result, Result, ResultPanel, "RESULT", resultFrame, output);
    }

    private void Panel(ReadOnlySpan<byte> image, FrameSize size, PixelRect panel, string label, int frame, Span<byte> output)
    {
        Resize(image, size, output, Width, panel);
        var text = string.Create(CultureInfo.InvariantCulture, $"{label} {frame}");
        var labelArea = new PixelRect(panel.X, PanelHeight, panel.Width, LabelStripHeight);
        var top = PanelHeight + ((LabelStripHeight - (BitmapFont.GlyphHeight * LabelScale)) / 2);
        BitmapFont.Draw(output, Width, labelArea, panel.X + 6, top, text, LabelScale, TextColour);
    }

    /// <summary>
    /// Scales <paramref name="image"/> into <paramref name="panel"/> of an RGB24 image <paramref name="stride"/>
    /// pixels wide. Pixel centres at integer coordinates: output pixel o covers source [o·s − ½, (o+1)·s − ½).
    /// </summary>
    private static void Resize(ReadOnlySpan<byte> image, FrameSize size, Span<byte> output, int stride, PixelRect panel)
    {
        var sx = (double)size.Width / panel.Width;
        var sy = (double)size.Height / panel.Height;
        var average = Math.Min(sx, sy) >= 2;
        for (var oy = 0; oy < panel.Height; oy++)
        {
            var row = output.Slice((((panel.Y + oy) * stride) + panel.X) * 3, panel.Width * 3);
            for (var ox = 0; ox < panel.Width; ox++)
            {
                var rgb = row.Slice(ox * 3, 3);
                if (average)
                {
                    AreaAverage(image, size, Footprint(ox, sx, size.Width), Footprint(oy, sy, size.Height), rgb);
                }
                else
                {
                    PiecewiseAffineWarp.Sample(image, size.Width, size.Height, ((ox + 0.5) * sx) - 0.5, ((oy + 0.5) * sy) - 0.5, rgb);
                }
            }
        }
    }

    /// <summary>The source pixels [first, end) whose centres fall under output pixel <paramref name="o"/> (at least one).</summary>
    private static (int First, int End) Footprint(int o, double scale, int count)
    {
        var first = Math.Clamp((int)Math.Ceiling((o * scale) - 0.5), 0, count - 1);
        var end = Math.Clamp((int)Math.Ceiling(((o + 1) * scale) - 0.5), first + 1, count);
        return (first, end);
    }

    private static void AreaAverage(ReadOnlySpan<byte> image, FrameSize size, (int First, int End) xs, (int First, int End) ys, Span<byte> rgb)
    {
        int r = 0, g = 0, b = 0;
        for (var y = ys.First; y < ys.End; y++)
        {
            var row = image.Slice(((y * size.Width) + xs.First) * 3, (xs.End - xs.First) * 3);
            for (var k = 0; k < row.Length; k += 3)
            {
                r += row[k];
                g += row[k + 1];
                b += row[k + 2];
            }
        }

        var n = (xs.End - xs.First) * (ys.End - ys.First);
        rgb[0] = (byte)((r + (n / 2)) / n);
        rgb[1] = (byte)((g + (n / 2)) / n);
        rgb[2] = (byte)((b + (n / 2)) / n);
    }
}
