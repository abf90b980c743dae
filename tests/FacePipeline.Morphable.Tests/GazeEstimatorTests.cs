using System.Globalization;
using System.Text.Json;
using FacePipeline.Geometry;
using FacePipeline.TestSupport;
using Xunit.Abstractions;

namespace FacePipeline.Morphable.Tests;

/// <summary>
/// Gaze from the irises (<see cref="GazeEstimator"/>): closed-form checks on synthetic eyes, known moves of the irises of a
/// real face, the ARKit eyeLook mapping, and MediaPipe's own refined landmarks of the golden stills (<c>refined_cpu</c>).
/// </summary>
public sealed class GazeEstimatorTests(ITestOutputHelper output)
{
    private static readonly Lazy<CanonicalFaceMesh> Canonical = new(() => CanonicalFaceMesh.Load(RepoPaths.RequireFile(CanonicalFaceMesh.DefaultPath(RepoPaths.Models))));

    [Theory]
    [InlineData(0.0, 0.0, 0.0, 1.0)]
    [InlineData(0.5, -0.1, 25.0, 3.0)]
    [InlineData(-0.8, 0.2, -140.0, 0.25)]
    [Trait("Lane", "Fast")]
    public void An_iris_placed_between_synthetic_corners_reads_its_place_at_any_roll_scale_and_position(double across, double up, double rollDegrees, double scale)
    {
        // Level eyes 30 px wide, 10 px open; each iris at `across` half-widths from the middle (+ towards the subject's
        // left, the image's right) and `up` eye widths above the lid midline.
        var points = SyntheticFace(across, up, width: 30, opening: 10);
        var roll = rollDegrees * Math.PI / 180;
        var moved = points.Select(p => Transform(p, roll, scale, new Vec3(400, 250, 0))).ToArray();

        var gaze = GazeEstimator.Estimate(moved);

        foreach (var eye in new[] { gaze.Right, gaze.Left })
        {
            Assert.Equal(across, eye.Horizontal, 9);
            Assert.Equal(up, eye.Vertical, 9);
            Assert.Equal(10.0 / 30, eye.Opening, 9);
        }

        Assert.Equal(0, Math.IEEERemainder(gaze.RollRadians - roll, 2 * Math.PI), 9); // the roll that was removed
    }

    [Fact]
    public void Moving_the_irises_of_a_real_face_by_a_known_amount_moves_the_gaze_by_that_amount()
    {
        var points = Golden("astronaut").Refined!;
        var before = GazeEstimator.Estimate(points);
        var (a, b) = (points[33], points[133]);
        var width = Math.Sqrt(Math.Pow(b.X - a.X, 2) + Math.Pow(b.Y - a.Y, 2));
        var along = new Vec3((b.X - a.X) / width, (b.Y - a.Y) / width, 0);

        // The right iris 3 px along its corner line, the left 2 px "up" across the outer corners' line (the head's up).
        var (c, d) = (points[33], points[263]);
        var eyeLine = new Vec3(d.X - c.X, d.Y - c.Y, 0) / Math.Sqrt(Math.Pow(d.X - c.X, 2) + Math.Pow(d.Y - c.Y, 2));
        var headUp = new Vec3(eyeLine.Y, -eyeLine.X, 0);
        var moved = points.ToArray();
        for (var k = 468; k < 473; k++)
        {
            moved[k] += along * 3;
        }

        for (var k = 473; k < 478; k++)
        {
            moved[k] += headUp * 2;
        }

        var after = GazeEstimator.Estimate(moved);
        var leftWidth = Math.Sqrt(Math.Pow(points[263].X - points[362].X, 2) + Math.Pow(points[263].Y - points[362].Y, 2));
        var leftAlong = new Vec3(points[263].X - points[362].X, points[263].Y - points[362].Y, 0) / leftWidth;

        Assert.Equal(2 * 3 / width, after.Right.Horizontal - before.Right.Horizontal, 9); // 3 px of a half width
        Assert.Equal(3 * Vec3.Dot(along, headUp) / width, after.Right.Vertical - before.Right.Vertical, 9); // the corner line tilts against the eye line
        Assert.Equal(2 / leftWidth, after.Left.Vertical - before.Left.Vertical, 9);
        Assert.Equal(2 * Vec3.Dot(headUp * 2, leftAlong) / leftWidth, after.Left.Horizontal - before.Left.Horizontal, 9); // the eye line is not quite level
        Assert.Equal(before.Right.Opening, after.Right.Opening, 12);
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void Looking_to_the_subjects_left_is_out_for_the_left_eye_and_in_for_the_right_scaled_from_the_rest()
    {
        var m = GazeMapping.Default;
        var rest = GazeRest.Default(m);
        static float W(float[] weights, string name) => weights[GazeEstimator.EyeLookNames.ToList().IndexOf(name)];

        // Both irises a full scale (0.35 of the half width) towards the subject's left of their rest.
        var left = GazeEstimator.EyeLook(Gaze(rest.RightHorizontal + 0.35, rest.LeftHorizontal + 0.35, m.RestVertical, opening: 0.3));
        Assert.Equal(1f, W(left, "eyeLookOutLeft"), 5);
        Assert.Equal(1f, W(left, "eyeLookInRight"), 5);
        Assert.All(["eyeLookInLeft", "eyeLookOutRight", "eyeLookUpLeft", "eyeLookDownLeft", "eyeLookUpRight", "eyeLookDownRight"], n => Assert.Equal(0f, W(left, n)));

        // Half as far to the subject's right, and a little down: half the weights, on the other side.
        var right = GazeEstimator.EyeLook(Gaze(rest.RightHorizontal - 0.175, rest.LeftHorizontal - 0.175, m.RestVertical - 0.03, opening: 0.3));
        Assert.Equal(0.5f, W(right, "eyeLookOutRight"), 5);
        Assert.Equal(0.5f, W(right, "eyeLookInLeft"), 5);
        Assert.Equal(0.3f, W(right, "eyeLookDownLeft"), 5);
        Assert.Equal(0.3f, W(right, "eyeLookDownRight"), 5);
        Assert.Equal(0f, W(right, "eyeLookOutLeft"));

        // Beyond the full scale: clamped; at the rest: nothing; on a closing eye: faded out.
        Assert.All(GazeEstimator.EyeLook(Gaze(rest.RightHorizontal + 2, rest.LeftHorizontal + 2, m.RestVertical + 1, opening: 0.3)), w => Assert.InRange(w, 0f, 1f));
        Assert.All(GazeEstimator.EyeLook(Gaze(rest.RightHorizontal, rest.LeftHorizontal, m.RestVertical, opening: 0.3)), w => Assert.Equal(0f, w));
        Assert.All(GazeEstimator.EyeLook(Gaze(rest.RightHorizontal + 0.35, rest.LeftHorizontal + 0.35, m.RestVertical, opening: m.ClosedEye)), w => Assert.Equal(0f, w));
        var halfOpen = GazeEstimator.EyeLook(Gaze(rest.RightHorizontal + 0.35, rest.LeftHorizontal + 0.35, m.RestVertical, opening: (m.ClosedEye + m.OpenEye) / 2));
        Assert.Equal(0.5f, W(halfOpen, "eyeLookOutLeft"), 5);

        // An actor's own rest moves the zero.
        var own = new GazeRest(0.1, 0.05, 0.2, 0.05);
        Assert.All(GazeEstimator.EyeLook(Gaze(0.1, 0.2, 0.05, opening: 0.3), m, own), w => Assert.Equal(0f, w));
    }

    [Fact]
    public void Faces_looking_into_the_camera_read_little_gaze_and_the_Mona_Lisa_looks_to_her_left()
    {
        // MediaPipe's own refined landmarks of the golden stills. The video frames and the astronaut look into the lens;
        // frontal ones (|yaw| < 6°) have their eyes straight in the head. The two paintings turn the head one way and
        // look at the viewer: the eyes turn to the subject's left.
        var metric = new MetricLandmarks(Canonical.Value);
        var frontal = new List<(string Name, FaceGaze Gaze)>();
        foreach (var name in GoldenNames())
        {
            var golden = Golden(name);
            if (golden.Refined is not { } points || name.StartsWith("painting", StringComparison.Ordinal))
            {
                continue;
            }

            var yaw = metric.Estimate(points[..468], golden.Width, golden.Height).Pose.Angles.YawDegrees;
            var gaze = GazeEstimator.Estimate(points);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-30} yaw {yaw,6:F1}  right h {gaze.Right.Horizontal,6:F3} v {gaze.Right.Vertical,6:F3}  left h {gaze.Left.Horizontal,6:F3} v {gaze.Left.Vertical,6:F3}"));
            if (Math.Abs(yaw) < 6)
            {
                frontal.Add((name, gaze));
            }
        }

        var outward = frontal.Average(f => (f.Gaze.Left.Horizontal - f.Gaze.Right.Horizontal) / 2);
        var vertical = frontal.Average(f => (f.Gaze.Left.Vertical + f.Gaze.Right.Vertical) / 2);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{frontal.Count} frontal faces: iris towards the ear {outward:F3}, above the lid midline {vertical:F3}"));
        Assert.True(frontal.Count >= 15, $"{frontal.Count} frontal faces");

        // The rest position of the default mapping is these faces' mean, and each of them is near it: little gaze. Both
        // eyes to one side (the conjugate gaze) stays under 0.1 of a half width (0.3 of eyeLook's full scale); each eye
        // within 0.15 of the rest across and 0.05 eye widths up or down (people differ: the pipeline takes each
        // actor's own rest from their neutral frames).
        var rest = GazeRest.Default();
        Assert.Equal(GazeMapping.Default.RestOutward, outward, 0.01);
        Assert.Equal(GazeMapping.Default.RestVertical, vertical, 0.005);
        Assert.All(frontal, f =>
        {
            Assert.True(Math.Abs((f.Gaze.Right.Horizontal + f.Gaze.Left.Horizontal) / 2) < 0.1, $"{f.Name}: both eyes to one side");
            Assert.InRange(f.Gaze.Right.Horizontal - rest.RightHorizontal, -0.15, 0.15);
            Assert.InRange(f.Gaze.Left.Horizontal - rest.LeftHorizontal, -0.15, 0.15);
            Assert.InRange(f.Gaze.Right.Vertical - rest.RightVertical, -0.05, 0.05);
            Assert.InRange(f.Gaze.Left.Vertical - rest.LeftVertical, -0.05, 0.05);
        });

        foreach (var painting in new[] { "painting_leonardo_mona_lisa", "painting_vermeer_pearl_earring" })
        {
            var gaze = GazeEstimator.Estimate(Golden(painting).Refined!);
            var weights = GazeEstimator.EyeLook(gaze).Select((w, i) => (Name: GazeEstimator.EyeLookNames[i], Weight: w)).ToDictionary(p => p.Name, p => p.Weight);
            var listed = string.Join(", ", weights.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value:F2}")));
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{painting}: right h {gaze.Right.Horizontal:F3}, left h {gaze.Left.Horizontal:F3}; {listed}"));
            Assert.True(weights["eyeLookInRight"] > 0.2f && weights["eyeLookOutLeft"] > 0.2f, painting);
            Assert.Equal(0f, weights["eyeLookOutRight"]);
            Assert.Equal(0f, weights["eyeLookInLeft"]);
        }

        var mona = GazeEstimator.Estimate(Golden("painting_leonardo_mona_lisa").Refined!);
        Assert.True((mona.Right.Horizontal + mona.Left.Horizontal) / 2 > 0.15, "the Mona Lisa's eyes turn to her left");
    }

    private static FaceGaze Gaze(double rightHorizontal, double leftHorizontal, double vertical, double opening) =>
        new(new IrisGaze(rightHorizontal, vertical, opening), new IrisGaze(leftHorizontal, vertical, opening), 0);

    /// <summary>478 points: all at the origin but the eyes' corners, middle lids and iris centres (image axes, y down).</summary>
    private static Vec3[] SyntheticFace(double across, double up, double width, double opening)
    {
        var points = new Vec3[GazeEstimator.RefinedPointCount];
        foreach (var (outer, inner, upper, lower, iris, centreX) in new[] { (33, 133, 159, 145, 468, -40.0), (263, 362, 386, 374, 473, 40.0) })
        {
            var (rightSide, leftSide) = centreX < 0 ? (outer, inner) : (inner, outer);
            points[rightSide] = new Vec3(centreX - (width / 2), 0, 0);
            points[leftSide] = new Vec3(centreX + (width / 2), 0, 0);
            points[upper] = new Vec3(centreX + 3, -opening / 2, 0); // lid points off the middle: only their height counts
            points[lower] = new Vec3(centreX - 2, opening / 2, 0);
            points[iris] = new Vec3(centreX + (across * width / 2), -up * width, 0);
        }

        return points;
    }

    private static Vec3 Transform(Vec3 p, double roll, double scale, Vec3 offset) =>
        new Vec3((p.X * Math.Cos(roll)) - (p.Y * Math.Sin(roll)), (p.X * Math.Sin(roll)) + (p.Y * Math.Cos(roll)), p.Z) * scale + offset;

    private static IEnumerable<string> GoldenNames() =>
        Directory.EnumerateFiles(Path.Combine(RepoPaths.Goldens, "mediapipe"), "*.json")
            .Select(Path.GetFileNameWithoutExtension).OfType<string>().Where(n => n != "manifest").Order(StringComparer.Ordinal);

    /// <summary>A golden still's size and MediaPipe's refined landmarks in pixels (null when it found no face).</summary>
    private static (int Width, int Height, Vec3[]? Refined) Golden(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(RepoPaths.RequireFile(Path.Combine(RepoPaths.Goldens, "mediapipe", name + ".json"))));
        var root = doc.RootElement;
        var (width, height) = (root.GetProperty("width").GetInt32(), root.GetProperty("height").GetInt32());
        var refined = root.GetProperty("refined_cpu");
        Vec3[]? points = refined.ValueKind == JsonValueKind.Array && refined.GetArrayLength() == GazeEstimator.RefinedPointCount
            ? [.. refined.EnumerateArray().Select(p => new Vec3(p[0].GetDouble() * width, p[1].GetDouble() * height, p[2].GetDouble() * width))]
            : null;
        return (width, height, points);
    }
}
