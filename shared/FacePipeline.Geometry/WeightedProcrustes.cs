namespace FacePipeline.Geometry;

/// <summary>
/// A similarity transform <c>x ↦ Scale · Rotation · x + Translation</c> (Rotation proper, det = +1).
/// </summary>
public readonly record struct SimilarityTransform(Matrix3 Rotation, Vec3 Translation, double Scale)
{
    /// <summary>The identity transform.</summary>
    public static SimilarityTransform Identity => new(Matrix3.Identity, Vec3.Zero, 1);

    /// <summary>Applies the transform.</summary>
    public Vec3 Apply(Vec3 point) => (Scale * (Rotation * point)) + Translation;

    /// <summary>Applies the inverse: <c>Rotationᵀ (point − Translation) / Scale</c>.</summary>
    public Vec3 ApplyInverse(Vec3 point) => Rotation.Transpose() * (point - Translation) / Scale;

    /// <summary>The inverse transform.</summary>
    public SimilarityTransform Inverse()
    {
        var rt = Rotation.Transpose();
        return new(rt, -(rt * Translation) / Scale, 1 / Scale);
    }
}

/// <summary>
/// Weighted orthogonal Procrustes with uniform scale, in closed form: finds the rotation R
/// (proper, never a reflection), translation t and scale s minimising
/// <c>Σ wᵢ ‖s R aᵢ + t − bᵢ‖²</c> for sources aᵢ, targets bᵢ and non-negative weights wᵢ.
/// <para>
/// Method: weighted centroids, the 3x3 weighted cross-covariance, then Horn's unit-quaternion
/// solution (the eigenvector of the largest eigenvalue of a symmetric 4x4 matrix, by Jacobi
/// rotations). A unit quaternion is always a proper rotation, so reflections cannot occur: for
/// mirrored data the result is the best proper rotation (Umeyama's sign correction, in effect).
/// The scale is the least-squares one for the source-to-target direction (as Umeyama and
/// MediaPipe's procrustes_solver): <c>s = Σ wᵢ (R a'ᵢ)·b'ᵢ / Σ wᵢ ‖a'ᵢ‖²</c> with centred points.
/// </para>
/// </summary>
public static class WeightedProcrustes
{
    /// <summary>Solves for the similarity transform taking <paramref name="source"/> onto <paramref name="target"/>.</summary>
    /// <exception cref="ArgumentException">Mismatched lengths, negative or non-finite weights, zero total weight.</exception>
    /// <exception cref="InvalidOperationException">Degenerate data (all weighted sources at one point, or no positive scale).</exception>
    public static SimilarityTransform Solve(ReadOnlySpan<Vec3> source, ReadOnlySpan<Vec3> target, ReadOnlySpan<double> weights)
    {
        if (source.Length != target.Length || source.Length != weights.Length)
        {
            throw new ArgumentException($"Source ({source.Length}), target ({target.Length}) and weights ({weights.Length}) must have the same length.");
        }

        double total = 0;
        Vec3 sourceSum = default, targetSum = default;
        for (var i = 0; i < source.Length; i++)
        {
            var w = weights[i];
            if (!(w >= 0) || double.IsInfinity(w))
            {
                throw new ArgumentException($"Weight {i} is {w}; weights must be finite and non-negative.", nameof(weights));
            }

            total += w;
            sourceSum += w * source[i];
            targetSum += w * target[i];
        }

        if (!(total > 0))
        {
            throw new ArgumentException("The total weight must be positive.", nameof(weights));
        }

        var sourceCentroid = sourceSum / total;
        var targetCentroid = targetSum / total;

        // Weighted cross-covariance S[j,k] = Σ w a'_j b'_k, and Σ w ‖a'‖².
        double sxx = 0, sxy = 0, sxz = 0, syx = 0, syy = 0, syz = 0, szx = 0, szy = 0, szz = 0, sourceSpread = 0;
        for (var i = 0; i < source.Length; i++)
        {
            var w = weights[i];
            if (w == 0)
            {
                continue;
            }

            var a = source[i] - sourceCentroid;
            var b = target[i] - targetCentroid;
            sxx += w * a.X * b.X; sxy += w * a.X * b.Y; sxz += w * a.X * b.Z;
            syx += w * a.Y * b.X; syy += w * a.Y * b.Y; syz += w * a.Y * b.Z;
            szx += w * a.Z * b.X; szy += w * a.Z * b.Y; szz += w * a.Z * b.Z;
            sourceSpread += w * a.LengthSquared;
        }

        if (!(sourceSpread > 1e-300) || !double.IsFinite(sourceSpread))
        {
            throw new InvalidOperationException("Degenerate Procrustes problem: the weighted source points have no spread.");
        }

        // Horn (1987): the quaternion maximising Σ w b'·(R a') is the top eigenvector of N.
        ReadOnlySpan<double> n =
        [
            sxx + syy + szz, syz - szy, szx - sxz, sxy - syx,
            syz - szy, sxx - syy - szz, sxy + syx, szx + sxz,
            szx - sxz, sxy + syx, -sxx + syy - szz, syz + szy,
            sxy - syx, szx + sxz, syz + szy, -sxx - syy + szz,
        ];
        var (maxTrace, q) = SymmetricEigen4.Largest(n);
        var rotation = new QuaternionD(q[0], q[1], q[2], q[3]).ToMatrix();

        // The largest eigenvalue equals Σ w b'·(R a'); the scale that minimises the objective for
        // this rotation is that over Σ w ‖a'‖².
        var scale = maxTrace / sourceSpread;
        if (!(scale > 0))
        {
            throw new InvalidOperationException($"Degenerate Procrustes problem: the optimal scale is {scale}.");
        }

        var translation = targetCentroid - (scale * (rotation * sourceCentroid));
        return new SimilarityTransform(rotation, translation, scale);
    }

    /// <summary>The objective <c>Σ wᵢ ‖s R aᵢ + t − bᵢ‖²</c> of a transform.</summary>
    public static double Objective(SimilarityTransform transform, ReadOnlySpan<Vec3> source, ReadOnlySpan<Vec3> target, ReadOnlySpan<double> weights)
    {
        double sum = 0;
        for (var i = 0; i < source.Length; i++)
        {
            sum += weights[i] * (transform.Apply(source[i]) - target[i]).LengthSquared;
        }

        return sum;
    }
}
