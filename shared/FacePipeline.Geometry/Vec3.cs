namespace FacePipeline.Geometry;

/// <summary>A 3D point or vector in double precision.</summary>
public readonly record struct Vec3(double X, double Y, double Z)
{
    /// <summary>(0, 0, 0).</summary>
    public static Vec3 Zero => default;

    /// <summary>Euclidean length.</summary>
    public double Length => Math.Sqrt((X * X) + (Y * Y) + (Z * Z));

    /// <summary>Squared Euclidean length.</summary>
    public double LengthSquared => (X * X) + (Y * Y) + (Z * Z);

    /// <summary>Component-wise sum.</summary>
    public static Vec3 operator +(Vec3 a, Vec3 b) => new(a.X + b.X, a.Y + b.Y, a.Z + b.Z);

    /// <summary>Component-wise difference.</summary>
    public static Vec3 operator -(Vec3 a, Vec3 b) => new(a.X - b.X, a.Y - b.Y, a.Z - b.Z);

    /// <summary>Negation.</summary>
    public static Vec3 operator -(Vec3 a) => new(-a.X, -a.Y, -a.Z);

    /// <summary>Scaling.</summary>
    public static Vec3 operator *(Vec3 a, double s) => new(a.X * s, a.Y * s, a.Z * s);

    /// <summary>Scaling.</summary>
    public static Vec3 operator *(double s, Vec3 a) => new(a.X * s, a.Y * s, a.Z * s);

    /// <summary>Division by a scalar.</summary>
    public static Vec3 operator /(Vec3 a, double s) => new(a.X / s, a.Y / s, a.Z / s);

    /// <summary>Dot product.</summary>
    public static double Dot(Vec3 a, Vec3 b) => (a.X * b.X) + (a.Y * b.Y) + (a.Z * b.Z);

    /// <summary>Cross product.</summary>
    public static Vec3 Cross(Vec3 a, Vec3 b) =>
        new((a.Y * b.Z) - (a.Z * b.Y), (a.Z * b.X) - (a.X * b.Z), (a.X * b.Y) - (a.Y * b.X));

    /// <summary>Widens a single-precision vector.</summary>
    public static Vec3 From(System.Numerics.Vector3 v) => new(v.X, v.Y, v.Z);

    /// <summary>Narrows to single precision.</summary>
    public System.Numerics.Vector3 ToVector3() => new((float)X, (float)Y, (float)Z);

    /// <summary>Widens a span of single-precision vectors.</summary>
    public static Vec3[] From(ReadOnlySpan<System.Numerics.Vector3> points)
    {
        var result = new Vec3[points.Length];
        for (var i = 0; i < points.Length; i++)
        {
            result[i] = From(points[i]);
        }

        return result;
    }
}
