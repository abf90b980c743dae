using System.Diagnostics;
using System.Text.Json;
using FacePipeline.Geometry;
using FacePipeline.TestSupport;

namespace FacePipeline.Morphable.Tests;

/// <summary>
/// The heavy parts of the blendshape tests, computed once for the collection: the model (through
/// the binary cache), MediaPipe's canonical mesh, the correspondence (computed, not read from a
/// cache), a fitter with the default options, and the fits of the two golden clips.
/// </summary>
public sealed class BlendshapeFixture
{
    private readonly Lazy<IctFaceModel> model = new(() => IctFaceModel.Load(IctModelFixture.Folder));
    private readonly Lazy<CanonicalFaceMesh> canonical = new(() =>
        CanonicalFaceMesh.Load(RepoPaths.RequireFile(CanonicalFaceMesh.DefaultPath(RepoPaths.Models))));

    private readonly Lazy<MediaPipeCorrespondence> correspondence;
    private readonly Lazy<BlendshapeFitter> fitter;
    private readonly Lazy<GoldenClipFit> grid;
    private readonly Lazy<GoldenClipFit> obama;

    public BlendshapeFixture()
    {
        correspondence = new(() =>
        {
            var watch = Stopwatch.StartNew();
            var result = MediaPipeCorrespondence.Compute(Model, Canonical);
            CorrespondenceTime = watch.Elapsed;
            return result;
        });
        fitter = new(() => new BlendshapeFitter(Model, Correspondence));
        grid = new(() => GoldenClipFit.Fit(Fitter, Canonical, "grid_lbbc2a", 360, 288, new RationalFrameRate(25)));
        obama = new(() => GoldenClipFit.Fit(Fitter, Canonical, "obama_wh_closeup", 1280, 720, new RationalFrameRate(30000, 1001)));
    }

    public IctFaceModel Model => model.Value;

    public CanonicalFaceMesh Canonical => canonical.Value;

    public MediaPipeCorrespondence Correspondence => correspondence.Value;

    public TimeSpan CorrespondenceTime { get; private set; }

    /// <summary>A fitter with <see cref="BlendshapeFitOptions.Default"/>.</summary>
    public BlendshapeFitter Fitter => fitter.Value;

    /// <summary>GRID talker lbbc2a (25 fps, 75 frames, speech, no blink).</summary>
    public GoldenClipFit Grid => grid.Value;

    /// <summary>Obama close-up (29.97 fps, 115 frames, speech, three blinks).</summary>
    public GoldenClipFit Obama => obama.Value;
}

/// <summary>A golden clip (MediaPipe's own landmarks on every frame) taken through the geometry pipeline and fitted.</summary>
public sealed record GoldenClipFit(
    string Clip,
    IReadOnlyList<Vec3[]> Pixels,
    IReadOnlyList<FaceGeometry> Geometry,
    BlendshapeAnimation Animation,
    double[] LipGap,
    double[] LeftEyeOpening,
    double[] RightEyeOpening,
    double[] InterOcular)
{
    public static GoldenClipFit Fit(BlendshapeFitter fitter, CanonicalFaceMesh canonical, string clip, int width, int height, RationalFrameRate rate)
    {
        var path = RepoPaths.RequireFile(Path.Combine(RepoPaths.Goldens, "mediapipe-tracking", clip + ".json"));
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var metric = new MetricLandmarks(canonical);
        var pixels = doc.RootElement.GetProperty("landmarks").EnumerateArray()
            .Select(frame => frame.EnumerateArray().Select(p => new Vec3(p[0].GetDouble() * width, p[1].GetDouble() * height, p[2].GetDouble() * width)).ToArray())
            .ToList();
        var geometry = pixels.Select(px => metric.Estimate(px, width, height)).ToList();
        var faces = geometry.Select(g => (PoseFreeFace?)new PoseFreeFace(g.PoseFreeLandmarks, g.Pose)).ToList();
        var animation = BlendshapeAnimation.Create(fitter, faces, rate);
        return new GoldenClipFit(
            clip,
            pixels,
            geometry,
            animation,
            [.. geometry.Select(g => MediaPipeFaceIndices.InnerLipGap(g.PoseFreeLandmarks))],
            [.. geometry.Select(g => MediaPipeFaceIndices.EyeOpening(g.PoseFreeLandmarks, leftEye: true))],
            [.. geometry.Select(g => MediaPipeFaceIndices.EyeOpening(g.PoseFreeLandmarks, leftEye: false))],
            [.. geometry.Select(g => MediaPipeFaceIndices.InterOcularDistance(g.PoseFreeLandmarks))]);
    }

    /// <summary>An ARKit curve of the fit.</summary>
    public double[] Curve(string arkitName)
    {
        var index = ArkitBlendshapes.IndexOf(arkitName);
        Assert.True(index >= 0, arkitName);
        return [.. Animation.Frames.Select(f => (double)f.Weights[index])];
    }
}

public static class Stats
{
    public static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
        Assert.Equal(x.Count, y.Count);
        var mx = x.Average();
        var my = y.Average();
        double sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < x.Count; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }

        return sxy / Math.Sqrt(sxx * syy);
    }
}
