using FacePipeline.Geometry;

namespace FacePipeline.Retarget;

/// <summary>A facial feature that a <see cref="FeatureDonor"/> can replace (subject's left and right, as MediaPipe names them).</summary>
public enum FaceFeature
{
    /// <summary>The mouth: inside the inner lip contour, and the lips.</summary>
    Mouth = 0,

    /// <summary>The subject's left eye (landmarks 263/362, lid gap 386–374): the eye and its lid margin.</summary>
    LeftEye = 1,

    /// <summary>The subject's right eye (landmarks 33/133, lid gap 159–145): the eye and its lid margin.</summary>
    RightEye = 2,
}

/// <summary>
/// The topology the <see cref="WarpRenderer"/> warps with: the 468-point face triangles, closed and
/// extended to <see cref="PointCount"/> points.
/// <list type="bullet">
/// <item>Holes: the mouth (inside <see cref="FaceRegions.InnerLipLoop"/>) and each eye (inside its lid
///   margin, <see cref="FaceRegions.RightEyeLoop"/> and <see cref="FaceRegions.LeftEyeLoop"/>) are
///   filled by a fan of triangles around a virtual centre (the mean of the contour), so the mouth
///   interior and the eyes move with the lips and lids. MediaPipe's canonical triangles already close
///   these openings (18 triangles across the mouth, 14 across each eye, every vertex on the contour);
///   such closing triangles are replaced by the fan, so nothing is covered twice. A contour that is
///   neither closed that way nor a hole is rejected.</item>
/// <item>Outer ring: <see cref="FaceRegions.FaceOval"/> pushed away from its centre by
///   <see cref="RingScale"/>, joined to the silhouette by a strip of two triangles per oval edge. The ring
///   is computed from the tracked mesh and is the same in every mesh of a frame, so the deformation falls
///   to zero there and joins the untouched image outside without a seam, while the silhouette itself
///   may move (the jaw drops when the mouth opens).</item>
/// </list>
/// The result is checked to be a disc: every edge used by one or two triangles, the border being the ring.
/// </summary>
public sealed class WarpMesh
{
    /// <summary>Points of the face mesh (MediaPipe numbering); they come first in an extended mesh.</summary>
    public const int FacePointCount = 468;

    /// <summary>Index of the first outer-ring point; ring point i is the pushed-out <see cref="FaceRegions.FaceOval"/>[i].</summary>
    public const int RingStart = FacePointCount;

    /// <summary>Number of outer-ring points (one per <see cref="FaceRegions.FaceOval"/> point).</summary>
    public const int RingCount = 36;

    /// <summary>Index of the mouth's virtual centre (mean of <see cref="FaceRegions.InnerLipLoop"/>).</summary>
    public const int MouthCentre = RingStart + RingCount;

    /// <summary>Index of the subject's left eye's virtual centre (mean of <see cref="FaceRegions.LeftEyeLoop"/>).</summary>
    public const int LeftEyeCentre = MouthCentre + 1;

    /// <summary>Index of the subject's right eye's virtual centre (mean of <see cref="FaceRegions.RightEyeLoop"/>).</summary>
    public const int RightEyeCentre = MouthCentre + 2;

    /// <summary>Points of an extended mesh: the face, the ring, the three centres.</summary>
    public const int PointCount = RightEyeCentre + 1;

    private static readonly FaceFeature[] Features = [FaceFeature.Mouth, FaceFeature.LeftEye, FaceFeature.RightEye];

    private readonly Triangle[] triangles;
    private readonly (int A, int B)[] border;
    private readonly Triangle[] insideOval;
    private readonly Lazy<Triangle[]> correctionTriangles;
    private readonly (int A, int B)[] ovalBorder;
    private readonly Triangle[][] regions = new Triangle[Features.Length][];
    private readonly (int A, int B)[][] regionBorders = new (int A, int B)[Features.Length][];
    private readonly Triangle[][] rims = new Triangle[Features.Length][];

    /// <summary>Builds the extended topology.</summary>
    /// <param name="faceTriangles">The 468-point face triangles (e.g. <see cref="CanonicalFaceMesh.Triangles"/>).</param>
    /// <param name="ringScale">How far the outer ring lies from the oval's centre, relative to the oval (&gt; 1).</param>
    /// <exception cref="ArgumentException">A triangle refers to a point outside 0..467, or the contours are not
    /// the silhouette and the holes (or closed holes) of the triangles.</exception>
    public WarpMesh(ReadOnlySpan<Triangle> faceTriangles, double ringScale = 1.3)
    {
        if (!(ringScale > 1) || double.IsInfinity(ringScale))
        {
            throw new ArgumentOutOfRangeException(nameof(ringScale), ringScale, "The outer ring must lie outside the face (scale > 1).");
        }

        RingScale = ringScale;
        var kept = new List<Triangle>(faceTriangles.Length + (2 * RingCount) + 60);
        foreach (var t in faceTriangles)
        {
            if ((uint)t.A >= FacePointCount || (uint)t.B >= FacePointCount || (uint)t.C >= FacePointCount)
            {
                throw new ArgumentException($"Triangle {t} refers to a point outside 0..{FacePointCount - 1}.", nameof(faceTriangles));
            }

            if (!Features.Any(f => ClosesHole(t, Hole(f))))
            {
                kept.Add(t);
            }
        }

        var uses = PiecewiseAffineWarp.EdgeUses(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(kept));
        var fanStart = new int[Features.Length];
        foreach (var feature in Features)
        {
            var loop = Hole(feature);
            RequireBorder(uses, loop, $"The {feature} contour");
            fanStart[(int)feature] = kept.Count;
            for (var i = 0; i < loop.Count; i++)
            {
                kept.Add(new Triangle(CentreOf(feature), loop[i], loop[(i + 1) % loop.Count]));
            }
        }

        var oval = FaceRegions.FaceOval;
        RequireBorder(uses, oval, "The face oval");
        for (var i = 0; i < RingCount; i++)
        {
            var j = (i + 1) % RingCount;
            kept.Add(new Triangle(oval[i], oval[j], RingStart + j));
            kept.Add(new Triangle(oval[i], RingStart + j, RingStart + i));
        }

        triangles = [.. kept];
        border = PiecewiseAffineWarp.BorderEdges(triangles);
        var ringEdges = LoopEdges(Enumerable.Range(RingStart, RingCount).ToArray());
        if (PiecewiseAffineWarp.EdgeUses(triangles).Values.Any(n => n > 2) || !border.ToHashSet().SetEquals(ringEdges))
        {
            throw new ArgumentException("The extended triangles are not a disc bounded by the outer ring.", nameof(faceTriangles));
        }

        insideOval = [.. triangles.Where(t => !IsRing(t.A) && !IsRing(t.B) && !IsRing(t.C))];
        correctionTriangles = new(() =>
        {
            var moved = ClosedLoopCorrection.ExpressionPoints.Concat([MouthCentre, LeftEyeCentre, RightEyeCentre]).ToHashSet();
            return [.. insideOval.Where(t => moved.Contains(t.A) || moved.Contains(t.B) || moved.Contains(t.C))];
        });
        ovalBorder = PiecewiseAffineWarp.BorderEdges(insideOval);
        if (!ovalBorder.ToHashSet().SetEquals(LoopEdges(oval)))
        {
            throw new ArgumentException("The face triangles inside the oval are not bounded by the oval.", nameof(faceTriangles));
        }

        foreach (var feature in Features)
        {
            var f = (int)feature;
            (regions[f], regionBorders[f]) = Region(fanStart[f], Hole(feature).Count, RegionBoundary(feature), feature);
            var centre = CentreOf(feature);
            rims[f] = regions[f].Where(t => t.A != centre && t.B != centre && t.C != centre).ToArray();
        }
    }

    /// <summary>How far the outer ring lies from the oval's centre, relative to the oval.</summary>
    public double RingScale { get; }

    /// <summary>All triangles over the <see cref="PointCount"/> points of an extended mesh.</summary>
    public ReadOnlySpan<Triangle> Triangles => triangles;

    /// <summary>The border of <see cref="Triangles"/> (the outer ring's edges), as (lower, higher) index.</summary>
    internal ReadOnlySpan<(int A, int B)> Border => border;

    /// <summary>The face inside its oval (every triangle but the strip out to the ring): what a <see cref="FaceBase"/> replaces.</summary>
    internal ReadOnlySpan<Triangle> FaceTriangles => insideOval;

    /// <summary>The border of <see cref="FaceTriangles"/>: the face oval's edges.</summary>
    internal ReadOnlySpan<(int A, int B)> FaceBorder => ovalBorder;

    /// <summary>
    /// The triangles of <see cref="FaceTriangles"/> that a closed-loop correction reshapes: those with a corner among
    /// <see cref="ClosedLoopCorrection.ExpressionPoints"/> or at a feature centre (which follows its contour). Every
    /// other triangle keeps its corners, so it covers the same pixels before and after the correction.
    /// </summary>
    internal ReadOnlySpan<Triangle> CorrectionTriangles => correctionTriangles.Value;

    /// <summary>
    /// The triangles a donor replaces: for the mouth, the fan inside the inner lip and the lips up to
    /// <see cref="FaceRegions.OuterLipLoop"/>; for an eye, its fan and the lid margin up to ring 1
    /// (<see cref="FaceRegions.LeftEyeOuterLoop"/>, <see cref="FaceRegions.RightEyeOuterLoop"/>).
    /// </summary>
    public ReadOnlySpan<Triangle> RegionTriangles(FaceFeature feature) => regions[Index(feature)];

    /// <summary>The index of a feature's virtual centre point.</summary>
    public static int CentreOf(FaceFeature feature) => feature switch
    {
        FaceFeature.Mouth => MouthCentre,
        FaceFeature.LeftEye => LeftEyeCentre,
        FaceFeature.RightEye => RightEyeCentre,
        _ => throw new ArgumentOutOfRangeException(nameof(feature), feature, "Unknown feature."),
    };

    /// <summary><see cref="RegionTriangles"/> without the fan: the lips, or the lid margin (skin, never the mouth or eye interior).</summary>
    internal ReadOnlySpan<Triangle> RegionRim(FaceFeature feature) => rims[Index(feature)];

    /// <summary>The border of <see cref="RegionTriangles"/> (its outer contour's edges).</summary>
    internal ReadOnlySpan<(int A, int B)> RegionBorder(FaceFeature feature) => regionBorders[Index(feature)];

    /// <summary>
    /// Writes the extended mesh of <paramref name="mesh"/> (468 image points) into the first
    /// <see cref="PointCount"/> entries of <paramref name="extended"/>: the 468 points, the outer ring of
    /// <paramref name="trackedMesh"/> (the oval's centre + <see cref="RingScale"/> × (oval point − centre),
    /// the centre being the mean of the oval), and the three feature centres of <paramref name="mesh"/>.
    /// </summary>
    public void Extend(ReadOnlySpan<Point2> mesh, ReadOnlySpan<Point2> trackedMesh, Span<Point2> extended)
    {
        RequireMesh(mesh, nameof(mesh));
        RequireMesh(trackedMesh, nameof(trackedMesh));
        if (extended.Length < PointCount)
        {
            throw new ArgumentException($"Room for {PointCount} points needed, got {extended.Length}.", nameof(extended));
        }

        mesh.CopyTo(extended);
        var oval = FaceRegions.FaceOval;
        var centre = Mean(trackedMesh, oval);
        for (var i = 0; i < RingCount; i++)
        {
            var p = trackedMesh[oval[i]];
            extended[RingStart + i] = new Point2(centre.X + (RingScale * (p.X - centre.X)), centre.Y + (RingScale * (p.Y - centre.Y)));
        }

        foreach (var feature in Features)
        {
            extended[CentreOf(feature)] = Mean(mesh, Hole(feature));
        }
    }

    /// <summary>Requires 468 finite points.</summary>
    public static void RequireMesh(ReadOnlySpan<Point2> mesh, string name)
    {
        if (mesh.Length != FacePointCount)
        {
            throw new ArgumentException($"Expected the {FacePointCount}-point face mesh, got {mesh.Length} points.", name);
        }

        foreach (var p in mesh)
        {
            if (!double.IsFinite(p.X) || !double.IsFinite(p.Y))
            {
                throw new ArgumentException("Mesh points must be finite.", name);
            }
        }
    }

    private static int Index(FaceFeature feature) => CentreOf(feature) - MouthCentre;

    private static bool IsRing(int point) => point is >= RingStart and < RingStart + RingCount;

    private static IReadOnlyList<int> Hole(FaceFeature feature) => feature switch
    {
        FaceFeature.Mouth => FaceRegions.InnerLipLoop,
        FaceFeature.LeftEye => FaceRegions.LeftEyeLoop,
        _ => FaceRegions.RightEyeLoop,
    };

    private static IReadOnlyList<int> RegionBoundary(FaceFeature feature) => feature switch
    {
        FaceFeature.Mouth => FaceRegions.OuterLipLoop,
        FaceFeature.LeftEye => FaceRegions.LeftEyeOuterLoop,
        _ => FaceRegions.RightEyeOuterLoop,
    };

    private static bool ClosesHole(Triangle t, IReadOnlyList<int> loop) => loop.Contains(t.A) && loop.Contains(t.B) && loop.Contains(t.C);

    private static HashSet<(int A, int B)> LoopEdges(IReadOnlyList<int> loop)
    {
        var edges = new HashSet<(int A, int B)>();
        for (var i = 0; i < loop.Count; i++)
        {
            int a = loop[i], b = loop[(i + 1) % loop.Count];
            edges.Add(a < b ? (a, b) : (b, a));
        }

        return edges;
    }

    private static void RequireBorder(Dictionary<(int A, int B), int> uses, IReadOnlyList<int> loop, string what)
    {
        foreach (var edge in LoopEdges(loop))
        {
            if (uses.GetValueOrDefault(edge) != 1)
            {
                throw new ArgumentException($"{what} is not a border of the face triangles: edge {edge} is used by {uses.GetValueOrDefault(edge)} triangles.");
            }
        }
    }

    private static Point2 Mean(ReadOnlySpan<Point2> points, IReadOnlyList<int> indices)
    {
        double x = 0, y = 0;
        for (var k = 0; k < indices.Count; k++)
        {
            x += points[indices[k]].X;
            y += points[indices[k]].Y;
        }

        return new Point2(x / indices.Count, y / indices.Count);
    }

    /// <summary>The triangles reachable from a feature's fan without crossing <paramref name="boundary"/>, and their border.</summary>
    private (Triangle[] Triangles, (int A, int B)[] Border) Region(int fanStart, int fanCount, IReadOnlyList<int> boundary, FaceFeature feature)
    {
        var wall = LoopEdges(boundary);
        var byEdge = new Dictionary<(int A, int B), List<int>>();
        for (var i = 0; i < triangles.Length; i++)
        {
            foreach (var edge in Edges(triangles[i]))
            {
                if (!byEdge.TryGetValue(edge, out var list))
                {
                    byEdge[edge] = list = [];
                }

                list.Add(i);
            }
        }

        var inRegion = new bool[triangles.Length];
        var queue = new Queue<int>(Enumerable.Range(fanStart, fanCount));
        foreach (var i in queue)
        {
            inRegion[i] = true;
        }

        while (queue.TryDequeue(out var i))
        {
            foreach (var edge in Edges(triangles[i]))
            {
                if (wall.Contains(edge))
                {
                    continue;
                }

                foreach (var next in byEdge[edge])
                {
                    if (!inRegion[next])
                    {
                        inRegion[next] = true;
                        queue.Enqueue(next);
                    }
                }
            }
        }

        var region = triangles.Where((_, i) => inRegion[i]).ToArray();
        var regionBorder = PiecewiseAffineWarp.BorderEdges(region);
        if (!regionBorder.ToHashSet().SetEquals(wall))
        {
            throw new ArgumentException($"The {feature} region is not enclosed by its outer contour.");
        }

        return (region, regionBorder);

        static (int A, int B)[] Edges(Triangle t) =>
            [t.A < t.B ? (t.A, t.B) : (t.B, t.A), t.B < t.C ? (t.B, t.C) : (t.C, t.B), t.C < t.A ? (t.C, t.A) : (t.A, t.C)];
    }
}
