namespace FacePipeline.Geometry.Tests;

/// <summary>
/// The per-point median of faces replayed from a file (<see cref="PointMedian"/>, <see cref="PointSpill"/>): what the
/// whole-clip neutral estimates run on instead of every frame held in memory (issue 16).
/// </summary>
public sealed class PointMedianTests
{
    /// <summary>The face mesh's points (FaceLandmarker.LandmarkCount).</summary>
    private const int MeshPoints = 468;

    private static Vec3[][] Faces(int count, int points, int seed)
    {
        var random = new Random(seed);
        var faces = new Vec3[count][];
        for (var f = 0; f < count; f++)
        {
            faces[f] = new Vec3[points];
            for (var p = 0; p < points; p++)
            {
                // Values around zero (signs change), repeated values, a constant coordinate and negative zeros.
                var x = (p % 7 == 0) ? Math.Round(random.NextDouble() * 4 - 2, 1) : (random.NextDouble() - 0.5) * (p + 1);
                var y = p % 11 == 0 ? 3.25 : -5 + (random.NextDouble() * 0.001);
                var z = p % 13 == 0 ? (f % 2 == 0 ? 0.0 : -0.0) : random.NextDouble() * 1e-6;
                faces[f][p] = new Vec3(x, y, z);
            }
        }

        return faces;
    }

    private static void AssertBitEqual(Vec3[] expected, Vec3[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var p = 0; p < expected.Length; p++)
        {
            Assert.True(
                expected[p].X.Equals(actual[p].X) && expected[p].Y.Equals(actual[p].Y) && expected[p].Z.Equals(actual[p].Z),
                $"point {p}: expected {expected[p]}, got {actual[p]}");
        }
    }

    [Theory]
    [Trait("Lane", "Fast")]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(1000)]
    [InlineData(1001)]
    [InlineData(3000)]
    public void The_median_of_replayed_faces_equals_the_sorted_median_to_the_bit(int count)
    {
        var faces = Faces(count, 60, seed: count);
        var replays = 0;

        var streamed = PointMedian.Estimate(count, 60, visit =>
        {
            replays++;
            foreach (var face in faces)
            {
                visit(face);
            }
        });

        AssertBitEqual(NeutralEstimator.Estimate(faces), streamed);
        Assert.InRange(replays, 1, 12); // a few passes, never one per face
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void A_replay_that_does_not_visit_the_faces_announced_is_refused()
    {
        var faces = Faces(10, 4, seed: 1);

        Assert.Throws<InvalidOperationException>(() => PointMedian.Estimate(11, 4, visit =>
        {
            foreach (var face in faces)
            {
                visit(face);
            }
        }));
        Assert.Throws<ArgumentException>(() => PointMedian.Estimate(10, 5, visit =>
        {
            foreach (var face in faces)
            {
                visit(face);
            }
        }));
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void A_spill_gives_back_every_record_exactly_by_number_and_in_runs()
    {
        var faces = Faces(100, 468, seed: 7);
        using var spill = new PointSpill(468);
        foreach (var face in faces)
        {
            spill.Append(face);
        }

        Assert.Equal(100, spill.Count);
        AssertBitEqual(faces[57], spill.Read(57));
        int[] records = [3, 4, 5, 6, 90, 2, 2, 99];
        var visited = new List<Vec3[]>();
        spill.ForEach(records, points => visited.Add(points.ToArray()));
        Assert.Equal(records.Length, visited.Count);
        for (var k = 0; k < records.Length; k++)
        {
            AssertBitEqual(faces[records[k]], visited[k]);
        }

        Assert.Throws<ArgumentException>(() => spill.Append(new Vec3[467]));
        Assert.Throws<ArgumentOutOfRangeException>(() => spill.Read(100));
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void Estimating_a_neutral_per_track_reuses_its_histograms_instead_of_allocating_a_large_object_each_time()
    {
        // A sequence estimates a neutral per track; a 468-point face's histograms are 2.9 MB. Allocated per call they
        // piled up on the large object heap of a worker whose frame buffers had grown its budget (about 110 MB at a 1080p
        // pass's sequence build). From the second call on, only the small per-call state is allocated.
        var faces = Faces(200, MeshPoints, seed: 7);
        void Replay(PointsVisitor visit)
        {
            foreach (var face in faces)
            {
                visit(face);
            }
        }

        var first = PointMedian.Estimate(faces.Length, MeshPoints, Replay);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var second = PointMedian.Estimate(faces.Length, MeshPoints, Replay);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        AssertBitEqual(first, second);
        var histogramBytes = MeshPoints * 3 * 2 * 256 * sizeof(int);
        Assert.True(allocated < histogramBytes / 4, $"a second estimate allocated {allocated:N0} bytes; its histograms alone are {histogramBytes:N0}");
    }
}
