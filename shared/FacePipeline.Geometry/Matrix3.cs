namespace FacePipeline.Geometry;

/// <summary>A 3x3 matrix in double precision, row-major (<c>M[row, column]</c>).</summary>
public readonly struct Matrix3 : IEquatable<Matrix3>
{
    private readonly double m00, m01, m02, m10, m11, m12, m20, m21, m22;

    /// <summary>Creates a matrix from its entries, row by row.</summary>
    public Matrix3(double m00, double m01, double m02, double m10, double m11, double m12, double m20, double m21, double m22)
    {
        this.m00 = m00; this.m01 = m01; this.m02 = m02;
        this.m10 = m10; this.m11 = m11; this.m12 = m12;
        this.m20 = m20; this.m21 = m21; this.m22 = m22;
    }

    /// <summary>The identity.</summary>
    public static Matrix3 Identity => new(1, 0, 0, 0, 1, 0, 0, 0, 1);

    /// <summary>Entry at (row, column), both 0..2.</summary>
    public double this[int row, int column] => (row, column) switch
    {
        (0, 0) => m00, (0, 1) => m01, (0, 2) => m02,
        (1, 0) => m10, (1, 1) => m11, (1, 2) => m12,
        (2, 0) => m20, (2, 1) => m21, (2, 2) => m22,
        _ => throw new ArgumentOutOfRangeException(nameof(row)),
    };

    /// <summary>Builds a matrix whose rows are the given vectors.</summary>
    public static Matrix3 FromRows(Vec3 r0, Vec3 r1, Vec3 r2) => new(r0.X, r0.Y, r0.Z, r1.X, r1.Y, r1.Z, r2.X, r2.Y, r2.Z);

    /// <summary>Builds a matrix whose columns are the given vectors.</summary>
    public static Matrix3 FromColumns(Vec3 c0, Vec3 c1, Vec3 c2) => new(c0.X, c1.X, c2.X, c0.Y, c1.Y, c2.Y, c0.Z, c1.Z, c2.Z);

    /// <summary>Row <paramref name="i"/>.</summary>
    public Vec3 Row(int i) => new(this[i, 0], this[i, 1], this[i, 2]);

    /// <summary>Column <paramref name="i"/>.</summary>
    public Vec3 Column(int i) => new(this[0, i], this[1, i], this[2, i]);

    /// <summary>The transpose.</summary>
    public Matrix3 Transpose() => new(m00, m10, m20, m01, m11, m21, m02, m12, m22);

    /// <summary>The determinant.</summary>
    public double Determinant() =>
        (m00 * ((m11 * m22) - (m12 * m21))) - (m01 * ((m10 * m22) - (m12 * m20))) + (m02 * ((m10 * m21) - (m11 * m20)));

    /// <summary>Sum of the diagonal.</summary>
    public double Trace() => m00 + m11 + m22;

    /// <summary>Frobenius norm.</summary>
    public double FrobeniusNorm()
    {
        double s = 0;
        for (var r = 0; r < 3; r++)
        {
            for (var c = 0; c < 3; c++)
            {
                s += this[r, c] * this[r, c];
            }
        }

        return Math.Sqrt(s);
    }

    /// <summary>Matrix product.</summary>
    public static Matrix3 operator *(Matrix3 a, Matrix3 b)
    {
        Span<double> r = stackalloc double[9];
        for (var i = 0; i < 3; i++)
        {
            for (var j = 0; j < 3; j++)
            {
                r[(i * 3) + j] = (a[i, 0] * b[0, j]) + (a[i, 1] * b[1, j]) + (a[i, 2] * b[2, j]);
            }
        }

        return new(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]);
    }

    /// <summary>Matrix times column vector.</summary>
    public static Vec3 operator *(Matrix3 a, Vec3 v) => new(
        (a.m00 * v.X) + (a.m01 * v.Y) + (a.m02 * v.Z),
        (a.m10 * v.X) + (a.m11 * v.Y) + (a.m12 * v.Z),
        (a.m20 * v.X) + (a.m21 * v.Y) + (a.m22 * v.Z));

    /// <summary>Entry-wise scaling.</summary>
    public static Matrix3 operator *(double s, Matrix3 a) => new(
        s * a.m00, s * a.m01, s * a.m02, s * a.m10, s * a.m11, s * a.m12, s * a.m20, s * a.m21, s * a.m22);

    /// <summary>Entry-wise difference.</summary>
    public static Matrix3 operator -(Matrix3 a, Matrix3 b) => new(
        a.m00 - b.m00, a.m01 - b.m01, a.m02 - b.m02, a.m10 - b.m10, a.m11 - b.m11, a.m12 - b.m12, a.m20 - b.m20, a.m21 - b.m21, a.m22 - b.m22);

    /// <summary>Rotation by <paramref name="radians"/> about +X (right-handed).</summary>
    public static Matrix3 RotationX(double radians)
    {
        var (s, c) = Math.SinCos(radians);
        return new(1, 0, 0, 0, c, -s, 0, s, c);
    }

    /// <summary>Rotation by <paramref name="radians"/> about +Y (right-handed).</summary>
    public static Matrix3 RotationY(double radians)
    {
        var (s, c) = Math.SinCos(radians);
        return new(c, 0, s, 0, 1, 0, -s, 0, c);
    }

    /// <summary>Rotation by <paramref name="radians"/> about +Z (right-handed).</summary>
    public static Matrix3 RotationZ(double radians)
    {
        var (s, c) = Math.SinCos(radians);
        return new(c, -s, 0, s, c, 0, 0, 0, 1);
    }

    /// <summary>Rotation by <paramref name="radians"/> about a unit <paramref name="axis"/> (Rodrigues).</summary>
    public static Matrix3 AxisAngle(Vec3 axis, double radians)
    {
        var n = axis / axis.Length;
        var (s, c) = Math.SinCos(radians);
        var t = 1 - c;
        return new(
            (t * n.X * n.X) + c, (t * n.X * n.Y) - (s * n.Z), (t * n.X * n.Z) + (s * n.Y),
            (t * n.X * n.Y) + (s * n.Z), (t * n.Y * n.Y) + c, (t * n.Y * n.Z) - (s * n.X),
            (t * n.X * n.Z) - (s * n.Y), (t * n.Y * n.Z) + (s * n.X), (t * n.Z * n.Z) + c);
    }

    /// <summary>
    /// The angle in radians of the rotation that takes this rotation to <paramref name="other"/>
    /// (geodesic distance on SO(3)); both must be rotations.
    /// </summary>
    public double AngleTo(Matrix3 other)
    {
        var cos = ((Transpose() * other).Trace() - 1) / 2;
        // acos loses precision near 0; use the antisymmetric part for small angles.
        var d = Transpose() * other;
        var sin = new Vec3(d[2, 1] - d[1, 2], d[0, 2] - d[2, 0], d[1, 0] - d[0, 1]).Length / 2;
        return Math.Atan2(sin, Math.Clamp(cos, -1, 1));
    }

    /// <inheritdoc />
    public bool Equals(Matrix3 other) =>
        m00.Equals(other.m00) && m01.Equals(other.m01) && m02.Equals(other.m02) &&
        m10.Equals(other.m10) && m11.Equals(other.m11) && m12.Equals(other.m12) &&
        m20.Equals(other.m20) && m21.Equals(other.m21) && m22.Equals(other.m22);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Matrix3 m && Equals(m);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(HashCode.Combine(m00, m01, m02, m10, m11), HashCode.Combine(m12, m20, m21, m22));

    /// <summary>Equality of every entry.</summary>
    public static bool operator ==(Matrix3 left, Matrix3 right) => left.Equals(right);

    /// <summary>Inequality of some entry.</summary>
    public static bool operator !=(Matrix3 left, Matrix3 right) => !left.Equals(right);

    /// <inheritdoc />
    public override string ToString() =>
        FormattableString.Invariant($"[{m00:G6} {m01:G6} {m02:G6}; {m10:G6} {m11:G6} {m12:G6}; {m20:G6} {m21:G6} {m22:G6}]");
}
