using FacePipeline.Geometry;

namespace FacePipeline.Retarget.Tests;

public class WarpMeshTests
{
    private static readonly FaceFeature[] Features = [FaceFeature.Mouth, FaceFeature.LeftEye, FaceFeature.RightEye];

    private static IReadOnlyList<int> Hole(FaceFeature feature) => feature switch
    {
        FaceFeature.Mouth => FaceRegions.InnerLipLoop,
        FaceFeature.LeftEye => FaceRegions.LeftEyeLoop,
        _ => FaceRegions.RightEyeLoop,
    };

    private static Dictionary<(int, int), int> EdgeUses(ReadOnlySpan<Triangle> triangles)
    {
        var uses = new Dictionary<(int, int), int>();
        foreach (var t in triangles)
        {
            foreach (var (a, b) in new[] { (t.A, t.B), (t.B, t.C), (t.C, t.A) })
            {
                var key = a < b ? (a, b) : (b, a);
                uses[key] = uses.GetValueOrDefault(key) + 1;
            }
        }

        return uses;
    }

    private static IEnumerable<(int, int)> LoopEdges(IReadOnlyList<int> loop) =>
        loop.Select((a, i) => (a, loop[(i + 1) % loop.Count])).Select(e => e.a < e.Item2 ? (e.a, e.Item2) : (e.Item2, e.a));

    [Fact]
    public void Canonical_triangles_close_the_mouth_and_eyes_and_only_the_oval_is_open()
    {
        // The premise checked: MediaPipe's canonical triangles span the mouth and the eyes (every inner-lip and
        // lid-margin edge has two triangles); the only border is the face oval.
        var uses = EdgeUses(TestMesh.Canonical.Triangles);
        foreach (var feature in Features)
        {
            Assert.All(LoopEdges(Hole(feature)), e => Assert.Equal(2, uses[e]));
        }

        Assert.Equal(LoopEdges(FaceRegions.FaceOval).ToHashSet(), uses.Where(u => u.Value == 1).Select(u => u.Key).ToHashSet());
    }

    [Fact]
    public void Closing_triangles_are_replaced_by_fans_and_the_ring_strip_is_added()
    {
        var mesh = new WarpMesh(TestMesh.Canonical.Triangles);
        var triangles = mesh.Triangles.ToArray();

        // 898 − (18 mouth + 14 + 14 eye closing triangles) + (20 + 16 + 16 fan triangles) + 2 × 36 strip triangles.
        Assert.Equal(898 - 46 + 52 + 72, triangles.Length);
        foreach (var feature in Features)
        {
            var loop = Hole(feature);
            Assert.DoesNotContain(triangles, t => loop.Contains(t.A) && loop.Contains(t.B) && loop.Contains(t.C));
            var centre = WarpMesh.CentreOf(feature);
            Assert.Equal(loop.Count, triangles.Count(t => t.A == centre || t.B == centre || t.C == centre));
        }

        // A disc: every edge in one or two triangles, the border exactly the ring.
        var uses = EdgeUses(triangles);
        Assert.All(uses.Values, n => Assert.InRange(n, 1, 2));
        var ring = Enumerable.Range(WarpMesh.RingStart, WarpMesh.RingCount).ToArray();
        Assert.Equal(LoopEdges(ring).ToHashSet(), uses.Where(u => u.Value == 1).Select(u => u.Key).ToHashSet());
    }

    [Fact]
    public void On_the_flat_texture_layout_every_point_inside_the_ring_is_covered_exactly_once()
    {
        // The canonical texture coordinates are a fold-free flat layout of the triangles, so overlaps (a fan over
        // a triangle that was kept, a strip over the face) would show as points covered twice.
        var mesh = new WarpMesh(TestMesh.Canonical.Triangles);
        var uv = TestMesh.Canonical.TextureCoordinates.ToArray().Select(t => new Point2(t.U * 1000, t.V * 1000)).ToArray();
        var points = new Point2[WarpMesh.PointCount];
        mesh.Extend(uv, uv, points);
        var ring = points[WarpMesh.RingStart..(WarpMesh.RingStart + WarpMesh.RingCount)];
        var triangles = mesh.Triangles.ToArray();

        var inside = 0;
        for (var y = -300.0 + 0.318; y < 1300; y += 9.7)
        {
            for (var x = -300.0 + 0.577; x < 1300; x += 9.9)
            {
                var covered = triangles.Count(t => Contains(points[t.A], points[t.B], points[t.C], x, y));
                var expected = FaceImages.Inside(ring, x, y) ? 1 : 0;
                Assert.True(expected == covered, $"({x}, {y}) covered {covered} times, expected {expected}");
                inside += expected;
            }
        }

        Assert.True(inside > 3000, $"only {inside} samples inside");
    }

    [Fact]
    public void Feature_regions_are_the_fans_and_the_lips_or_lid_margins_up_to_their_outer_contour()
    {
        var mesh = new WarpMesh(TestMesh.Canonical.Triangles);
        foreach (var (feature, outer) in new[]
        {
            (FaceFeature.Mouth, FaceRegions.OuterLipLoop),
            (FaceFeature.LeftEye, FaceRegions.LeftEyeOuterLoop),
            (FaceFeature.RightEye, FaceRegions.RightEyeOuterLoop),
        })
        {
            var region = mesh.RegionTriangles(feature);
            var uses = EdgeUses(region);
            Assert.Equal(LoopEdges(outer).ToHashSet(), uses.Where(u => u.Value == 1).Select(u => u.Key).ToHashSet());
            var centre = WarpMesh.CentreOf(feature);
            Assert.Equal(Hole(feature).Count, region.ToArray().Count(t => t.A == centre || t.B == centre || t.C == centre));
        }

        // Eyes: 16 fan triangles and the 32 triangles between ring 0 and ring 1.
        Assert.Equal(48, mesh.RegionTriangles(FaceFeature.LeftEye).Length);
        Assert.Equal(48, mesh.RegionTriangles(FaceFeature.RightEye).Length);
        var mouthPoints = mesh.RegionTriangles(FaceFeature.Mouth).ToArray().SelectMany(t => new[] { t.A, t.B, t.C }).ToHashSet();
        Assert.Superset(FaceRegions.Lips.ToHashSet(), mouthPoints);
        Assert.DoesNotContain(152, mouthPoints); // the chin is not part of the mouth
    }

    [Fact]
    public void Extend_puts_the_ring_on_the_tracked_oval_and_the_centres_on_the_contour_means()
    {
        var mesh = new WarpMesh(TestMesh.Canonical.Triangles, ringScale: 1.5);
        var tracked = FaceImages.Project(TestMesh.Neutral, 10, 200, 200);
        var moved = FaceImages.Translate(tracked, 7, -3);
        var points = new Point2[WarpMesh.PointCount];
        mesh.Extend(moved, tracked, points);

        var oval = FaceImages.Polygon(tracked, FaceRegions.FaceOval);
        var centre = FaceImages.Mean(oval);
        for (var i = 0; i < WarpMesh.RingCount; i++)
        {
            Assert.Equal(centre.X + (1.5 * (oval[i].X - centre.X)), points[WarpMesh.RingStart + i].X, 9);
            Assert.Equal(centre.Y + (1.5 * (oval[i].Y - centre.Y)), points[WarpMesh.RingStart + i].Y, 9);
        }

        var mouth = FaceImages.Mean(FaceImages.Polygon(moved, FaceRegions.InnerLipLoop));
        Assert.Equal(mouth, points[WarpMesh.MouthCentre]);
        Assert.Equal(moved[1], points[1]);
    }

    [Fact]
    public void A_mesh_with_a_second_hole_is_rejected()
    {
        var triangles = TestMesh.Canonical.Triangles.ToArray();
        var nose = Array.FindIndex(triangles, t => t.A == 1 || t.B == 1 || t.C == 1);
        var holed = triangles.Where((_, i) => i != nose).ToArray();

        Assert.Throws<ArgumentException>(() => new WarpMesh(holed));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WarpMesh(triangles, ringScale: 1));
    }

    private static bool Contains(Point2 a, Point2 b, Point2 c, double x, double y)
    {
        var det = ((b.X - a.X) * (c.Y - a.Y)) - ((c.X - a.X) * (b.Y - a.Y));
        var l1 = (((x - a.X) * (c.Y - a.Y)) - ((c.X - a.X) * (y - a.Y))) / det;
        var l2 = (((b.X - a.X) * (y - a.Y)) - ((x - a.X) * (b.Y - a.Y))) / det;
        return l1 > 0 && l2 > 0 && 1 - l1 - l2 > 0;
    }
}
