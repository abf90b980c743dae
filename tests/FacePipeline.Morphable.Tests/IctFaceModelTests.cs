using System.Diagnostics;
using System.Runtime.InteropServices;
using FacePipeline.TestSupport;
using Xunit.Abstractions;

namespace FacePipeline.Morphable.Tests;

[Collection(IctModelCollection.Name)]
public sealed class IctFaceModelTests(IctModelFixture fixture, ITestOutputHelper output)
{
    private const int Vertices = 26_719;
    private const int Polygons = 26_384;

    [Theory]
    [InlineData("generic_neutral_mesh.obj")]
    [InlineData("identity000.obj")]
    [InlineData("identity099.obj")]
    [InlineData("jawOpen.obj")]
    [InlineData("eyeBlink_L.obj")]
    [InlineData("PupilDilate_R.obj")]
    public void Release_obj_files_share_the_topology(string file)
    {
        var mesh = ObjReader.Read(IctModelFixture.PathOf(file));
        Assert.Equal(Vertices, mesh.VertexCount);
        Assert.Equal(Polygons, mesh.PolygonCount);
        Assert.Equal(Vertices * 3, ObjReader.ReadPositions(IctModelFixture.PathOf(file)).Length);
    }

    [Fact]
    public void Model_has_the_release_counts()
    {
        var model = fixture.Model;
        Assert.Equal(Vertices, model.VertexCount);
        Assert.Equal(Polygons, model.PolygonCount);
        // 548 triangles and 25,836 quads (two triangles each).
        Assert.Equal((548 + (2 * 25_836)) * 3, model.Triangles.Length);
        Assert.Equal(100, model.IdentityCount);
        Assert.Equal(100L * Vertices * 3, model.IdentityDeltas.LongLength);
        Assert.Equal(57, model.ExpressionNames.Count);
        Assert.Equal(57L * Vertices * 3, model.ExpressionDeltas.LongLength);
        Assert.Equal("browDown_L", model.ExpressionNames[0]);
        Assert.Equal(["PupilDilate_L", "PupilDilate_R", "cheekRaiser_L", "cheekRaiser_R"], model.ExpressionNames.Skip(53));
        Assert.Equal(68, model.LandmarkVertexIds.Count);
        Assert.Equal(1225, model.LandmarkVertexIds[0]);
        Assert.All(model.LandmarkVertexIds, v => Assert.InRange(v, 0, IctFaceModel.FaceVertexCount - 1));
        Assert.Equal(9, model.RigidLandmarkIndices.Count);
        Assert.All(model.Triangles, v => Assert.InRange(v, 0, Vertices - 1));
    }

    [Fact]
    public void Face_region_is_the_M_Face_material()
    {
        var mesh = ObjReader.Read(IctModelFixture.PathOf(IctFaceModel.NeutralFileName));
        Assert.Equal(new ObjMaterialGroup("M_Face", 0), mesh.MaterialGroups[0]);
        Assert.Equal("M_BackHead", mesh.MaterialGroups[1].Material);
        var facePolygons = mesh.MaterialGroups[1].FirstPolygon;
        Assert.Equal(9230, facePolygons);
        // Face polygons are all quads or triangles before the first non-face group: their fan
        // triangles come first; find how many triangle indices belong to them by counting corners.
        var faceVertexMax = 0;
        var faceVertexMin = int.MaxValue;
        var triangles = TrianglesOfFirstPolygons(IctModelFixture.PathOf(IctFaceModel.NeutralFileName), facePolygons);
        foreach (var v in triangles)
        {
            faceVertexMax = Math.Max(faceVertexMax, v);
            faceVertexMin = Math.Min(faceVertexMin, v);
        }

        Assert.Equal(0, faceVertexMin);
        Assert.Equal(IctFaceModel.FaceVertexCount - 1, faceVertexMax);
    }

    [Fact]
    public void JawOpen_lowers_the_chin_and_leaves_the_back_of_the_head()
    {
        var model = fixture.Model;
        var neutral = model.Neutral;
        var delta = model.ExpressionDelta("jawOpen").ToArray();

        // The lower jawline (Multi-PIE landmarks 6..10, 8 = chin tip) moves down, the chin tip by over 1 cm;
        // the lowest front-of-face vertices (within 3 cm of the chin tip's depth) all move down.
        var chinTip = model.LandmarkVertexIds[8];
        Assert.True(delta[(3 * chinTip) + 1] < -1f, $"chin tip dy = {delta[(3 * chinTip) + 1]}");
        Assert.All(model.LandmarkVertexIds.Skip(6).Take(5), v => Assert.True(delta[(3 * v) + 1] < -0.3f, $"vertex {v}: dy = {delta[(3 * v) + 1]}"));
        var chinZ = neutral[(3 * chinTip) + 2];
        var chin = Enumerable.Range(0, IctFaceModel.FaceVertexCount).Where(v => neutral[(3 * v) + 2] > chinZ - 3f)
            .OrderBy(v => neutral[(3 * v) + 1]).Take(20).ToArray();
        Assert.All(chin, v => Assert.True(delta[(3 * v) + 1] < -0.3f, $"vertex {v}: dy = {delta[(3 * v) + 1]}"));

        // The back of the head (head-and-neck vertices behind the ears and above the jaw) does not move.
        var (start, end) = IctFaceModel.HeadAndNeckVertices.GetOffsetAndLength(Vertices);
        var zs = Enumerable.Range(0, IctFaceModel.FaceVertexCount).Select(v => neutral[(3 * v) + 2]).ToArray();
        var eyeY = neutral[(3 * model.LandmarkVertexIds[36]) + 1];
        var back = Enumerable.Range(start, end).Where(v => neutral[(3 * v) + 2] < zs.Min() && neutral[(3 * v) + 1] > eyeY).ToArray();
        Assert.True(back.Length > 100, $"only {back.Length} back-of-head vertices");
        // (The release moves a handful of them by under 0.05 mm: float noise of the sculpting tool.)
        var motion = back.Select(v => MathF.Abs(delta[3 * v]) + MathF.Abs(delta[(3 * v) + 1]) + MathF.Abs(delta[(3 * v) + 2])).ToArray();
        Assert.True(motion.Max() < 0.01f, $"largest back-of-head motion {motion.Max()} cm");
        Assert.True(motion.Count(m => m == 0f) >= 0.95 * motion.Length, $"{motion.Count(m => m != 0f)} of {motion.Length} back-of-head vertices move");
    }

    [Fact]
    public void Left_shapes_act_on_the_faces_left_at_positive_x()
    {
        var model = fixture.Model;
        foreach (var (name, sign) in new[] { ("eyeBlink_L", 1), ("eyeBlink_R", -1), ("mouthSmile_L", 1) })
        {
            var delta = model.ExpressionDelta(name);
            double weighted = 0, total = 0;
            for (var v = 0; v < Vertices; v++)
            {
                var m = MathF.Sqrt((delta[3 * v] * delta[3 * v]) + (delta[(3 * v) + 1] * delta[(3 * v) + 1]) + (delta[(3 * v) + 2] * delta[(3 * v) + 2]));
                weighted += m * model.Neutral[3 * v];
                total += m;
            }

            Assert.True(Math.Sign(weighted / total) == sign, $"{name}: motion-weighted mean x = {weighted / total:F2} cm");
        }
    }

    [Fact]
    public void Evaluate_with_zero_weights_is_the_neutral()
    {
        var model = fixture.Model;
        Assert.Equal(model.Neutral, model.Evaluate([], []));
        Assert.Equal(model.Neutral, model.Evaluate(new float[100], new float[57]));
    }

    [Fact]
    public void Evaluate_reproduces_the_shape_files()
    {
        var model = fixture.Model;
        var identity = new float[100];
        identity[7] = 1f;
        AssertClose(ObjReader.ReadPositions(IctModelFixture.PathOf("identity007.obj")), model.Evaluate(identity, []));

        var expression = model.ExpressionWeightsFromArkit(Arkit(("jawOpen", 1f)));
        AssertClose(ObjReader.ReadPositions(IctModelFixture.PathOf("jawOpen.obj")), model.Evaluate([], expression));

        // Linear: half jaw open plus identity 7 is the sum of the halves.
        var mixed = model.Evaluate(identity, model.ExpressionWeightsFromArkit(Arkit(("jawOpen", 0.5f))));
        var jaw = model.ExpressionDelta("jawOpen");
        var id7 = model.IdentityDelta(7);
        for (var k = 0; k < mixed.Length; k++)
        {
            Assert.True(MathF.Abs(mixed[k] - (model.Neutral[k] + id7[k] + (0.5f * jaw[k]))) < 1e-4f);
        }
    }

    [Fact]
    public void Arkit_weights_drive_split_shapes_on_both_sides()
    {
        var model = fixture.Model;
        var w = model.ExpressionWeightsFromArkit(Arkit(("browInnerUp", 0.3f), ("cheekPuff", 0.6f), ("tongueOut", 1f), ("mouthLeft", 0.2f)));
        Assert.Equal(0.3f, w[model.ExpressionIndex("browInnerUp_L")]);
        Assert.Equal(0.3f, w[model.ExpressionIndex("browInnerUp_R")]);
        Assert.Equal(0.6f, w[model.ExpressionIndex("cheekPuff_L")]);
        Assert.Equal(0.6f, w[model.ExpressionIndex("cheekPuff_R")]);
        Assert.Equal(0.2f, w[model.ExpressionIndex("mouthLeft")]);
        Assert.Equal(2.0f, w.Sum(), 4); // 0.3·2 + 0.6·2 + 0.2; tongueOut drives nothing
    }

    [Fact]
    public void Arkit_mapping_covers_all_52_names_and_every_ict_shape()
    {
        var model = fixture.Model;
        Assert.Equal(52, ArkitBlendshapes.Names.Distinct().Count());
        Assert.Equal("eyeBlinkLeft", ArkitBlendshapes.Names[0]);
        Assert.Equal("tongueOut", ArkitBlendshapes.Names[51]);

        foreach (var arkit in ArkitBlendshapes.Names)
        {
            var ict = ArkitBlendshapes.ToIct(arkit);
            if (arkit == "tongueOut")
            {
                Assert.Empty(ict);
                continue;
            }

            Assert.NotEmpty(ict);
            Assert.All(ict, n => Assert.True(model.ExpressionIndex(n) >= 0, $"{arkit} → {n}: no such ICT shape"));
            Assert.All(ict, n => Assert.Equal(arkit, ArkitBlendshapes.ToArkit(n)));
        }

        foreach (var ict in model.ExpressionNames)
        {
            var arkit = ArkitBlendshapes.ToArkit(ict);
            if (ArkitBlendshapes.IctExtras.Contains(ict))
            {
                Assert.Null(arkit);
            }
            else
            {
                Assert.NotNull(arkit);
                Assert.Contains(ict, ArkitBlendshapes.ToIct(arkit));
            }
        }

        // ICT's 53 ARKit-like shapes: 52 − tongueOut + the two per-side splits.
        var ictArkitLike = model.ExpressionNames.Where(n => !ArkitBlendshapes.IctExtras.Contains(n)).ToList();
        Assert.Equal(53, ictArkitLike.Count);
        Assert.Equal(51, ictArkitLike.Select(ArkitBlendshapes.ToArkit).Distinct().Count());
        Assert.Equal("eyeBlinkLeft", ArkitBlendshapes.ToArkit("eyeBlink_L"));
        Assert.Equal(["eyeBlink_L"], ArkitBlendshapes.ToIct("eyeBlinkLeft"));
        Assert.Equal(["jawLeft"], ArkitBlendshapes.ToIct("jawLeft"));
    }

    [Fact]
    public void Cache_round_trip_is_bit_exact_and_much_faster_than_obj()
    {
        var model = fixture.Model;
        var scratch = RepoPaths.NewScratchFolder("ict-cache");
        try
        {
            var path = Path.Combine(scratch, "facekit.bin");
            var watch = Stopwatch.StartNew();
            IctFaceModelCache.Save(model, path);
            var saveTime = watch.Elapsed;

            watch.Restart();
            var cached = IctFaceModelCache.Load(path);
            var cacheTime = watch.Elapsed;
            watch.Restart();
            _ = IctFaceModelCache.Load(path);
            var warmCacheTime = watch.Elapsed;
            watch.Restart();
            _ = IctFaceModel.LoadObj(IctModelFixture.Folder);
            var objTime = watch.Elapsed;

            output.WriteLine($"OBJ parse (first, in fixture): {fixture.ObjLoadTime.TotalMilliseconds:F0} ms; OBJ parse (again): {objTime.TotalMilliseconds:F0} ms");
            output.WriteLine($"cache save: {saveTime.TotalMilliseconds:F0} ms; cache load: {cacheTime.TotalMilliseconds:F0} ms (again {warmCacheTime.TotalMilliseconds:F0} ms); size {new FileInfo(path).Length / 1e6:F1} MB");

            AssertBitEqual(model.Neutral, cached.Neutral);
            AssertBitEqual(model.IdentityDeltas, cached.IdentityDeltas);
            AssertBitEqual(model.ExpressionDeltas, cached.ExpressionDeltas);
            Assert.Equal(model.Triangles, cached.Triangles);
            Assert.Equal(model.PolygonCount, cached.PolygonCount);
            Assert.Equal(model.IdentityCount, cached.IdentityCount);
            Assert.Equal(model.ExpressionNames, cached.ExpressionNames);
            Assert.Equal(model.LandmarkVertexIds, cached.LandmarkVertexIds);
            Assert.Equal(model.FittingVertexIds, cached.FittingVertexIds);
            Assert.Equal(model.RigidVertexIds, cached.RigidVertexIds);
            Assert.Equal(model.RigidLandmarkIndices, cached.RigidLandmarkIndices);
            Assert.True(warmCacheTime * 3 < objTime, $"cache {warmCacheTime.TotalMilliseconds:F0} ms vs OBJ {objTime.TotalMilliseconds:F0} ms");
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    [Fact]
    public void Load_uses_a_fresh_cache_and_rebuilds_a_stale_or_broken_one()
    {
        var scratch = RepoPaths.NewScratchFolder("ict-load");
        try
        {
            var path = Path.Combine(scratch, "cache", "facekit.bin");
            var first = IctFaceModel.Load(IctModelFixture.Folder, path);
            Assert.True(File.Exists(path));
            Assert.True(IctFaceModelCache.IsFresh(path, IctModelFixture.Folder));
            var written = File.GetLastWriteTimeUtc(path);

            var second = IctFaceModel.Load(IctModelFixture.Folder, path);
            Assert.Equal(written, File.GetLastWriteTimeUtc(path));
            AssertBitEqual(first.ExpressionDeltas, second.ExpressionDeltas);

            // Stale: older than the OBJ files.
            File.SetLastWriteTimeUtc(path, new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc));
            Assert.False(IctFaceModelCache.IsFresh(path, IctModelFixture.Folder));

            // Broken: truncated; Load replaces it.
            File.WriteAllBytes(path, File.ReadAllBytes(path)[..1000]);
            Assert.Throws<InvalidDataException>(() => IctFaceModelCache.Load(path));
            var third = IctFaceModel.Load(IctModelFixture.Folder, path);
            AssertBitEqual(first.Neutral, third.Neutral);
            Assert.NotNull(IctFaceModelCache.Load(path));
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    [Fact]
    public void Default_cache_path_is_beside_the_release_folder()
    {
        var folder = IctFaceModel.DefaultFolder(RepoPaths.Models);
        Assert.Equal(Path.Combine(RepoPaths.Models, "ict-facekit", "cache", "facekit.bin"), IctFaceModelCache.DefaultPath(folder));
        Assert.Equal(Path.Combine(RepoPaths.Models, "ict-facekit", "cache", "facekit.bin"), IctFaceModelCache.DefaultPath(folder + "/"));
    }

    [Fact]
    public void A_missing_folder_names_the_unpack_script()
    {
        var e = Assert.Throws<FileNotFoundException>(() => IctFaceModel.LoadObj(Path.Combine(Path.GetTempPath(), "no-such-ict-" + Guid.NewGuid().ToString("N"))));
        Assert.Contains("scripts/unpack-ict.sh", e.Message);
    }

    private static float[] Arkit(params (string Name, float Weight)[] weights)
    {
        var result = new float[52];
        foreach (var (name, weight) in weights)
        {
            result[ArkitBlendshapes.IndexOf(name)] = weight;
        }

        return result;
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        var worst = 0f;
        for (var k = 0; k < expected.Length; k++)
        {
            worst = MathF.Max(worst, MathF.Abs(expected[k] - actual[k]));
        }

        Assert.True(worst < 1e-4f, $"largest difference {worst} cm");
    }

    private static void AssertBitEqual(float[] expected, float[] actual) =>
        Assert.True(MemoryMarshal.AsBytes(expected.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(actual.AsSpan())), "arrays differ bitwise");

    /// <summary>The fan triangles of the first <paramref name="polygons"/> polygons (4 corners → 2 triangles).</summary>
    private static int[] TrianglesOfFirstPolygons(string path, int polygons)
    {
        var text = File.ReadAllText(path);
        var kept = new System.Text.StringBuilder();
        var count = 0;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("f ", StringComparison.Ordinal))
            {
                if (count++ >= polygons)
                {
                    continue;
                }
            }

            kept.Append(line).Append('\n');
        }

        var mesh = ObjReader.Parse(System.Text.Encoding.ASCII.GetBytes(kept.ToString()));
        Assert.Equal(polygons, mesh.PolygonCount);
        return mesh.Triangles;
    }
}
