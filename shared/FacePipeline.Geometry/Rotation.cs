namespace FacePipeline.Geometry;

/// <summary>A quaternion (W + Xi + Yj + Zk) in double precision; unit quaternions are rotations.</summary>
public readonly record struct QuaternionD(double W, double X, double Y, double Z)
{
    /// <summary>Euclidean norm of the four components.</summary>
    public double Norm => Math.Sqrt((W * W) + (X * X) + (Y * Y) + (Z * Z));

    /// <summary>This quaternion scaled to unit norm.</summary>
    public QuaternionD Normalized()
    {
        var n = Norm;
        return n > 0 ? new(W / n, X / n, Y / n, Z / n) : throw new InvalidOperationException("A zero quaternion has no direction.");
    }

    /// <summary>Four-component dot product.</summary>
    public static double Dot(QuaternionD a, QuaternionD b) => (a.W * b.W) + (a.X * b.X) + (a.Y * b.Y) + (a.Z * b.Z);

    /// <summary>The rotation matrix of this quaternion (normalised first).</summary>
    public Matrix3 ToMatrix()
    {
        var q = Normalized();
        double w = q.W, x = q.X, y = q.Y, z = q.Z;
        return new(
            1 - (2 * ((y * y) + (z * z))), 2 * ((x * y) - (w * z)), 2 * ((x * z) + (w * y)),
            2 * ((x * y) + (w * z)), 1 - (2 * ((x * x) + (z * z))), 2 * ((y * z) - (w * x)),
            2 * ((x * z) - (w * y)), 2 * ((y * z) + (w * x)), 1 - (2 * ((x * x) + (y * y))));
    }

    /// <summary>The unit quaternion of a rotation matrix (Shepperd's method), with W ≥ 0.</summary>
    public static QuaternionD FromMatrix(Matrix3 r)
    {
        var trace = r.Trace();
        QuaternionD q;
        if (trace > r[0, 0] && trace > r[1, 1] && trace > r[2, 2])
        {
            var s = 2 * Math.Sqrt(1 + trace);
            q = new(s / 4, (r[2, 1] - r[1, 2]) / s, (r[0, 2] - r[2, 0]) / s, (r[1, 0] - r[0, 1]) / s);
        }
        else if (r[0, 0] >= r[1, 1] && r[0, 0] >= r[2, 2])
        {
            var s = 2 * Math.Sqrt(1 + r[0, 0] - r[1, 1] - r[2, 2]);
            q = new((r[2, 1] - r[1, 2]) / s, s / 4, (r[0, 1] + r[1, 0]) / s, (r[0, 2] + r[2, 0]) / s);
        }
        else if (r[1, 1] >= r[2, 2])
        {
            var s = 2 * Math.Sqrt(1 - r[0, 0] + r[1, 1] - r[2, 2]);
            q = new((r[0, 2] - r[2, 0]) / s, (r[0, 1] + r[1, 0]) / s, s / 4, (r[1, 2] + r[2, 1]) / s);
        }
        else
        {
            var s = 2 * Math.Sqrt(1 - r[0, 0] - r[1, 1] + r[2, 2]);
            q = new((r[1, 0] - r[0, 1]) / s, (r[0, 2] + r[2, 0]) / s, (r[1, 2] + r[2, 1]) / s, s / 4);
        }

        q = q.Normalized();
        return q.W < 0 ? new(-q.W, -q.X, -q.Y, -q.Z) : q;
    }
}

/// <summary>
/// Head-pose Euler angles in degrees, in the metric camera frame of <see cref="PerspectiveCamera"/>
/// (right-handed: +X to the image's right, +Y up, +Z towards the viewer; the camera looks down −Z).
/// <para>
/// Convention: <c>R = R_y(yaw) · R_x(pitch) · R_z(roll)</c> (intrinsic Y, then X', then Z''),
/// where R maps the canonical face (looking down +Z, at the camera) into the camera frame.
/// Positive <b>yaw</b> turns the nose towards +X (the image's right, the subject's own left);
/// positive <b>pitch</b> turns the nose down (−Y, the subject looks down);
/// positive <b>roll</b> turns the face anticlockwise in the image (the top of the head moves towards
/// the image's left).
/// Pitch is limited to ±90°; at exactly ±90° yaw and roll are not separable (gimbal lock).
/// </para>
/// </summary>
public readonly record struct EulerAngles(double YawDegrees, double PitchDegrees, double RollDegrees)
{
    /// <summary>The rotation <c>R_y(yaw) · R_x(pitch) · R_z(roll)</c>.</summary>
    public Matrix3 ToMatrix() =>
        Matrix3.RotationY(YawDegrees * Math.PI / 180) * Matrix3.RotationX(PitchDegrees * Math.PI / 180) * Matrix3.RotationZ(RollDegrees * Math.PI / 180);

    /// <summary>The angles of a rotation matrix (see the type's convention).</summary>
    public static EulerAngles FromMatrix(Matrix3 r)
    {
        // R = Ry Rx Rz gives R[1,2] = -sin(pitch), R[0,2] = sin(yaw)cos(pitch), R[2,2] = cos(yaw)cos(pitch),
        // R[1,0] = cos(pitch)sin(roll), R[1,1] = cos(pitch)cos(roll).
        var pitch = Math.Asin(Math.Clamp(-r[1, 2], -1, 1));
        var yaw = Math.Atan2(r[0, 2], r[2, 2]);
        var roll = Math.Atan2(r[1, 0], r[1, 1]);
        const double deg = 180 / Math.PI;
        return new(yaw * deg, pitch * deg, roll * deg);
    }
}
