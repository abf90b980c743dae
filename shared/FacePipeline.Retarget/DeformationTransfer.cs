using FacePipeline.Geometry;

namespace FacePipeline.Retarget;

/// <summary>
/// Transfers an expression from a source actor to a target actor on the shared 468-point topology,
/// by deformation transfer (Sumner &amp; Popović 2004, in its gradient/Poisson form):
/// <list type="number">
/// <item>for every canonical triangle, the source's deformation gradient
///   <c>S = [ẽ1 ẽ2 ñ]·[e1 e2 n]⁻¹</c> (edges and the scaled normal <c>n = e1×e2/√|e1×e2|</c> of the
///   source neutral, with ~ the source frame);</item>
/// <item>the target's deformed vertices <c>x</c> minimise <c>Σ_triangles Σ_edges |x_b − x_a − S·(t_b − t_a)|²</c>
///   over the target neutral's edges <c>t_b − t_a</c>: a weighted graph Laplacian solved once by a
///   dense Cholesky factorisation (one vertex pinned per connected component), per frame only
///   two triangular solves per axis;</item>
/// <item>translation (the Laplacian's null space) is fixed so that each component's mean displacement
///   equals the source's mean displacement times <c>targetSize / sourceSize</c> (<see cref="FaceSize"/>).</item>
/// </list>
/// Gradients are scale-free, so the identity normalisation is built in: a target that is the source
/// scaled by k gets exactly k times the displacement; a target with other proportions gets the
/// displacement shaped by its own triangles. Finally, the displacement is multiplied per vertex by
/// <see cref="TransferControls.Intensity"/> and the region's gain (vertices outside every region:
/// gain 1; vertices within <see cref="FeatherRadius"/> of a region blend towards its gain linearly
/// with distance, to avoid seams).
/// </summary>
public sealed class DeformationTransfer
{
    private readonly int count;
    private readonly Triangle[] triangles;
    private readonly Vec3[] sourceNeutral;
    private readonly Vec3[] targetNeutral;
    private readonly Matrix3[] sourceRestInverse;
    private readonly bool[] degenerate;
    private readonly Vec3[] targetEdges; // 3 per triangle: b−a, c−b, a−c
    private readonly int[] component;    // per vertex; −1 = in no triangle
    private readonly int componentCount;
    private readonly int[] pinned;       // per component
    private readonly int[] unknownIndex; // vertex → row of the reduced system, −1 if pinned or isolated
    private readonly double[] cholesky;  // lower-triangular factor, row-major n×n
    private readonly int unknowns;
    private readonly double[][] regionWeights; // per region, per vertex, in [0, 1]

    /// <summary>Prepares a transfer for one source/target pair.</summary>
    /// <param name="triangles">The shared topology (e.g. <see cref="CanonicalFaceMesh.Triangles"/>, 898 triangles).</param>
    /// <param name="sourceNeutral">The source actor's pose-free neutral.</param>
    /// <param name="targetNeutral">The target actor's pose-free neutral.</param>
    /// <param name="regions">Regions of the gains; null = no regional gains (only the intensity applies).</param>
    /// <param name="featherRadius">Blend distance of region gains, in units of the target's <see cref="FaceSize"/>.</param>
    public DeformationTransfer(
        ReadOnlySpan<Triangle> triangles,
        ReadOnlySpan<Vec3> sourceNeutral,
        ReadOnlySpan<Vec3> targetNeutral,
        FaceRegions? regions,
        double featherRadius = 0.15)
    {
        if (sourceNeutral.Length != targetNeutral.Length)
        {
            throw new ArgumentException($"Neutral point counts differ: {sourceNeutral.Length} and {targetNeutral.Length}.");
        }

        count = sourceNeutral.Length;
        this.triangles = triangles.ToArray();
        this.sourceNeutral = sourceNeutral.ToArray();
        this.targetNeutral = targetNeutral.ToArray();
        SourceSize = FaceSize.Of(sourceNeutral);
        TargetSize = FaceSize.Of(targetNeutral);
        FeatherRadius = featherRadius;

        sourceRestInverse = new Matrix3[this.triangles.Length];
        degenerate = new bool[this.triangles.Length];
        targetEdges = new Vec3[this.triangles.Length * 3];
        for (var j = 0; j < this.triangles.Length; j++)
        {
            var t = this.triangles[j];
            if ((uint)t.A >= count || (uint)t.B >= count || (uint)t.C >= count)
            {
                throw new ArgumentException($"Triangle {j} refers to a vertex outside 0..{count - 1}.");
            }

            var frame = Frame(this.sourceNeutral[t.A], this.sourceNeutral[t.B], this.sourceNeutral[t.C]);
            var det = frame.Determinant();
            if (Math.Abs(det) < 1e-18 * Math.Pow(SourceSize, 3))
            {
                degenerate[j] = true; // no gradient: its edges just keep their rest shape (S = I)
            }
            else
            {
                sourceRestInverse[j] = Inverse(frame, det);
            }

            targetEdges[(3 * j) + 0] = this.targetNeutral[t.B] - this.targetNeutral[t.A];
            targetEdges[(3 * j) + 1] = this.targetNeutral[t.C] - this.targetNeutral[t.B];
            targetEdges[(3 * j) + 2] = this.targetNeutral[t.A] - this.targetNeutral[t.C];
        }

        (component, componentCount) = Components(count, this.triangles);
        pinned = Enumerable.Repeat(-1, componentCount).ToArray();
        unknownIndex = new int[count];
        unknowns = 0;
        for (var i = 0; i < count; i++)
        {
            if (component[i] < 0)
            {
                unknownIndex[i] = -1;
            }
            else if (pinned[component[i]] < 0)
            {
                pinned[component[i]] = i;
                unknownIndex[i] = -1;
            }
            else
            {
                unknownIndex[i] = unknowns++;
            }
        }

        cholesky = new double[unknowns * unknowns];
        foreach (var t in this.triangles)
        {
            AddEdge(t.A, t.B);
            AddEdge(t.B, t.C);
            AddEdge(t.C, t.A);
        }

        CholeskyInPlace(cholesky, unknowns);
        regionWeights = regions is null ? [] : RegionWeights(regions, this.targetNeutral, featherRadius * TargetSize);
    }

    /// <summary>
    /// Share of the mouth and jaw region's displacement taken directly from the source's, scaled by the face sizes
    /// (inter-ocular distances), instead of by deformation transfer (0: deformation transfer everywhere; 1, the default:
    /// the source's scaled displacement in the region, feathered out with its weight). The mesh has no triangles across
    /// the mouth's opening, so deformation transfer opens a mouth through the shapes of the triangles around it: an actor
    /// whose neutral shows the lips parted got up to 2.4 times the performer's opening (in inter-ocular distances), one
    /// whose lips are pressed together a twentieth of it (a toothless grin onto the Mona Lisa). The eyes keep
    /// deformation transfer: on the shared clips it follows the performer's eye openings better.
    /// </summary>
    public double MouthDirectShare { get; init; } = 1;

    /// <summary>Size of the source neutral (<see cref="FaceSize.Of"/>).</summary>
    public double SourceSize { get; }

    /// <summary>Size of the target neutral (<see cref="FaceSize.Of"/>).</summary>
    public double TargetSize { get; }

    /// <summary>Blend distance of the region gains, in target face sizes.</summary>
    public double FeatherRadius { get; }

    /// <summary>The target neutral.</summary>
    public ReadOnlySpan<Vec3> TargetNeutral => targetNeutral;

    /// <summary>A transfer on MediaPipe's canonical topology with the default <see cref="FaceRegions"/>.</summary>
    public static DeformationTransfer ForCanonical(CanonicalFaceMesh mesh, ReadOnlySpan<Vec3> sourceNeutral, ReadOnlySpan<Vec3> targetNeutral) =>
        new(mesh.Triangles, sourceNeutral, targetNeutral, FaceRegions.FromCanonical(mesh));

    /// <summary>The target's pose-free landmarks carrying <paramref name="sourceFrame"/>'s expression.</summary>
    public Vec3[] Transfer(ReadOnlySpan<Vec3> sourceFrame, TransferControls? controls = null)
    {
        controls ??= TransferControls.Full;
        var displacement = TransferDisplacement(sourceFrame);
        var gains = Gains(controls);
        var result = new Vec3[count];
        for (var i = 0; i < count; i++)
        {
            result[i] = targetNeutral[i] + (displacement[i] * (controls.Intensity * gains[i]));
        }

        return result;
    }

    /// <summary>Transfers every frame of a sequence.</summary>
    public Vec3[][] TransferSequence(IReadOnlyList<Vec3[]> sourceFrames, TransferControls? controls = null)
    {
        var result = new Vec3[sourceFrames.Count][];
        for (var f = 0; f < result.Length; f++)
        {
            result[f] = Transfer(sourceFrames[f], controls);
        }

        return result;
    }

    /// <summary>The raw transferred displacement (target frame − target neutral), before any control.</summary>
    public Vec3[] TransferDisplacement(ReadOnlySpan<Vec3> sourceFrame)
    {
        if (sourceFrame.Length != count)
        {
            throw new ArgumentException($"Expected {count} points, got {sourceFrame.Length}.");
        }

        var scale = TargetSize / SourceSize;
        var rhs = new Vec3[unknowns];
        var goal = new Vec3[count]; // target edge goals are accumulated into rhs; pinned vertices sit at their neutral
        for (var j = 0; j < triangles.Length; j++)
        {
            var t = triangles[j];
            var gradient = degenerate[j]
                ? Matrix3.Identity
                : Frame(sourceFrame[t.A], sourceFrame[t.B], sourceFrame[t.C]) * sourceRestInverse[j];
            Accumulate(rhs, t.A, t.B, gradient * targetEdges[(3 * j) + 0]);
            Accumulate(rhs, t.B, t.C, gradient * targetEdges[(3 * j) + 1]);
            Accumulate(rhs, t.C, t.A, gradient * targetEdges[(3 * j) + 2]);
        }

        var solution = SolveVec(rhs);
        for (var i = 0; i < count; i++)
        {
            goal[i] = component[i] < 0
                ? targetNeutral[i] + ((sourceFrame[i] - sourceNeutral[i]) * scale)
                : unknownIndex[i] < 0 ? targetNeutral[i] : solution[unknownIndex[i]];
        }

        // Gauge: each component's mean displacement = the source's, scaled.
        var sumTarget = new Vec3[componentCount];
        var sumSource = new Vec3[componentCount];
        var members = new int[componentCount];
        for (var i = 0; i < count; i++)
        {
            var c = component[i];
            if (c >= 0)
            {
                sumTarget[c] += goal[i] - targetNeutral[i];
                sumSource[c] += sourceFrame[i] - sourceNeutral[i];
                members[c]++;
            }
        }

        var displacement = new Vec3[count];
        for (var i = 0; i < count; i++)
        {
            var c = component[i];
            var shift = c < 0 ? Vec3.Zero : ((sumSource[c] * scale) - sumTarget[c]) / members[c];
            displacement[i] = goal[i] - targetNeutral[i] + shift;
        }

        if (MouthDirectShare > 0)
        {
            // The mouth and jaw: towards the source's own displacement scaled by the face sizes (inter-ocular distances),
            // feathered out with the region's weight.
            for (var i = 0; i < count; i++)
            {
                var share = MouthDirectShare * (regionWeights.Length == 0 ? 1 : regionWeights[0][i]);
                if (share > 0)
                {
                    var direct = (sourceFrame[i] - sourceNeutral[i]) * scale;
                    displacement[i] = (displacement[i] * (1 - share)) + (direct * share);
                }
            }
        }

        return displacement;
    }

    /// <summary>Per-vertex gain of <paramref name="controls"/>' regional gains (without the intensity).</summary>
    public double[] Gains(TransferControls controls)
    {
        var gains = new double[count];
        Array.Fill(gains, 1.0);
        if (regionWeights.Length == 0)
        {
            return gains;
        }

        double[] regionGain = [controls.MouthJaw, controls.EyesLids, controls.Brows];
        for (var i = 0; i < count; i++)
        {
            double total = 0, blended = 0;
            for (var r = 0; r < regionWeights.Length; r++)
            {
                total += regionWeights[r][i];
                blended += regionWeights[r][i] * regionGain[r];
            }

            gains[i] = total > 1 ? blended / total : blended + (1 - total);
        }

        return gains;
    }

    private void Accumulate(Vec3[] rhs, int a, int b, Vec3 edgeGoal)
    {
        // Term |x_b − x_a − g|²: normal equations add +g at b, −g at a; a pinned end moves its
        // known position (its neutral) to the right-hand side.
        var ia = unknownIndex[a];
        var ib = unknownIndex[b];
        if (ib >= 0)
        {
            rhs[ib] += edgeGoal;
            if (ia < 0)
            {
                rhs[ib] += targetNeutral[a];
            }
        }

        if (ia >= 0)
        {
            rhs[ia] -= edgeGoal;
            if (ib < 0)
            {
                rhs[ia] += targetNeutral[b];
            }
        }
    }

    private void AddEdge(int a, int b)
    {
        var ia = unknownIndex[a];
        var ib = unknownIndex[b];
        if (ia >= 0)
        {
            cholesky[(ia * unknowns) + ia] += 1;
        }

        if (ib >= 0)
        {
            cholesky[(ib * unknowns) + ib] += 1;
        }

        if (ia >= 0 && ib >= 0)
        {
            cholesky[(ia * unknowns) + ib] -= 1;
            cholesky[(ib * unknowns) + ia] -= 1;
        }
    }

    private Vec3[] SolveVec(Vec3[] rhs)
    {
        var n = unknowns;
        var x = new double[n];
        var y = new double[n];
        var z = new double[n];
        for (var i = 0; i < n; i++)
        {
            x[i] = rhs[i].X;
            y[i] = rhs[i].Y;
            z[i] = rhs[i].Z;
        }

        CholeskySolve(cholesky, n, x);
        CholeskySolve(cholesky, n, y);
        CholeskySolve(cholesky, n, z);
        var result = new Vec3[n];
        for (var i = 0; i < n; i++)
        {
            result[i] = new Vec3(x[i], y[i], z[i]);
        }

        return result;
    }

    private static Matrix3 Frame(Vec3 a, Vec3 b, Vec3 c)
    {
        var e1 = b - a;
        var e2 = c - a;
        var cross = Vec3.Cross(e1, e2);
        var len = cross.Length;
        var n = len > 0 ? cross / Math.Sqrt(len) : Vec3.Zero;
        return Matrix3.FromColumns(e1, e2, n);
    }

    private static Matrix3 Inverse(Matrix3 m, double det)
    {
        var inv = 1 / det;
        return new Matrix3(
            ((m[1, 1] * m[2, 2]) - (m[1, 2] * m[2, 1])) * inv,
            ((m[0, 2] * m[2, 1]) - (m[0, 1] * m[2, 2])) * inv,
            ((m[0, 1] * m[1, 2]) - (m[0, 2] * m[1, 1])) * inv,
            ((m[1, 2] * m[2, 0]) - (m[1, 0] * m[2, 2])) * inv,
            ((m[0, 0] * m[2, 2]) - (m[0, 2] * m[2, 0])) * inv,
            ((m[0, 2] * m[1, 0]) - (m[0, 0] * m[1, 2])) * inv,
            ((m[1, 0] * m[2, 1]) - (m[1, 1] * m[2, 0])) * inv,
            ((m[0, 1] * m[2, 0]) - (m[0, 0] * m[2, 1])) * inv,
            ((m[0, 0] * m[1, 1]) - (m[0, 1] * m[1, 0])) * inv);
    }

    private static (int[] Component, int Count) Components(int n, Triangle[] triangles)
    {
        var parent = Enumerable.Range(0, n).ToArray();
        int Find(int v)
        {
            while (parent[v] != v)
            {
                parent[v] = parent[parent[v]];
                v = parent[v];
            }

            return v;
        }

        var used = new bool[n];
        foreach (var t in triangles)
        {
            used[t.A] = used[t.B] = used[t.C] = true;
            parent[Find(t.B)] = Find(t.A);
            parent[Find(t.C)] = Find(t.A);
        }

        var label = new Dictionary<int, int>();
        var result = new int[n];
        for (var i = 0; i < n; i++)
        {
            if (!used[i])
            {
                result[i] = -1;
                continue;
            }

            var root = Find(i);
            if (!label.TryGetValue(root, out var c))
            {
                c = label.Count;
                label[root] = c;
            }

            result[i] = c;
        }

        return (result, label.Count);
    }

    private static void CholeskyInPlace(double[] a, int n)
    {
        for (var j = 0; j < n; j++)
        {
            var rowJ = j * n;
            var d = a[rowJ + j];
            for (var k = 0; k < j; k++)
            {
                d -= a[rowJ + k] * a[rowJ + k];
            }

            if (d <= 0)
            {
                throw new InvalidOperationException("The mesh Laplacian is not positive definite.");
            }

            d = Math.Sqrt(d);
            a[rowJ + j] = d;
            for (var i = j + 1; i < n; i++)
            {
                var rowI = i * n;
                var s = a[rowI + j];
                for (var k = 0; k < j; k++)
                {
                    s -= a[rowI + k] * a[rowJ + k];
                }

                a[rowI + j] = s / d;
            }
        }
    }

    private static void CholeskySolve(double[] l, int n, double[] b)
    {
        for (var i = 0; i < n; i++)
        {
            var s = b[i];
            var row = i * n;
            for (var k = 0; k < i; k++)
            {
                s -= l[row + k] * b[k];
            }

            b[i] = s / l[row + i];
        }

        for (var i = n - 1; i >= 0; i--)
        {
            var s = b[i];
            for (var k = i + 1; k < n; k++)
            {
                s -= l[(k * n) + i] * b[k];
            }

            b[i] = s / l[(i * n) + i];
        }
    }

    private static double[][] RegionWeights(FaceRegions regions, Vec3[] neutral, double feather)
    {
        IReadOnlyList<int>[] sets = [regions.MouthJaw, regions.EyesLids, regions.Brows];
        var weights = new double[sets.Length][];
        for (var r = 0; r < sets.Length; r++)
        {
            var w = new double[neutral.Length];
            var members = sets[r].Where(i => i < neutral.Length).ToArray();
            var inside = new HashSet<int>(members);
            var others = new HashSet<int>(sets.Where((_, k) => k != r).SelectMany(s => s));
            for (var i = 0; i < neutral.Length; i++)
            {
                if (inside.Contains(i))
                {
                    w[i] = 1;
                }
                else if (!others.Contains(i) && feather > 0 && members.Length > 0)
                {
                    var d = members.Min(m => (neutral[m] - neutral[i]).Length);
                    w[i] = Math.Max(0, 1 - (d / feather));
                }
            }

            weights[r] = w;
        }

        return weights;
    }
}
