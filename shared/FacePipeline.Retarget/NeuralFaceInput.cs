using FacePipeline.Geometry;

namespace FacePipeline.Retarget;

/// <summary>
/// What the neural renderer sees of one frame, in a <see cref="FaceCrop"/> aligned to the destination
/// mesh (Deep Video Portraits' conditioning, on MediaPipe's topology). <see cref="Channels"/> planes of
/// <see cref="Size"/>², row-major, channel-major (CHW), every value in [0, 1]:
/// <list type="number">
/// <item>0–2 (<see cref="WarpedRgb"/>): the warp renderer's image: the frame's face moved from its tracked
///   mesh to the destination (<see cref="WarpRenderer"/>, in crop space, no donors), RGB / 255.</item>
/// <item>3–5 (<see cref="Correspondence"/>): the correspondence map: the canonical face's coordinates (x, y,
///   z, each scaled to [0, 1] over the canonical mesh's extent) interpolated over the destination mesh's
///   triangles; 0 outside.</item>
/// <item>6 (<see cref="MouthMask"/>): the mouth interior (inside the inner lip contour).</item>
/// <item>7 (<see cref="EyesMask"/>): the eyes (inside both lid margins).</item>
/// </list>
/// Beside the planes comes the face mask (inside the destination mesh, whose canonical triangles close the
/// mouth and eyes): where the training loss is taken and where a generated face is composited.
/// Training pairs (self-reenactment) take frame i's pixels and mesh to frame j's mesh, and frame j's real
/// crop (<see cref="Target"/>) as the answer; at inference the target frame's own pixels go to the
/// transferred mesh. Not thread-safe (keeps buffers): one instance per worker.
/// </summary>
public sealed class NeuralFaceInput
{
    /// <summary>First plane of the warped RGB image.</summary>
    public const int WarpedRgb = 0;

    /// <summary>First plane of the correspondence map (x, y, z).</summary>
    public const int Correspondence = 3;

    /// <summary>The mouth-interior plane.</summary>
    public const int MouthMask = 6;

    /// <summary>The eyes plane.</summary>
    public const int EyesMask = 7;

    /// <summary>Conditioning planes after the warped image.</summary>
    public const int ConditioningChannels = 5;

    /// <summary>All input planes: the warped RGB and the conditioning.</summary>
    public const int Channels = 3 + ConditioningChannels;

    private readonly Triangle[] triangles;
    private readonly Vec3[] correspondence;
    private readonly WarpRenderer warper;
    private readonly Point2[] trackedCrop = new Point2[WarpMesh.FacePointCount];
    private readonly Point2[] destinationCrop = new Point2[WarpMesh.FacePointCount];
    private readonly byte[] source;
    private readonly byte[] warped;

    /// <summary>Prepares the input builder for one crop size.</summary>
    /// <param name="mesh">MediaPipe's canonical face (triangles and the coordinates of the correspondence map).</param>
    /// <param name="size">Crop side in pixels (64, 128, 256…).</param>
    public NeuralFaceInput(CanonicalFaceMesh mesh, int size)
    {
        ArgumentNullException.ThrowIfNull(mesh);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 8);
        Size = size;
        triangles = mesh.Triangles.ToArray();
        correspondence = Normalised(mesh.Vertices);
        warper = new WarpRenderer(triangles);
        source = new byte[size * size * 3];
        warped = new byte[size * size * 3];
    }

    /// <summary>Crop side in pixels.</summary>
    public int Size { get; }

    /// <summary>Values in one plane.</summary>
    public int PlaneLength => Size * Size;

    /// <summary>
    /// Fills <paramref name="input"/> (<see cref="Channels"/> × <see cref="PlaneLength"/>) for
    /// <paramref name="frame"/>'s face moved from <paramref name="tracked"/> to <paramref name="destination"/>
    /// (both 468 points, frame pixels) and <paramref name="faceMask"/> (<see cref="PlaneLength"/>), and returns
    /// the destination's crop (where a generated face goes back).
    /// </summary>
    public FaceCrop Build(ReadOnlySpan<byte> frame, int width, int height, ReadOnlySpan<Point2> tracked, ReadOnlySpan<Point2> destination, Span<float> input, Span<float> faceMask)
    {
        WarpMesh.RequireMesh(tracked, nameof(tracked));
        WarpMesh.RequireMesh(destination, nameof(destination));
        if (input.Length != Channels * PlaneLength)
        {
            throw new ArgumentException($"Expected {Channels * PlaneLength} input values, got {input.Length}.", nameof(input));
        }

        if (faceMask.Length != PlaneLength)
        {
            throw new ArgumentException($"Expected {PlaneLength} mask values, got {faceMask.Length}.", nameof(faceMask));
        }

        var from = FaceCrop.Of(tracked, Size);
        var to = FaceCrop.Of(destination, Size);
        from.Resample(frame, width, height, source);
        from.ToCrop(tracked, trackedCrop);
        to.ToCrop(destination, destinationCrop);
        warper.Render(source, Size, Size, trackedCrop, destinationCrop, [], warped);
        ToPlanes(warped, input[..(3 * PlaneLength)]);
        Conditioning(destinationCrop, input[(3 * PlaneLength)..], faceMask);
        return to;
    }

    /// <summary>The real frame's crop as 3 planes in [0, 1]: the answer of a training pair.</summary>
    public void Target(ReadOnlySpan<byte> frame, int width, int height, FaceCrop crop, Span<float> target)
    {
        if (crop.Size != Size)
        {
            throw new ArgumentException($"A {crop.Size}px crop, expected {Size}px.", nameof(crop));
        }

        crop.Resample(frame, width, height, source);
        ToPlanes(source, target);
    }

    /// <summary>
    /// Draws the conditioning planes (<see cref="ConditioningChannels"/> × <see cref="PlaneLength"/>) and the
    /// face mask of a mesh given in crop pixels.
    /// </summary>
    public void Conditioning(ReadOnlySpan<Point2> meshInCrop, Span<float> planes, Span<float> faceMask)
    {
        WarpMesh.RequireMesh(meshInCrop, nameof(meshInCrop));
        if (planes.Length != ConditioningChannels * PlaneLength || faceMask.Length != PlaneLength)
        {
            throw new ArgumentException($"Expected {ConditioningChannels * PlaneLength} plane and {PlaneLength} mask values, got {planes.Length} and {faceMask.Length}.", nameof(planes));
        }

        planes.Clear();
        faceMask.Clear();
        var painter = new AttributePainter(planes, faceMask, Size, PlaneLength);
        foreach (var t in triangles)
        {
            painter.A = correspondence[t.A];
            painter.B = correspondence[t.B];
            painter.C = correspondence[t.C];
            PiecewiseAffineWarp.Rasterize(meshInCrop[t.A], meshInCrop[t.B], meshInCrop[t.C], Size, Size, ref painter);
        }

        var offset = Correspondence * PlaneLength;
        Fill(meshInCrop, FaceRegions.InnerLipLoop, planes.Slice((MouthMask * PlaneLength) - offset, PlaneLength));
        Fill(meshInCrop, FaceRegions.LeftEyeLoop, planes.Slice((EyesMask * PlaneLength) - offset, PlaneLength));
        Fill(meshInCrop, FaceRegions.RightEyeLoop, planes.Slice((EyesMask * PlaneLength) - offset, PlaneLength));
    }

    /// <summary>RGB24 → 3 planes in [0, 1] (v / 255).</summary>
    public static void ToPlanes(ReadOnlySpan<byte> rgb, Span<float> planes)
    {
        var n = rgb.Length / 3;
        if (rgb.Length % 3 != 0 || planes.Length != rgb.Length)
        {
            throw new ArgumentException($"{rgb.Length} RGB bytes need {rgb.Length} plane values, got {planes.Length}.", nameof(planes));
        }

        for (var i = 0; i < n; i++)
        {
            planes[i] = rgb[3 * i] / 255f;
            planes[n + i] = rgb[(3 * i) + 1] / 255f;
            planes[(2 * n) + i] = rgb[(3 * i) + 2] / 255f;
        }
    }

    /// <summary>3 planes in [0, 1] → RGB24 (clamped, rounded): the inverse of <see cref="ToPlanes"/>.</summary>
    public static void FromPlanes(ReadOnlySpan<float> planes, Span<byte> rgb)
    {
        var n = rgb.Length / 3;
        if (rgb.Length % 3 != 0 || planes.Length != rgb.Length)
        {
            throw new ArgumentException($"{planes.Length} plane values need {planes.Length} RGB bytes, got {rgb.Length}.", nameof(rgb));
        }

        for (var i = 0; i < n; i++)
        {
            for (var c = 0; c < 3; c++)
            {
                rgb[(3 * i) + c] = (byte)Math.Clamp(MathF.Round(planes[(c * n) + i] * 255f), 0, 255);
            }
        }
    }

    /// <summary>The canonical vertices scaled per axis to [0, 1] over their extent.</summary>
    private static Vec3[] Normalised(ReadOnlySpan<Vec3> vertices)
    {
        var (min, max) = (new Vec3(double.MaxValue, double.MaxValue, double.MaxValue), new Vec3(double.MinValue, double.MinValue, double.MinValue));
        foreach (var v in vertices)
        {
            min = new Vec3(Math.Min(min.X, v.X), Math.Min(min.Y, v.Y), Math.Min(min.Z, v.Z));
            max = new Vec3(Math.Max(max.X, v.X), Math.Max(max.Y, v.Y), Math.Max(max.Z, v.Z));
        }

        static double Scale(double v, double lo, double hi) => hi > lo ? (v - lo) / (hi - lo) : 0;
        var result = new Vec3[vertices.Length];
        for (var i = 0; i < vertices.Length; i++)
        {
            var v = vertices[i];
            result[i] = new Vec3(Scale(v.X, min.X, max.X), Scale(v.Y, min.Y, max.Y), Scale(v.Z, min.Z, max.Z));
        }

        return result;
    }

    /// <summary>Sets the plane to 1 inside a closed contour (a fan around its mean).</summary>
    private void Fill(ReadOnlySpan<Point2> mesh, IReadOnlyList<int> loop, Span<float> plane)
    {
        double x = 0, y = 0;
        foreach (var i in loop)
        {
            (x, y) = (x + mesh[i].X, y + mesh[i].Y);
        }

        var centre = new Point2(x / loop.Count, y / loop.Count);
        var marker = new OneMarker(plane, Size);
        for (var k = 0; k < loop.Count; k++)
        {
            PiecewiseAffineWarp.Rasterize(centre, mesh[loop[k]], mesh[loop[(k + 1) % loop.Count]], Size, Size, ref marker);
        }
    }

    /// <summary>Writes the interpolated correspondence (planes 0–2) and the face mask of each pixel it visits.</summary>
    private ref struct AttributePainter(Span<float> planes, Span<float> mask, int width, int planeLength) : IPixelVisitor
    {
        private readonly Span<float> planes = planes;
        private readonly Span<float> mask = mask;

        public Vec3 A { get; set; }

        public Vec3 B { get; set; }

        public Vec3 C { get; set; }

        public void Visit(int x, int y, double l0, double l1, double l2)
        {
            var i = (y * width) + x;
            planes[i] = (float)((l0 * A.X) + (l1 * B.X) + (l2 * C.X));
            planes[planeLength + i] = (float)((l0 * A.Y) + (l1 * B.Y) + (l2 * C.Y));
            planes[(2 * planeLength) + i] = (float)((l0 * A.Z) + (l1 * B.Z) + (l2 * C.Z));
            mask[i] = 1;
        }
    }

    /// <summary>Sets each visited pixel to 1.</summary>
    private ref struct OneMarker(Span<float> plane, int width) : IPixelVisitor
    {
        private readonly Span<float> plane = plane;

        public void Visit(int x, int y, double l0, double l1, double l2) => plane[(y * width) + x] = 1;
    }
}
