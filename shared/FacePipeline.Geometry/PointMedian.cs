using System.Buffers;

namespace FacePipeline.Geometry;

/// <summary>
/// The per-point, per-coordinate median of many faces (<see cref="NeutralEstimator.Estimate"/> with
/// <see cref="NeutralMethod.Median"/>, to the bit) without holding the faces: the caller replays them (from a file, say:
/// <see cref="PointSpill"/>) and each replay narrows every coordinate's middle value down by its bits (a radix selection
/// on the doubles' order-preserving keys, 8 bits a pass, after a first pass that finds each coordinate's range), until
/// few candidates are left, which one more replay collects and sorts. Memory depends on the point count, not on the
/// number of faces; a typical clip takes four or five replays (issue 16: memory flat in length). The digit histograms
/// (2.9 MB for a 468-point face: a large object) are rented from the shared pool, not allocated per call: a clip's
/// sequence estimates a neutral per track, and a long take has a track per cut or lost face; allocated per call they
/// piled up as garbage on the large object heap, whose budget a worker's frame buffers had grown, and raised the
/// Reconstruction worker's peak by about 110 MB at the end of a 1080p pass (docs/benchmarks.md, "Reconstruction's peak at
/// the sequence build").
/// </summary>
public static class PointMedian
{
    /// <summary>Candidates at or under which a coordinate's middle value is collected and sorted.</summary>
    private const int CollectAt = 64;

    private const int DigitBits = 8;

    /// <summary>
    /// The per-point median of the <paramref name="faceCount"/> faces that <paramref name="replay"/> visits, each time in
    /// the same order, each face of <paramref name="pointCount"/> points. Equal to <see cref="NeutralEstimator.Estimate"/>
    /// of the same faces.
    /// </summary>
    /// <param name="faceCount">How many faces each replay visits.</param>
    /// <param name="pointCount">Points per face.</param>
    /// <param name="replay">Visits every face once, in the same order each call.</param>
    public static Vec3[] Estimate(int faceCount, int pointCount, Action<PointsVisitor> replay)
    {
        ArgumentNullException.ThrowIfNull(replay);
        if (faceCount <= 0)
        {
            throw new ArgumentException("No frames to estimate a neutral face from.", nameof(faceCount));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pointCount);
        var coordinates = pointCount * 3;

        // Ranks: the middle one (odd count), or the two middle ones (even), as the sorted median takes them.
        var ranks = faceCount % 2 == 1 ? new long[] { faceCount / 2 } : [(faceCount / 2) - 1, faceCount / 2];
        var states = coordinates * ranks.Length;
        var prefix = new ulong[states];
        var known = new int[states];
        var rank = new long[states];
        var candidates = new long[states];
        var found = new ulong[states];
        var done = new bool[states];

        // Pass 1: each coordinate's range; the bits its smallest and largest keys share, every value shares.
        var min = new ulong[coordinates];
        var max = new ulong[coordinates];
        Array.Fill(min, ulong.MaxValue);
        var visited = 0;
        replay(points =>
        {
            Require(points.Length, pointCount);
            for (var c = 0; c < coordinates; c++)
            {
                var key = Key(Coordinate(points, c));
                if (key < min[c])
                {
                    min[c] = key;
                }

                if (key > max[c])
                {
                    max[c] = key;
                }
            }

            visited++;
        });
        if (visited != faceCount)
        {
            throw new InvalidOperationException($"The replay visited {visited} faces; {faceCount} were announced.");
        }

        for (var s = 0; s < states; s++)
        {
            var c = s / ranks.Length;
            rank[s] = ranks[s % ranks.Length];
            candidates[s] = faceCount;
            var shared = min[c] == max[c] ? 64 : System.Numerics.BitOperations.LeadingZeroCount(min[c] ^ max[c]);
            known[s] = shared;
            prefix[s] = shared == 0 ? 0 : min[c] >> (64 - shared);
            if (shared == 64)
            {
                found[s] = min[c];
                done[s] = true;
            }
        }

        var histogram = ArrayPool<int>.Shared.Rent(states << DigitBits); // an exception leaves it to the collector: the pool makes another
        while (true)
        {
            var collecting = false;
            var narrowing = false;
            for (var s = 0; s < states; s++)
            {
                if (!done[s])
                {
                    if (candidates[s] <= CollectAt)
                    {
                        collecting = true;
                    }
                    else
                    {
                        narrowing = true;
                    }
                }
            }

            if (!collecting && !narrowing)
            {
                break;
            }

            // One replay: histograms of the next digit for the states narrowing, the candidates of the states collecting.
            Array.Clear(histogram, 0, states << DigitBits);
            var collected = new double[states][];
            var fill = new int[states];
            for (var s = 0; s < states; s++)
            {
                if (!done[s] && candidates[s] <= CollectAt)
                {
                    collected[s] = new double[candidates[s]];
                }
            }

            replay(points =>
            {
                Require(points.Length, pointCount);
                for (var c = 0; c < coordinates; c++)
                {
                    var value = Coordinate(points, c);
                    var key = Key(value);
                    for (var r = 0; r < ranks.Length; r++)
                    {
                        var s = (c * ranks.Length) + r;
                        if (done[s] || (known[s] > 0 && key >> (64 - known[s]) != prefix[s]))
                        {
                            continue;
                        }

                        if (collected[s] is { } bin)
                        {
                            bin[fill[s]++] = value;
                        }
                        else
                        {
                            var digit = Math.Min(DigitBits, 64 - known[s]);
                            var bucket = (int)((key >> (64 - known[s] - digit)) & ((1UL << digit) - 1));
                            histogram[(s << DigitBits) + bucket]++;
                        }
                    }
                }
            });

            for (var s = 0; s < states; s++)
            {
                if (done[s])
                {
                    continue;
                }

                if (collected[s] is { } bin)
                {
                    if (fill[s] != bin.Length)
                    {
                        throw new InvalidOperationException("The replay did not visit the same faces again.");
                    }

                    Array.Sort(bin, (a, b) => Key(a).CompareTo(Key(b)));
                    found[s] = Key(bin[rank[s]]);
                    done[s] = true;
                    continue;
                }

                var width = Math.Min(DigitBits, 64 - known[s]);
                long below = 0;
                var b = 0;
                for (; b < (1 << width); b++)
                {
                    var n = histogram[(s << DigitBits) + b];
                    if (rank[s] < below + n)
                    {
                        break;
                    }

                    below += n;
                }

                if (b == 1 << width)
                {
                    throw new InvalidOperationException("The replay did not visit the same faces again.");
                }

                rank[s] -= below;
                candidates[s] = histogram[(s << DigitBits) + b];
                prefix[s] = (known[s] == 0 ? 0 : prefix[s] << width) | (uint)b;
                known[s] += width;
                if (known[s] == 64)
                {
                    found[s] = prefix[s];
                    done[s] = true;
                }
            }
        }

        ArrayPool<int>.Shared.Return(histogram);
        var result = new Vec3[pointCount];
        var xyz = new double[3];
        for (var p = 0; p < pointCount; p++)
        {
            for (var axis = 0; axis < 3; axis++)
            {
                var s = ((p * 3) + axis) * ranks.Length;
                xyz[axis] = ranks.Length == 1 ? Value(found[s]) : 0.5 * (Value(found[s]) + Value(found[s + 1]));
            }

            result[p] = new Vec3(xyz[0], xyz[1], xyz[2]);
        }

        return result;
    }

    private static double Coordinate(ReadOnlySpan<Vec3> points, int c)
    {
        var p = points[c / 3];
        return (c % 3) switch
        {
            0 => p.X,
            1 => p.Y,
            _ => p.Z,
        };
    }

    /// <summary>
    /// An unsigned key in the doubles' sort order (<see cref="double.CompareTo(double)"/>: NaN first, then −∞ … +∞;
    /// −0 just before +0, which that order holds equal).
    /// </summary>
    private static ulong Key(double value)
    {
        if (double.IsNaN(value))
        {
            return 0;
        }

        var bits = (ulong)BitConverter.DoubleToInt64Bits(value);
        return (bits & 0x8000_0000_0000_0000UL) != 0 ? ~bits : bits | 0x8000_0000_0000_0000UL;
    }

    private static double Value(ulong key)
    {
        if (key == 0)
        {
            return double.NaN;
        }

        var bits = (key & 0x8000_0000_0000_0000UL) != 0 ? key & 0x7FFF_FFFF_FFFF_FFFFUL : ~key;
        return BitConverter.Int64BitsToDouble((long)bits);
    }

    private static void Require(int length, int pointCount)
    {
        if (length != pointCount)
        {
            throw new ArgumentException($"A face has {length} points; {pointCount} were announced.");
        }
    }
}
