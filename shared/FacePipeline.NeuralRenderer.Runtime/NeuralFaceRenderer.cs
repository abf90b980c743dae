using FacePipeline.Geometry;
using FacePipeline.Retarget;

namespace FacePipeline.NeuralRenderer;

/// <summary>
/// Renders a retarget's frames with an actor's trained generator, exactly as the training saw its pairs: the target frame
/// is cut to a face-aligned footage crop (<see cref="FootageSpanInEyeDistances"/> inter-ocular distances, <see cref="FootageScale"/>
/// × the generator's crop), the pair builder makes the generator's input from the frame's face moved to the destination
/// mesh, and the generated face is put back into the frame through both crops with a mask feathered inside the face oval.
/// Pixels outside the face are the frame's own. Not thread-safe (one session and buffers): one per worker.
/// </summary>
public sealed class NeuralFaceRenderer : IFaceRenderer
{
    /// <summary>Side of the footage crop in inter-ocular distances (the training service keeps an actor's footage so).</summary>
    public const double FootageSpanInEyeDistances = 6;

    /// <summary>Footage crop side as a multiple of the generator's crop side.</summary>
    public const int FootageScale = 2;

    private readonly GeneratorSession session;
    private readonly SelfReenactmentPairBuilder builder;
    private readonly int size;
    private readonly byte[] footage;
    private readonly Point2[] trackedLocal = new Point2[WarpMesh.FacePointCount];
    private readonly Point2[] destinationLocal = new Point2[WarpMesh.FacePointCount];
    private readonly float[] generated;
    private readonly float[] mask;
    private readonly CompositeMatte matte = new();

    /// <summary>Loads the generator (ONNX, as the training service exported it).</summary>
    public NeuralFaceRenderer(byte[] generatorOnnx, CanonicalFaceMesh mesh, bool preferCuda = true)
    {
        session = new GeneratorSession(generatorOnnx, maxBatch: 1, preferCuda: preferCuda);
        if (session.Width != session.Height || session.InputChannels != ConditioningLayout.Channels)
        {
            session.Dispose();
            throw new InvalidDataException($"Not a face generator: input {session.InputChannels}x{session.Height}x{session.Width}, expected {ConditioningLayout.Channels} planes of a square crop.");
        }

        size = session.Width;
        builder = new SelfReenactmentPairBuilder(mesh, size);
        footage = new byte[FootageScale * size * FootageScale * size * 3];
        generated = new float[3 * size * size];
        mask = new float[size * size];
    }

    /// <summary>Side of the generator's crop.</summary>
    public int CropSize => size;

    /// <summary>The face-aligned footage crop of a frame whose face is tracked at <paramref name="tracked"/> (as the training service cuts footage).</summary>
    public static FaceCrop FootageCrop(ReadOnlySpan<Point2> tracked, int cropSize) =>
        FaceCrop.Of(tracked, FootageScale * cropSize, FootageSpanInEyeDistances);

    /// <inheritdoc/>
    public PixelRect Render(ReadOnlySpan<byte> frame, int width, int height, ReadOnlySpan<Point2> tracked, ReadOnlySpan<Point2> destination, Span<byte> output)
    {
        WarpMesh.RequireMesh(tracked, nameof(tracked));
        WarpMesh.RequireMesh(destination, nameof(destination));
        if (!output.Overlaps(frame))
        {
            frame.CopyTo(output);
        }

        var crop = FootageCrop(tracked, size);
        var side = FootageScale * size;
        crop.Resample(frame, width, height, footage);
        crop.ToCrop(tracked, trackedLocal);
        crop.ToCrop(destination, destinationLocal);
        var (input, hardMask) = builder.BuildInput(new ActorFrame(footage, side, side, trackedLocal), destinationLocal);
        session.Run(input, 1, generated);
        Feather(hardMask, mask, size, Math.Max(1, size / 32));
        var inner = builder.CropOf(destinationLocal);
        return Composite(crop, inner, output, width, height);
    }

    /// <inheritdoc/>
    public CompositeMatte Matte => matte;

    /// <inheritdoc/>
    public void Dispose() => session.Dispose();

    /// <summary>Puts the generated crop back: frame pixel → footage crop → generator crop, bilinear, blended by the feathered mask.</summary>
    private PixelRect Composite(FaceCrop footageCrop, CropFrame inner, Span<byte> output, int width, int height)
    {
        var (x0, y0, x1, y1) = (double.MaxValue, double.MaxValue, double.MinValue, double.MinValue);
        foreach (var (u, v) in new[] { (0.0, 0.0), (size - 1.0, 0.0), (0.0, size - 1.0), (size - 1.0, size - 1.0) })
        {
            var p = footageCrop.ToFrame(inner.ToFrame(u, v));
            (x0, y0, x1, y1) = (Math.Min(x0, p.X), Math.Min(y0, p.Y), Math.Max(x1, p.X), Math.Max(y1, p.Y));
        }

        var (left, top) = (Math.Max(0, (int)Math.Floor(x0)), Math.Max(0, (int)Math.Floor(y0)));
        var (right, bottom) = (Math.Min(width - 1, (int)Math.Ceiling(x1)), Math.Min(height - 1, (int)Math.Ceiling(y1)));
        if (right < left || bottom < top)
        {
            matte.Clear();
            return default;
        }

        var plane = size * size;
        var rectangle = new PixelRect(left, top, right - left + 1, bottom - top + 1);
        var matteValues = matte.Begin(rectangle);
        for (var y = top; y <= bottom; y++)
        {
            for (var x = left; x <= right; x++)
            {
                var c = inner.ToCrop(footageCrop.ToCrop(new Point2(x, y)));
                if (c.X < 0 || c.Y < 0 || c.X > size - 1 || c.Y > size - 1)
                {
                    continue;
                }

                var m = Bilinear(mask, 0, c.X, c.Y);
                if (m <= 0)
                {
                    continue;
                }

                matteValues[((y - top) * rectangle.Width) + (x - left)] = CompositeMatte.ToByte(m);
                var o = ((y * width) + x) * 3;
                for (var k = 0; k < 3; k++)
                {
                    var g = Math.Clamp(Bilinear(generated, k * plane, c.X, c.Y), 0f, 1f) * 255f;
                    output[o + k] = (byte)Math.Clamp(MathF.Round(output[o + k] + (m * (g - output[o + k]))), 0, 255);
                }
            }
        }

        return rectangle;
    }

    private float Bilinear(float[] planes, int offset, double x, double y)
    {
        var xi = Math.Min((int)x, size - 1);
        var yi = Math.Min((int)y, size - 1);
        var (fx, fy) = ((float)(x - xi), (float)(y - yi));
        var (xj, yj) = (Math.Min(xi + 1, size - 1), Math.Min(yi + 1, size - 1));
        var top = planes[offset + (yi * size) + xi] + ((planes[offset + (yi * size) + xj] - planes[offset + (yi * size) + xi]) * fx);
        var bottom = planes[offset + (yj * size) + xi] + ((planes[offset + (yj * size) + xj] - planes[offset + (yj * size) + xi]) * fx);
        return top + ((bottom - top) * fy);
    }

    /// <summary>
    /// A mask that is 0 outside <paramref name="hard"/> and on its border, rising to 1 over <paramref name="radius"/> pixels inside:
    /// 2 × (box blur of the hard mask) − 1, clamped (a separable box filter, twice for a smoother ramp).
    /// </summary>
    internal static void Feather(ReadOnlySpan<float> hard, Span<float> result, int size, int radius)
    {
        var a = hard.ToArray();
        var b = new float[a.Length];
        for (var pass = 0; pass < 2; pass++)
        {
            BoxBlur(a, b, size, radius, horizontal: true);
            BoxBlur(b, a, size, radius, horizontal: false);
        }

        for (var i = 0; i < result.Length; i++)
        {
            result[i] = hard[i] > 0 ? Math.Clamp((2 * a[i]) - 1, 0f, 1f) : 0f;
        }
    }

    private static void BoxBlur(float[] source, float[] destination, int size, int radius, bool horizontal)
    {
        for (var line = 0; line < size; line++)
        {
            for (var i = 0; i < size; i++)
            {
                float sum = 0;
                for (var d = -radius; d <= radius; d++)
                {
                    var j = Math.Clamp(i + d, 0, size - 1);
                    sum += horizontal ? source[(line * size) + j] : source[(j * size) + line];
                }

                destination[horizontal ? (line * size) + i : (i * size) + line] = sum / ((2 * radius) + 1);
            }
        }
    }
}

/// <summary>
/// Opens an actor's generator for the retarget renderer. The generators of the model last asked for stay open between
/// renders (<see cref="ModelPool{T}"/>: a retarget's segments reuse them; a model version's file never changes); asking
/// for another model closes them (a worker serves many actors, one job at a time).
/// </summary>
public sealed class NeuralFaceRendererFactory(CanonicalFaceMesh mesh) : IFaceRendererFactory, IDisposable
{
    private readonly Lock _gate = new();
    private string? _path;
    private ModelPool<NeuralFaceRenderer>? _pool;

    /// <inheritdoc/>
    public IFaceRenderer Open(string path)
    {
        ModelPool<NeuralFaceRenderer> pool;
        ModelPool<NeuralFaceRenderer>? previous = null;
        lock (_gate)
        {
            if (_pool is null || _path != path)
            {
                previous = _pool;
                (_path, _pool) = (path, new ModelPool<NeuralFaceRenderer>(() => new NeuralFaceRenderer(File.ReadAllBytes(path), mesh)));
            }

            pool = _pool;
        }

        previous?.Dispose(); // its renderers still rented are disposed as they come back
        return new PooledFaceRenderer(pool.Rent());
    }

    /// <summary>Closes the generators kept open.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _pool?.Dispose();
            _pool = null;
        }
    }

    /// <summary>A rented generator: disposing it returns it.</summary>
    private sealed class PooledFaceRenderer(ModelPool<NeuralFaceRenderer>.Lease lease) : IFaceRenderer
    {
        public CompositeMatte Matte => lease.Item.Matte;

        public PixelRect Render(ReadOnlySpan<byte> frame, int width, int height, ReadOnlySpan<Point2> tracked, ReadOnlySpan<Point2> destination, Span<byte> output) =>
            lease.Item.Render(frame, width, height, tracked, destination, output);

        public void Dispose() => lease.Dispose();
    }
}
