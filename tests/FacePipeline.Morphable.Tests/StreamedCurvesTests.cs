using System.Text;
using FacePipeline.Geometry;

namespace FacePipeline.Morphable.Tests;

/// <summary>
/// The curves fitted and written frame by frame (<see cref="BlendshapeCurvesStream"/>, issue 16: memory flat in length)
/// are the bytes of the animation fitted in memory and written in one piece.
/// </summary>
[Collection(IctModelCollection.Name)]
public sealed class StreamedCurvesTests(BlendshapeFixture fixture)
{
    private const int Width = 1280;
    private const int Height = 720;
    private static readonly RationalFrameRate Rate = new(30000, 1001);

    /// <summary>The Obama golden clip's landmarks, lost at the start, in the middle and at the end; irises from the eye corners, moving.</summary>
    private (List<Vec3[]?> Landmarks, List<Vec3[]?> Irises, List<double> Times) Clip()
    {
        var pixels = fixture.Obama.Pixels;
        var landmarks = pixels.Select((p, f) => f is < 3 or (>= 40 and < 47) or >= 110 ? null : p).ToList();
        var irises = pixels.Select((p, f) =>
        {
            if (landmarks[f] is null || f % 10 == 5)
            {
                return null; // some frames without irises
            }

            var shift = 2 * Math.Sin(f * 0.3);
            Vec3 Centre(int a, int b) => new(((p[a].X + p[b].X) / 2) + shift, (p[a].Y + p[b].Y) / 2, (p[a].Z + p[b].Z) / 2);
            var (r, l) = (Centre(33, 133), Centre(362, 263));
            var radius = (p[133] - p[33]).Length / 5;
            return (Vec3[]?)[r, r + new Vec3(radius, 0, 0), r - new Vec3(0, radius, 0), r - new Vec3(radius, 0, 0), r + new Vec3(0, radius, 0),
                l, l + new Vec3(radius, 0, 0), l - new Vec3(0, radius, 0), l - new Vec3(radius, 0, 0), l + new Vec3(0, radius, 0)];
        }).ToList();
        return (landmarks, irises, [.. pixels.Select((_, f) => Rate.FrameTime(f) + 0.001)]);
    }

    private static (byte[] Csv, byte[] Json) InOnePiece(BlendshapeAnimation animation, string source)
    {
        using var csv = new MemoryStream();
        using (var writer = new StreamWriter(csv, new UTF8Encoding(false), leaveOpen: true))
        {
            LiveLinkFaceCsv.Write(writer, animation);
        }

        using var json = new MemoryStream();
        BlendshapeCurvesJson.Write(json, animation, source);
        return (csv.ToArray(), json.ToArray());
    }

    [Theory]
    [InlineData(null)]
    [InlineData(20)]
    public void Curves_streamed_from_screen_landmarks_are_the_bytes_of_the_animation_written_in_one_piece(int? neutralFrame)
    {
        var (landmarks, irises, times) = Clip();
        var metric = new MetricLandmarks(fixture.Canonical);
        var animation = BlendshapeAnimation.FromScreenLandmarks(fixture.Fitter, metric, landmarks, Width, Height, Rate, times, neutralFrame, irises);
        var (csv, json) = InOnePiece(animation, "obama.mp4");

        using var streamedCsv = new MemoryStream();
        using var streamedJson = new MemoryStream();
        using (var writer = new StreamWriter(streamedCsv, new UTF8Encoding(false), leaveOpen: true))
        {
            BlendshapeCurvesStream.FromScreenLandmarks(
                fixture.Fitter, metric, landmarks.Count, landmarks.Select((l, f) => new ScreenFaceFrame(times[f], l, irises[f])), Width, Height, Rate, neutralFrame, writer, streamedJson, "obama.mp4");
        }

        Assert.Contains(animation.Frames, f => f.Status == FrameFitStatus.Held);
        Assert.Contains(animation.Frames, f => f.Status == FrameFitStatus.Interpolated);
        Assert.Contains(animation.Gaze, g => g is not null);
        Assert.Equal(Encoding.UTF8.GetString(csv), Encoding.UTF8.GetString(streamedCsv.ToArray()));
        Assert.Equal(Encoding.UTF8.GetString(json), Encoding.UTF8.GetString(streamedJson.ToArray()));
    }

    [Fact]
    public void Curves_streamed_with_a_known_neutral_are_the_bytes_of_the_animation_written_in_one_piece()
    {
        var (landmarks, irises, times) = Clip();
        var metric = new MetricLandmarks(fixture.Canonical);
        var faces = landmarks.Select(l => l is null ? null : metric.Estimate(l, Width, Height) is var g ? new PoseFreeFace(g.PoseFreeLandmarks, g.Pose) : null).ToList();
        var gaze = landmarks.Select((l, f) => l is not null && irises[f] is { } i ? GazeEstimator.Estimate(l, i) : (FaceGaze?)null).ToList();
        var neutral = fixture.Obama.Geometry[0].PoseFreeLandmarks;
        var animation = BlendshapeAnimation.CreateWithNeutral(fixture.Fitter, faces, Rate, times, neutral, gaze);
        var (csv, json) = InOnePiece(animation, "performer.mp4");

        using var streamedCsv = new MemoryStream();
        using var streamedJson = new MemoryStream();
        using (var writer = new StreamWriter(streamedCsv, new UTF8Encoding(false), leaveOpen: true))
        {
            BlendshapeCurvesStream.WithNeutral(
                fixture.Fitter, faces.Count, faces.Select((face, f) => new PoseFreeFaceFrame(times[f], face, gaze[f])), Rate, neutral, writer, streamedJson, "performer.mp4");
        }

        Assert.Equal(Encoding.UTF8.GetString(csv), Encoding.UTF8.GetString(streamedCsv.ToArray()));
        Assert.Equal(Encoding.UTF8.GetString(json), Encoding.UTF8.GetString(streamedJson.ToArray()));
    }
}
