using FacePipeline.Geometry;
using FacePipeline.Retarget;

namespace FacePipeline.NeuralRenderer;

/// <summary>A frame of an actor's footage: RGB24 pixels and the tracked 468-point mesh in pixels.</summary>
/// <param name="Rgb">RGB24, <paramref name="Width"/>×<paramref name="Height"/>, row-major.</param>
/// <param name="Width">Columns.</param>
/// <param name="Height">Rows.</param>
/// <param name="Mesh">The 468 tracked landmarks (pixels, centres at integer coordinates).</param>
public sealed record ActorFrame(ReadOnlyMemory<byte> Rgb, int Width, int Height, Point2[] Mesh);

/// <summary>Settings of <see cref="SelfReenactmentPairBuilder"/>.</summary>
public sealed record PairBuilderOptions
{
    /// <summary>Side of the square crop as a multiple of the larger side of the mesh's box (in the roll-aligned frame).</summary>
    public double CropScale { get; init; } = 1.5;

    /// <summary>The warp renderer's settings.</summary>
    public WarpRendererOptions Warp { get; init; } = WarpRendererOptions.Default;
}

/// <summary>
/// Builds self-reenactment pairs (Deep Video Portraits) from frames in memory: for source frame i and target frame j of
/// the same actor, the input is the warp renderer's image of frame i moved to frame j's mesh, plus conditioning rendered
/// from frame j's mesh; the target is the real frame j. Everything is cut from a square crop aligned on frame j's mesh:
/// centred on its box, turned by the roll of the line between the eye centres, side <see cref="PairBuilderOptions.CropScale"/>
/// × the box, resampled bilinearly to <see cref="CropSize"/>². Planes (<see cref="ConditioningLayout"/>):
/// warped RGB; correspondence map = the canonical mesh's x, y, z (scaled to [0, 1] over its box) interpolated over each
/// triangle of frame j's mesh, 0 outside; mouth interior (inside the inner lip contour); eyes (inside both eye contours).
/// The face mask is the inside of the face oval (mouth included). Not thread-safe (one warp renderer inside).
/// </summary>
public sealed class SelfReenactmentPairBuilder
{
    private readonly WarpRenderer warp;
    private readonly Triangle[] triangles;
    private readonly float[] canonical;
    private byte[] warped = [];

    /// <summary>Prepares a builder for <paramref name="cropSize"/>² crops.</summary>
    public SelfReenactmentPairBuilder(CanonicalFaceMesh mesh, int cropSize, PairBuilderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentOutOfRangeException.ThrowIfLessThan(cropSize, 8);
        Options = options ?? new PairBuilderOptions();
        if (!(Options.CropScale > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(options), "The crop scale must be positive.");
        }

        CropSize = cropSize;
        warp = new WarpRenderer(mesh, Options.Warp);
        triangles = mesh.Triangles.ToArray();
        canonical = NormalisedVertices(mesh.Vertices);
    }

    /// <summary>Side of the crops.</summary>
    public int CropSize { get; }

    /// <summary>The settings.</summary>
    public PairBuilderOptions Options { get; }

    /// <summary>The pair (input from <paramref name="source"/> warped to <paramref name="target"/>, target = <paramref name="target"/>).</summary>
    public TrainingPair Build(ActorFrame source, ActorFrame target)
    {
        Require(source, nameof(source));
        Require(target, nameof(target));
        if (source.Width != target.Width || source.Height != target.Height)
        {
            throw new ArgumentException("Source and target frames must have the same size.");
        }

        var (input, mask) = BuildInput(source, target.Mesh);
        var rgb = new float[3 * CropSize * CropSize];
        Resample(target.Rgb.Span, target.Width, target.Height, CropOf(target.Mesh), rgb);
        return new TrainingPair(input, rgb, mask);
    }

    /// <summary>
    /// The generator's input alone (and the face mask): <paramref name="source"/>'s face warped to <paramref name="targetMesh"/>
    /// (in <paramref name="source"/>'s pixel frame) plus the conditioning of that mesh, in its crop. What serving needs: no
    /// real target frame.
    /// </summary>
    public (float[] Input, float[] Mask) BuildInput(ActorFrame source, Point2[] targetMesh)
    {
        Require(source, nameof(source));
        if (targetMesh is null || targetMesh.Length != WarpMesh.FacePointCount)
        {
            throw new ArgumentException($"The target needs its {WarpMesh.FacePointCount}-point mesh.", nameof(targetMesh));
        }

        var w = source.Width;
        var h = source.Height;
        if (warped.Length != w * h * 3)
        {
            warped = new byte[w * h * 3];
        }

        warp.Render(source.Rgb.Span, w, h, source.Mesh, targetMesh, [], warped);
        var crop = CropOf(targetMesh);
        var s = CropSize;
        var plane = s * s;
        var input = new float[ConditioningLayout.Channels * plane];
        Resample(warped, w, h, crop, input.AsSpan(0, 3 * plane));

        var local = new Point2[targetMesh.Length];
        for (var i = 0; i < local.Length; i++)
        {
            local[i] = crop.ToCrop(targetMesh[i]);
        }

        RasterizeCorrespondence(local, input.AsSpan(ConditioningLayout.Correspondence * plane, 3 * plane));
        FillPolygon(local, FaceRegions.InnerLipLoop, input.AsSpan(ConditioningLayout.MouthMask * plane, plane));
        var eyes = input.AsSpan(ConditioningLayout.EyesMask * plane, plane);
        FillPolygon(local, FaceRegions.RightEyeLoop, eyes);
        FillPolygon(local, FaceRegions.LeftEyeLoop, eyes);
        var mask = new float[plane];
        FillPolygon(local, FaceRegions.FaceOval, mask);
        return (input, mask);
    }

    /// <summary>The square crop of a frame with this mesh (frame ↔ crop pixel coordinates).</summary>
    public CropFrame CropOf(ReadOnlySpan<Point2> mesh)
    {
        var left = Centre(mesh, 33, 133);
        var right = Centre(mesh, 362, 263);
        var angle = Math.Atan2(right.Y - left.Y, right.X - left.X);
        var (cos, sin) = (Math.Cos(angle), Math.Sin(angle));
        double minU = double.MaxValue, maxU = double.MinValue, minV = double.MaxValue, maxV = double.MinValue;
        foreach (var p in mesh)
        {
            var u = p.X * cos + p.Y * sin;
            var v = -p.X * sin + p.Y * cos;
            minU = Math.Min(minU, u);
            maxU = Math.Max(maxU, u);
            minV = Math.Min(minV, v);
            maxV = Math.Max(maxV, v);
        }

        var (cu, cv) = ((minU + maxU) / 2, (minV + maxV) / 2);
        var centre = new Point2(cu * cos - cv * sin, cu * sin + cv * cos);
        var side = Math.Max(maxU - minU, maxV - minV) * Options.CropScale;
        return new CropFrame(centre, side, angle, CropSize);
    }

    private static Point2 Centre(ReadOnlySpan<Point2> mesh, int a, int b) => new((mesh[a].X + mesh[b].X) / 2, (mesh[a].Y + mesh[b].Y) / 2);

    private static void Require(ActorFrame frame, string name)
    {
        ArgumentNullException.ThrowIfNull(frame, name);
        if (frame.Width < 1 || frame.Height < 1 || frame.Rgb.Length != frame.Width * frame.Height * 3)
        {
            throw new ArgumentException("The frame's pixels do not match its size.", name);
        }

        if (frame.Mesh is null || frame.Mesh.Length != WarpMesh.FacePointCount)
        {
            throw new ArgumentException($"The frame needs its {WarpMesh.FacePointCount}-point mesh.", name);
        }
    }

    private static float[] NormalisedVertices(ReadOnlySpan<Vec3> vertices)
    {
        double[] min = [double.MaxValue, double.MaxValue, double.MaxValue];
        double[] max = [double.MinValue, double.MinValue, double.MinValue];
        foreach (var v in vertices)
        {
            double[] c = [v.X, v.Y, v.Z];
            for (var k = 0; k < 3; k++)
            {
                min[k] = Math.Min(min[k], c[k]);
                max[k] = Math.Max(max[k], c[k]);
            }
        }

        var result = new float[vertices.Length * 3];
        for (var i = 0; i < vertices.Length; i++)
        {
            double[] c = [vertices[i].X, vertices[i].Y, vertices[i].Z];
            for (var k = 0; k < 3; k++)
            {
                result[i * 3 + k] = (float)((c[k] - min[k]) / Math.Max(max[k] - min[k], 1e-12));
            }
        }

        return result;
    }

    /// <summary>Bilinear resampling of an RGB24 frame into planar [0, 1] floats over the crop (borders replicated).</summary>
    private void Resample(ReadOnlySpan<byte> rgb, int width, int height, CropFrame crop, Span<float> planes)
    {
        var s = CropSize;
        var plane = s * s;
        for (var y = 0; y < s; y++)
        {
            for (var x = 0; x < s; x++)
            {
                var p = crop.ToFrame(x, y);
                var fx = Math.Clamp(p.X, 0, width - 1);
                var fy = Math.Clamp(p.Y, 0, height - 1);
                var x0 = (int)fx;
                var y0 = (int)fy;
                var x1 = Math.Min(x0 + 1, width - 1);
                var y1 = Math.Min(y0 + 1, height - 1);
                var ax = fx - x0;
                var ay = fy - y0;
                for (var c = 0; c < 3; c++)
                {
                    var top = rgb[(y0 * width + x0) * 3 + c] * (1 - ax) + rgb[(y0 * width + x1) * 3 + c] * ax;
                    var bottom = rgb[(y1 * width + x0) * 3 + c] * (1 - ax) + rgb[(y1 * width + x1) * 3 + c] * ax;
                    planes[c * plane + y * s + x] = (float)((top * (1 - ay) + bottom * ay) / 255.0);
                }
            }
        }
    }

    private void RasterizeCorrespondence(ReadOnlySpan<Point2> points, Span<float> planes)
    {
        var s = CropSize;
        var plane = s * s;
        foreach (var t in triangles)
        {
            var (a, b, c) = (points[t.A], points[t.B], points[t.C]);
            var area = Edge(a, b, c);
            if (Math.Abs(area) < 1e-12)
            {
                continue;
            }

            var x0 = Math.Max(0, (int)Math.Ceiling(Math.Min(a.X, Math.Min(b.X, c.X))));
            var x1 = Math.Min(s - 1, (int)Math.Floor(Math.Max(a.X, Math.Max(b.X, c.X))));
            var y0 = Math.Max(0, (int)Math.Ceiling(Math.Min(a.Y, Math.Min(b.Y, c.Y))));
            var y1 = Math.Min(s - 1, (int)Math.Floor(Math.Max(a.Y, Math.Max(b.Y, c.Y))));
            for (var y = y0; y <= y1; y++)
            {
                for (var x = x0; x <= x1; x++)
                {
                    var p = new Point2(x, y);
                    var l0 = Edge(b, c, p) / area;
                    var l1 = Edge(c, a, p) / area;
                    var l2 = 1 - l0 - l1;
                    if (l0 < -1e-9 || l1 < -1e-9 || l2 < -1e-9)
                    {
                        continue;
                    }

                    for (var k = 0; k < 3; k++)
                    {
                        planes[k * plane + y * s + x] = (float)(l0 * canonical[t.A * 3 + k] + l1 * canonical[t.B * 3 + k] + l2 * canonical[t.C * 3 + k]);
                    }
                }
            }
        }
    }

    private static double Edge(Point2 a, Point2 b, Point2 p) => (b.X - a.X) * (p.Y - a.Y) - (b.Y - a.Y) * (p.X - a.X);

    /// <summary>Sets to 1 every pixel whose centre is inside the closed polygon through <paramref name="loop"/> (even-odd rule).</summary>
    private void FillPolygon(ReadOnlySpan<Point2> points, IReadOnlyList<int> loop, Span<float> plane)
    {
        var s = CropSize;
        double minY = double.MaxValue, maxY = double.MinValue;
        foreach (var i in loop)
        {
            minY = Math.Min(minY, points[i].Y);
            maxY = Math.Max(maxY, points[i].Y);
        }

        var crossings = new List<double>();
        for (var y = Math.Max(0, (int)Math.Ceiling(minY)); y <= Math.Min(s - 1, (int)Math.Floor(maxY)); y++)
        {
            crossings.Clear();
            for (var k = 0; k < loop.Count; k++)
            {
                var a = points[loop[k]];
                var b = points[loop[(k + 1) % loop.Count]];
                if ((a.Y <= y && b.Y > y) || (b.Y <= y && a.Y > y))
                {
                    crossings.Add(a.X + (y - a.Y) / (b.Y - a.Y) * (b.X - a.X));
                }
            }

            crossings.Sort();
            for (var k = 0; k + 1 < crossings.Count; k += 2)
            {
                for (var x = Math.Max(0, (int)Math.Ceiling(crossings[k])); x <= Math.Min(s - 1, (int)Math.Floor(crossings[k + 1])); x++)
                {
                    plane[y * s + x] = 1;
                }
            }
        }
    }
}

/// <summary>
/// A square crop of a frame: centre, side and roll (radians) in frame pixels, sampled at <paramref name="Size"/>²
/// pixels. Crop pixel (u, v) has its centre at frame point centre + R(roll)·((u + ½)/Size − ½, (v + ½)/Size − ½)·side.
/// </summary>
/// <param name="Centre">Centre in frame pixels.</param>
/// <param name="Side">Side in frame pixels.</param>
/// <param name="Roll">Rotation of the crop's x axis against the frame's, radians.</param>
/// <param name="Size">Crop pixels per side.</param>
public readonly record struct CropFrame(Point2 Centre, double Side, double Roll, int Size)
{
    /// <summary>The frame point at crop pixel (<paramref name="u"/>, <paramref name="v"/>).</summary>
    public Point2 ToFrame(double u, double v)
    {
        var a = ((u + 0.5) / Size - 0.5) * Side;
        var b = ((v + 0.5) / Size - 0.5) * Side;
        var (cos, sin) = (Math.Cos(Roll), Math.Sin(Roll));
        return new Point2(Centre.X + a * cos - b * sin, Centre.Y + a * sin + b * cos);
    }

    /// <summary>The crop coordinates of frame point <paramref name="p"/>.</summary>
    public Point2 ToCrop(Point2 p)
    {
        var (dx, dy) = (p.X - Centre.X, p.Y - Centre.Y);
        var (cos, sin) = (Math.Cos(Roll), Math.Sin(Roll));
        var a = dx * cos + dy * sin;
        var b = -dx * sin + dy * cos;
        return new Point2((a / Side + 0.5) * Size - 0.5, (b / Side + 0.5) * Size - 0.5);
    }
}
