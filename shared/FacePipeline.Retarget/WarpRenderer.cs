using FacePipeline.Geometry;

namespace FacePipeline.Retarget;

/// <summary>Settings of <see cref="WarpRenderer"/>. The defaults suit faces from about 100 px to 2000 px wide.</summary>
public sealed record WarpRendererOptions
{
    /// <summary>Where the fixed outer ring lies: the face oval scaled by this about its centre (&gt; 1).
    /// Must leave room for the destination silhouette (a dropped jaw) inside the ring.</summary>
    public double RingScale { get; init; } = 1.3;

    /// <summary>Pixels added around the bounding box of both extended meshes to form the crop.</summary>
    public int CropMarginPixels { get; init; } = 4;

    /// <summary>Feather of the main compositing mask, in pixels inside the outer ring (0: hard edge).
    /// The warp is already the identity at the ring, so this only hides rounding at the join.</summary>
    public double FeatherPixels { get; init; } = 6;

    /// <summary>Feather of a donor's mask, in pixels inside its region's outer contour (0: hard edge).</summary>
    public double DonorFeatherPixels { get; init; } = 3;

    /// <summary>
    /// Width of the band along a donor region's outer contour, inside it and on the lips or lid margin
    /// only (never the mouth or eye interior), over which the donor's per-channel mean is matched to the
    /// main warp's by a gain (0: no colour matching).
    /// </summary>
    public double ColourBandPixels { get; init; } = 4;

    /// <summary>Bound of the colour-matching gain: each channel's gain is clamped to [1/g, g].</summary>
    public double MaxColourGain { get; init; } = 2;

    /// <summary>
    /// Feather of a <see cref="FaceBase"/>'s mask inside the face oval, as a share of the inter-ocular distance (also the
    /// width of the band inside the oval over which its colour is matched to the target frame's).
    /// </summary>
    public double FaceBaseFeatherShare { get; init; } = 0.25;

    /// <summary>
    /// Paint the mouth's inside (<see cref="MouthInterior"/>) where the destination opens it wider than the frame the
    /// mouth's texture comes from, instead of stretching that frame's lips over the opening (false: the warp alone).
    /// </summary>
    public bool PaintMouthInterior { get; init; } = true;

    /// <summary>The defaults.</summary>
    public static WarpRendererOptions Default { get; } = new();
}

/// <summary>
/// Another frame of the same target footage whose <paramref name="Feature"/> is closer to the wanted
/// expression (Face2Face-style retrieval: a mouth that opens wider than the target frame's shows real
/// teeth and tongue instead of stretched lips; a blink shows real lids).
/// </summary>
/// <param name="Feature">Which region to take from the donor.</param>
/// <param name="Frame">The donor frame, RGB24 of the same size as the target frame (only read, during the call).</param>
/// <param name="Mesh">The donor frame's tracked 468-point image mesh (only read, during the call).</param>
public sealed record FeatureDonor(FaceFeature Feature, ReadOnlyMemory<byte> Frame, Point2[] Mesh);

/// <summary>
/// The frame the face's own texture comes from when it is not the target frame: the actor's resting frame, so that the
/// actor's own expression on the target frame (speech, a smile, a blink) never reaches the result. Only the face inside
/// its oval is taken from it; hair, ears, neck and background stay the target frame's.
/// </summary>
/// <param name="Frame">RGB24 of the same size as the target frame (only read, during the call).</param>
/// <param name="Mesh">Its tracked 468-point image mesh (only read, during the call).</param>
public sealed record FaceBase(ReadOnlyMemory<byte> Frame, Point2[] Mesh);

/// <summary>A rectangle of pixels.</summary>
/// <param name="X">First column.</param>
/// <param name="Y">First row.</param>
/// <param name="Width">Columns (0: empty).</param>
/// <param name="Height">Rows (0: empty).</param>
public readonly record struct PixelRect(int X, int Y, int Width, int Height)
{
    /// <summary>Width × height.</summary>
    public long Area => (long)Width * Height;

    /// <summary>True when (<paramref name="x"/>, <paramref name="y"/>) is inside.</summary>
    public bool Contains(int x, int y) => x >= X && y >= Y && x < X + Width && y < Y + Height;
}

/// <summary>What one <see cref="WarpRenderer.Render"/> call did.</summary>
/// <param name="Crop">The rectangle that was warped and composited; outside it the output is the target frame.</param>
/// <param name="WarpedPixels">Pixels inside the extended destination mesh (each counted once).</param>
/// <param name="DonorPixels">Pixels inside the donors' destination regions (summed over donors).</param>
public readonly record struct WarpRenderResult(PixelRect Crop, int WarpedPixels, int DonorPixels);

/// <summary>
/// The warp renderer of a retarget: deforms the target actor's face image from its tracked mesh to the
/// destination mesh (where the landmarks must go to show the transferred expression) and composites it
/// back; everything outside the face stays untouched.
/// <list type="number">
/// <item>Both meshes are extended by <see cref="WarpMesh"/> (outer ring fixed at
///   <see cref="WarpRendererOptions.RingScale"/> × the tracked oval, mouth and eye holes closed by fans).</item>
/// <item>All work happens in a crop: the bounding box of both extended meshes plus
///   <see cref="WarpRendererOptions.CropMarginPixels"/>, clamped to the frame. The target frame is copied to
///   the output, the crop is warped with <see cref="PiecewiseAffineWarp.Warp"/> (bilinear, pixel centres at
///   integer coordinates) and composited with a mask feathered over
///   <see cref="WarpRendererOptions.FeatherPixels"/> inside the ring. A 4K plate costs what its face crop costs.</item>
/// <item>Each <see cref="FeatureDonor"/> has its region (<see cref="WarpMesh.RegionTriangles"/>) warped from its
///   own frame and mesh to the destination mesh, its per-channel gain matched to the main warp over a band
///   of <see cref="WarpRendererOptions.ColourBandPixels"/> along the region's outer contour, on the lips or
///   lid margin (so the donor's lighting matches), and composited over the main warp with a mask feathered over
///   <see cref="WarpRendererOptions.DonorFeatherPixels"/>; donors are applied in order.</item>
/// </list>
/// Not thread-safe: an instance keeps its working buffers (sized to the largest crop seen) between calls,
/// so it must be used by one thread at a time; build one per worker. Beyond the output frame the caller
/// supplies, a call allocates nothing once the buffers have grown.
/// </summary>
public sealed class WarpRenderer
{
    private readonly Point2[] tracked = new Point2[WarpMesh.PointCount];
    private readonly Point2[] destination = new Point2[WarpMesh.PointCount];
    private readonly Point2[] local = new Point2[WarpMesh.PointCount];
    private readonly Point2[] donorPoints = new Point2[WarpMesh.PointCount];
    private byte[] layer = [];
    private float[] mask = [];
    private readonly CompositeMatte matte = new();

    // The last Render's resting-face pass, kept so that RenderCorrected re-warps only what a correction reshapes.
    private byte[] preBase = [];
    private byte[] baseLayer = [];
    private float[] baseMask = [];
    private readonly float[] baseGain = new float[3];
    private PixelRect baseCrop;
    private bool correctable;

    /// <summary>Prepares a renderer for one job.</summary>
    /// <param name="faceTriangles">The 468-point face triangles (<see cref="CanonicalFaceMesh.Triangles"/>).</param>
    /// <param name="options">Settings; null = <see cref="WarpRendererOptions.Default"/>.</param>
    public WarpRenderer(ReadOnlySpan<Triangle> faceTriangles, WarpRendererOptions? options = null)
    {
        Options = options ?? WarpRendererOptions.Default;
        ArgumentOutOfRangeException.ThrowIfNegative(Options.CropMarginPixels, nameof(options));
        if (!(Options.FeatherPixels >= 0) || !(Options.DonorFeatherPixels >= 0) || !(Options.ColourBandPixels >= 0) || !(Options.MaxColourGain >= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), "Feathers and the colour band must be ≥ 0, the colour gain bound ≥ 1.");
        }

        Mesh = new WarpMesh(faceTriangles, Options.RingScale);
    }

    /// <summary>Prepares a renderer from MediaPipe's canonical mesh.</summary>
    public WarpRenderer(CanonicalFaceMesh mesh, WarpRendererOptions? options = null)
        : this((mesh ?? throw new ArgumentNullException(nameof(mesh))).Triangles, options)
    {
    }

    /// <summary>The settings.</summary>
    public WarpRendererOptions Options { get; }

    /// <summary>The extended topology.</summary>
    public WarpMesh Mesh { get; }

    /// <summary>
    /// The soft matte of the last rendered frame (<see cref="Render"/> or <see cref="RenderCorrected"/>): the main warp's
    /// compositing mask, feathered over <see cref="WarpRendererOptions.FeatherPixels"/> inside the outer ring. The
    /// resting face, the donors and the mouth interior are composited inside it; a correction moves only inner points, so
    /// it keeps the first pass's matte.
    /// </summary>
    public CompositeMatte Matte => matte;

    /// <summary>
    /// Renders one output frame: <paramref name="output"/> = <paramref name="targetFrame"/> with the face
    /// deformed from <paramref name="trackedMesh"/> to <paramref name="destinationMesh"/> and the donors'
    /// regions composited over it.
    /// </summary>
    /// <param name="targetFrame">The target footage frame, RGB24 <paramref name="width"/>×<paramref name="height"/>.</param>
    /// <param name="width">Frame width in pixels.</param>
    /// <param name="height">Frame height in pixels.</param>
    /// <param name="trackedMesh">The target's tracked 468-point image mesh on this frame (pixels).</param>
    /// <param name="destinationMesh">Where those 468 landmarks must go (pixels).</param>
    /// <param name="donors">Feature donors (may be empty); their frames must have the target frame's size.</param>
    /// <param name="output">The output frame, same size; may be the very same memory as <paramref name="targetFrame"/>
    /// (in place), must not otherwise overlap it or a donor frame.</param>
    /// <param name="faceBase">Where the face's texture comes from, when not <paramref name="targetFrame"/> (the actor's
    /// resting frame); its face, warped from its own mesh to the destination, replaces the warped target frame's inside
    /// the oval, before the donors.</param>
    public WarpRenderResult Render(
        ReadOnlySpan<byte> targetFrame,
        int width,
        int height,
        ReadOnlySpan<Point2> trackedMesh,
        ReadOnlySpan<Point2> destinationMesh,
        IReadOnlyList<FeatureDonor> donors,
        Span<byte> output,
        FaceBase? faceBase = null)
    {
        ArgumentNullException.ThrowIfNull(donors);
        if (faceBase is not null)
        {
            PiecewiseAffineWarp.RequireImage(faceBase.Frame.Length, width, height, nameof(faceBase));
            WarpMesh.RequireMesh(faceBase.Mesh, nameof(faceBase));
        }

        PiecewiseAffineWarp.RequireImage(targetFrame.Length, width, height, nameof(targetFrame));
        PiecewiseAffineWarp.RequireImage(output.Length, width, height, nameof(output));
        WarpMesh.RequireMesh(trackedMesh, nameof(trackedMesh));
        WarpMesh.RequireMesh(destinationMesh, nameof(destinationMesh));
        for (var i = 0; i < donors.Count; i++)
        {
            var donor = donors[i];
            ArgumentNullException.ThrowIfNull(donor, nameof(donors));
            PiecewiseAffineWarp.RequireImage(donor.Frame.Length, width, height, nameof(donors));
            WarpMesh.RequireMesh(donor.Mesh, nameof(donors));
            _ = WarpMesh.CentreOf(donor.Feature);
        }

        correctable = false;
        matte.Clear();
        targetFrame.CopyTo(output);
        Mesh.Extend(trackedMesh, trackedMesh, tracked);
        Mesh.Extend(destinationMesh, trackedMesh, destination);
        var crop = CropOf(width, height);
        if (crop.Area == 0)
        {
            return new WarpRenderResult(crop, 0, 0);
        }

        for (var i = 0; i < local.Length; i++)
        {
            local[i] = new Point2(destination[i].X - crop.X, destination[i].Y - crop.Y);
        }

        var pixels = crop.Width * crop.Height;
        if (mask.Length < pixels)
        {
            mask = new float[pixels];
            layer = new byte[pixels * 3];
        }

        var cropLayer = layer.AsSpan(0, pixels * 3);
        var cropMask = mask.AsSpan(0, pixels);

        CopyCrop(targetFrame, width, crop, cropLayer);
        PiecewiseAffineWarp.Warp(targetFrame, width, height, cropLayer, crop.Width, crop.Height, tracked, local, Mesh.Triangles);
        var warped = PiecewiseAffineWarp.BorderDistance(cropMask, crop.Width, crop.Height, local, Mesh.Triangles, Mesh.Border, Options.FeatherPixels);
        PiecewiseAffineWarp.MaskFromDistance(cropMask, Options.FeatherPixels);
        CompositeCrop(output, width, crop, cropLayer, cropMask);
        matte.Set(crop, cropMask); // every later layer (resting face, donors, mouth, gaze) lies inside this one
        if (faceBase is not null)
        {
            RenderFaceBase(faceBase, width, height, crop, destinationMesh, output);
        }

        var donorPixels = 0;
        for (var i = 0; i < donors.Count; i++)
        {
            donorPixels += RenderDonor(donors[i], width, height, crop, output);
        }

        PaintMouth(output, width, height, destinationMesh, trackedMesh, donors, faceBase);
        return new WarpRenderResult(crop, warped, donorPixels);
    }

    /// <summary>The mouth's inside, when the destination opens it wider than its texture's frame (the mouth donor's, else the resting face's, else the target frame's).</summary>
    private void PaintMouth(Span<byte> output, int width, int height, ReadOnlySpan<Point2> destinationMesh, ReadOnlySpan<Point2> trackedMesh, IReadOnlyList<FeatureDonor> donors, FaceBase? faceBase)
    {
        if (!Options.PaintMouthInterior)
        {
            return;
        }

        var source = donors.FirstOrDefault(d => d.Feature == FaceFeature.Mouth)?.Mesh ?? faceBase?.Mesh;
        MouthInterior.Paint(output, width, height, destinationMesh, source is null ? trackedMesh : source);
    }

    /// <summary>The face inside its oval, warped from the base frame to the destination mesh, colour-matched along the oval and feathered in.</summary>
    private void RenderFaceBase(FaceBase faceBase, int width, int height, PixelRect crop, ReadOnlySpan<Point2> destinationMesh, Span<byte> output)
    {
        var pixels = crop.Width * crop.Height;
        var cropLayer = layer.AsSpan(0, pixels * 3);
        var cropMask = mask.AsSpan(0, pixels);
        var feather = Math.Max(Options.FeatherPixels, Options.FaceBaseFeatherShare * ClosedLoopCorrection.InterOcular(destinationMesh));
        if (preBase.Length < pixels * 3)
        {
            preBase = new byte[pixels * 3];
            baseLayer = new byte[pixels * 3];
            baseMask = new float[pixels];
        }

        Mesh.Extend(faceBase.Mesh, faceBase.Mesh, donorPoints);
        CopyCrop(output, width, crop, cropLayer);
        cropLayer.CopyTo(preBase);
        PiecewiseAffineWarp.Warp(faceBase.Frame.Span, width, height, cropLayer, crop.Width, crop.Height, donorPoints, local, Mesh.FaceTriangles);
        cropLayer.CopyTo(baseLayer);

        Span<float> gain = [1f, 1f, 1f];
        PiecewiseAffineWarp.BorderDistance(cropMask, crop.Width, crop.Height, local, Mesh.FaceTriangles, Mesh.FaceBorder, feather);
        ColourGain(output, width, crop, cropLayer, cropMask, feather, gain);
        PiecewiseAffineWarp.MaskFromDistance(cropMask, feather);
        ApplyGain(cropLayer, cropMask, gain);
        CompositeCrop(output, width, crop, cropLayer, cropMask);

        cropMask.CopyTo(baseMask);
        gain.CopyTo(baseGain);
        (baseCrop, correctable) = (crop, true);
    }

    /// <summary>
    /// Renders the frame of the last <see cref="Render"/> call again after a closed-loop correction (one or more)
    /// (<see cref="ClosedLoopCorrection.Correct(System.ReadOnlySpan{Point2}, System.ReadOnlySpan{Point2}, System.ReadOnlySpan{Point2})"/>, which moves only the lips, lids and brows): the same output as
    /// <see cref="Render"/> with <paramref name="correctedMesh"/>, but only the triangles those points reshape are
    /// warped again, from the target frame and from the resting face, over the first pass's layers, masks and colour
    /// gains; then the donors. Falls back to a full render when the last call had no resting face or the crop changed.
    /// The arguments other than <paramref name="correctedMesh"/> must be those of that call.
    /// </summary>
    public WarpRenderResult RenderCorrected(
        ReadOnlySpan<byte> targetFrame,
        int width,
        int height,
        ReadOnlySpan<Point2> trackedMesh,
        ReadOnlySpan<Point2> correctedMesh,
        IReadOnlyList<FeatureDonor> donors,
        Span<byte> output,
        FaceBase faceBase)
    {
        ArgumentNullException.ThrowIfNull(donors);
        ArgumentNullException.ThrowIfNull(faceBase);
        WarpMesh.RequireMesh(correctedMesh, nameof(correctedMesh));
        if (correctable)
        {
            Mesh.Extend(trackedMesh, trackedMesh, tracked);
            Mesh.Extend(correctedMesh, trackedMesh, destination);
            if (CropOf(width, height) == baseCrop)
            {
                return Recomposite(targetFrame, width, height, donors, output, faceBase);
            }
        }

        return Render(targetFrame, width, height, trackedMesh, correctedMesh, donors, output, faceBase);
    }

    private WarpRenderResult Recomposite(ReadOnlySpan<byte> targetFrame, int width, int height, IReadOnlyList<FeatureDonor> donors, Span<byte> output, FaceBase faceBase)
    {
        // The first pass's main layer stays as it was and the resting-face layer differs from a full render only where
        // corrections reshape: another correction of the same frame may follow.
        var crop = baseCrop;
        for (var i = 0; i < local.Length; i++)
        {
            local[i] = new Point2(destination[i].X - crop.X, destination[i].Y - crop.Y);
        }

        var pixels = crop.Width * crop.Height;
        var cropLayer = layer.AsSpan(0, pixels * 3);

        // The main warp where the correction reshaped it (inside the face the ring's mask is 1: the layer is the output).
        preBase.AsSpan(0, pixels * 3).CopyTo(cropLayer);
        PiecewiseAffineWarp.Warp(targetFrame, width, height, cropLayer, crop.Width, crop.Height, tracked, local, Mesh.CorrectionTriangles);
        WriteCrop(output, width, crop, cropLayer);

        // The resting face there too, then its first-pass gain and mask over the whole crop, as Render composites it.
        var warpedBase = baseLayer.AsSpan(0, pixels * 3);
        Mesh.Extend(faceBase.Mesh, faceBase.Mesh, donorPoints);
        PiecewiseAffineWarp.Warp(faceBase.Frame.Span, width, height, warpedBase, crop.Width, crop.Height, donorPoints, local, Mesh.CorrectionTriangles);
        warpedBase.CopyTo(cropLayer);
        var cropMask = baseMask.AsSpan(0, pixels);
        ApplyGain(cropLayer, cropMask, baseGain);
        CompositeCrop(output, width, crop, cropLayer, cropMask);

        var donorPixels = 0;
        for (var i = 0; i < donors.Count; i++)
        {
            donorPixels += RenderDonor(donors[i], width, height, crop, output);
        }

        PaintMouth(output, width, height, destination.AsSpan(0, WarpMesh.FacePointCount), tracked.AsSpan(0, WarpMesh.FacePointCount), donors, faceBase);
        return new WarpRenderResult(crop, 0, donorPixels);
    }

    private static void WriteCrop(Span<byte> frame, int width, PixelRect crop, ReadOnlySpan<byte> cropImage)
    {
        for (var y = 0; y < crop.Height; y++)
        {
            cropImage.Slice(y * crop.Width * 3, crop.Width * 3).CopyTo(frame.Slice((((crop.Y + y) * width) + crop.X) * 3, crop.Width * 3));
        }
    }

    private int RenderDonor(FeatureDonor donor, int width, int height, PixelRect crop, Span<byte> output)
    {
        var pixels = crop.Width * crop.Height;
        var cropLayer = layer.AsSpan(0, pixels * 3);
        var cropMask = mask.AsSpan(0, pixels);
        var border = Mesh.RegionBorder(donor.Feature);

        Mesh.Extend(donor.Mesh, donor.Mesh, donorPoints);
        CopyCrop(output, width, crop, cropLayer);
        PiecewiseAffineWarp.Warp(donor.Frame.Span, width, height, cropLayer, crop.Width, crop.Height, donorPoints, local, Mesh.RegionTriangles(donor.Feature));

        Span<float> gain = [1f, 1f, 1f];
        if (Options.ColourBandPixels > 0)
        {
            // The band: the lips or lid margin (never the mouth or eye interior) near the region's outer contour.
            PiecewiseAffineWarp.BorderDistance(cropMask, crop.Width, crop.Height, local, Mesh.RegionRim(donor.Feature), border, Options.ColourBandPixels);
            ColourGain(output, width, crop, cropLayer, cropMask, Options.ColourBandPixels, gain);
        }

        var inside = PiecewiseAffineWarp.BorderDistance(
            cropMask, crop.Width, crop.Height, local, Mesh.RegionTriangles(donor.Feature), border, Options.DonorFeatherPixels);
        PiecewiseAffineWarp.MaskFromDistance(cropMask, Options.DonorFeatherPixels);
        ApplyGain(cropLayer, cropMask, gain);

        CompositeCrop(output, width, crop, cropLayer, cropMask);
        return inside;
    }

    /// <summary>
    /// Per channel, the main warp's mean over the band (pixels with 0 ≤ distance &lt; the band width, i.e. the
    /// capped distance map of the band) divided by the donor's, clamped to
    /// [1/<see cref="WarpRendererOptions.MaxColourGain"/>, <see cref="WarpRendererOptions.MaxColourGain"/>];
    /// left at 1 when the band is empty or the donor is black there.
    /// </summary>
    private void ColourGain(ReadOnlySpan<byte> output, int width, PixelRect crop, ReadOnlySpan<byte> donorLayer, ReadOnlySpan<float> band, double bandWidth, Span<float> gain)
    {
        Span<double> main = stackalloc double[3];
        Span<double> donor = stackalloc double[3];
        var limit = (float)bandWidth;
        for (var y = 0; y < crop.Height; y++)
        {
            var frameRow = output.Slice((((crop.Y + y) * width) + crop.X) * 3, crop.Width * 3);
            var layerRow = donorLayer.Slice(y * crop.Width * 3, crop.Width * 3);
            var bandRow = band.Slice(y * crop.Width, crop.Width);
            for (var x = 0; x < crop.Width; x++)
            {
                if (bandRow[x] < 0 || bandRow[x] >= limit)
                {
                    continue;
                }

                for (var c = 0; c < 3; c++)
                {
                    main[c] += frameRow[(3 * x) + c];
                    donor[c] += layerRow[(3 * x) + c];
                }
            }
        }

        var bound = Options.MaxColourGain;
        for (var c = 0; c < 3; c++)
        {
            gain[c] = donor[c] > 0 ? (float)Math.Clamp(main[c] / donor[c], 1 / bound, bound) : 1f;
        }
    }

    /// <summary>Multiplies each channel of the layer's pixels under the mask by its gain.</summary>
    private static void ApplyGain(Span<byte> cropLayer, ReadOnlySpan<float> cropMask, ReadOnlySpan<float> gain)
    {
        for (var i = 0; i < cropMask.Length; i++)
        {
            if (cropMask[i] > 0)
            {
                for (var c = 0; c < 3; c++)
                {
                    ref var v = ref cropLayer[(3 * i) + c];
                    v = (byte)Math.Min(255, MathF.Round(v * gain[c]));
                }
            }
        }
    }

    /// <summary>The bounding box of both extended meshes plus the margin, clamped to the frame (possibly empty).</summary>
    private PixelRect CropOf(int width, int height)
    {
        double minX = double.PositiveInfinity, minY = double.PositiveInfinity;
        double maxX = double.NegativeInfinity, maxY = double.NegativeInfinity;
        foreach (var mesh in (ReadOnlySpan<Point2[]>)[tracked, destination])
        {
            foreach (var p in mesh)
            {
                minX = Math.Min(minX, p.X);
                minY = Math.Min(minY, p.Y);
                maxX = Math.Max(maxX, p.X);
                maxY = Math.Max(maxY, p.Y);
            }
        }

        var margin = Options.CropMarginPixels;
        var x0 = (int)Math.Max(0, Math.Floor(minX) - margin);
        var y0 = (int)Math.Max(0, Math.Floor(minY) - margin);
        var x1 = (int)Math.Min(width - 1, Math.Ceiling(maxX) + margin);
        var y1 = (int)Math.Min(height - 1, Math.Ceiling(maxY) + margin);
        return x1 < x0 || y1 < y0 ? new PixelRect(0, 0, 0, 0) : new PixelRect(x0, y0, x1 - x0 + 1, y1 - y0 + 1);
    }

    private static void CopyCrop(ReadOnlySpan<byte> frame, int width, PixelRect crop, Span<byte> cropImage)
    {
        for (var y = 0; y < crop.Height; y++)
        {
            frame.Slice((((crop.Y + y) * width) + crop.X) * 3, crop.Width * 3).CopyTo(cropImage.Slice(y * crop.Width * 3, crop.Width * 3));
        }
    }

    private static void CompositeCrop(Span<byte> frame, int width, PixelRect crop, ReadOnlySpan<byte> cropImage, ReadOnlySpan<float> cropMask)
    {
        for (var y = 0; y < crop.Height; y++)
        {
            PiecewiseAffineWarp.Composite(
                frame.Slice((((crop.Y + y) * width) + crop.X) * 3, crop.Width * 3),
                cropImage.Slice(y * crop.Width * 3, crop.Width * 3),
                cropMask.Slice(y * crop.Width, crop.Width));
        }
    }
}
