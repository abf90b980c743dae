using System.Globalization;
using System.Text.Json;
using FacePipeline.Contracts;
using FacePipeline.Face;
using FacePipeline.Geometry;
using FacePipeline.Media;
using FacePipeline.Morphable;
using FacePipeline.Reconstruction;
using FacePipeline.Rendering;
using FacePipeline.Storage;
using FacePipeline.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace FacePipeline.Stages.Tests;

/// <summary>
/// A track job's stages chained by hand on real clips (no broker) with the refined landmark model, as the
/// Reconstruction service runs it by default: irises in the records, tracking.json and tracking.fptk, and the
/// measured gaze in the blendshape curves (the Rendering service's ICT-FaceKit writer).
/// </summary>
public sealed class RefinedTrackJobTests(ITestOutputHelper output) : IDisposable
{
    private static readonly ModelPaths Models = new(RepoPaths.Models);
    private readonly MediaStore _store = new(RepoPaths.NewScratchFolder("refined-track"));
    private readonly CanonicalFaceMesh _mesh = CanonicalFaceMesh.Load(Models.FaceGeometry);
    private readonly Guid _jobId = Guid.NewGuid();

    public void Dispose() => Directory.Delete(_store.Root, recursive: true);

    [Fact]
    public async Task The_reconstruction_stage_records_irises_that_reach_tracking_json_and_the_binary_beside_the_468_landmarks()
    {
        var (tracking, binary, curves) = await TrackJob("grid_lbbc2a.mp4", chunkSize: 20);

        Assert.Equal(TrackingModels.Refined, tracking.Models);
        var faces = tracking.Frames.Select(f => Assert.Single(f.Faces)).ToList();
        Assert.Equal(75, faces.Count);
        Assert.All(faces, f => Assert.Equal((0, 468, 468, 10), (f.TrackId, f.Landmarks.Length, f.Expression!.Length, f.Irises!.Length)));
        Assert.Equal(faces[30].Irises, binary[30].Faces[0].Irises);
        Assert.Equal(faces[30].Landmarks, binary[30].Faces[0].Landmarks);
        Assert.All(faces, f =>
        {
            // Filtered with the landmarks, the iris centres stay between their eyes' corners.
            Assert.InRange(f.Irises![FaceRecord.RightIrisCentre][0], f.Landmarks[33][0], f.Landmarks[133][0]);
            Assert.InRange(f.Irises[FaceRecord.LeftIrisCentre][0], f.Landmarks[362][0], f.Landmarks[263][0]);
        });

        // The blendshape curves: one Live Link Face row per frame, every gaze weight in [0, 1].
        Assert.Equal(75, curves.Frames.Count);
        Assert.All(GazeColumns(curves), column => Assert.All(column.Values, w => Assert.InRange(w, 0f, 1f)));
    }

    [Fact]
    public async Task On_a_talk_to_the_camera_the_eyeLook_curves_turn_against_the_head_as_the_eyes_stay_on_the_lens()
    {
        // Obama reads to the camera while his head turns by ±9° of yaw: relative to the head, the eyes turn the other way.
        var (tracking, _, curves) = await TrackJob("obama_wh_closeup.mp4", chunkSize: 64);

        var faces = tracking.Frames.Select(f => Assert.Single(f.Faces)).ToList();
        var yaw = faces.Select(f => f.Pose!.Yaw).ToArray();
        var columns = GazeColumns(curves);
        double[] Column(string name) => [.. columns.Single(c => c.Name == name).Values.Select(v => (double)v)];

        // Towards the subject's left: right eye "in", left eye "out" (and back).
        var rightEye = Column("eyeLookInRight").Zip(Column("eyeLookOutRight"), (a, b) => a - b).ToArray();
        var leftEye = Column("eyeLookOutLeft").Zip(Column("eyeLookInLeft"), (a, b) => a - b).ToArray();
        var rRight = Pearson(rightEye, yaw);
        var rLeft = Pearson(leftEye, yaw);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"yaw {yaw.Min():F1}..{yaw.Max():F1} deg; r(right eye towards the subject's left, yaw) = {rRight:F3}, left eye {rLeft:F3}; " +
            $"max weights {string.Join(", ", columns.Select(c => $"{c.Name} {c.Values.Max():F2}"))}"));

        Assert.All(columns, column => Assert.All(column.Values, w => Assert.InRange(w, 0f, 1f)));
        Assert.Contains(columns, c => c.Values.Max() > 0.2f); // the columns are filled, not held at 0
        Assert.True(rRight <= -0.5, $"r = {rRight:F3}");
        Assert.True(rLeft <= -0.5, $"r = {rLeft:F3}");

        // Where the head faces the camera (|yaw| < 3°), the eyes look straight out of it: little gaze either way.
        var frontal = Enumerable.Range(0, yaw.Length).Where(f => Math.Abs(yaw[f]) < 3).ToArray();
        Assert.True(frontal.Length >= 20, $"{frontal.Length} frontal frames");
        Assert.True(frontal.Average(f => Math.Abs(rightEye[f])) < 0.2 && frontal.Average(f => Math.Abs(leftEye[f])) < 0.2);
    }

    [Fact]
    public async Task The_reconstruction_stage_with_the_468_point_model_records_no_irises_and_its_curves_no_gaze()
    {
        var (tracking, binary, curves) = await TrackJob("grid_lbbc2a.mp4", chunkSize: 40, refined: false);

        Assert.Equal(TrackingModels.Current, tracking.Models);
        Assert.All(tracking.Frames.SelectMany(f => f.Faces), f => Assert.Null(f.Irises));
        Assert.All(binary.SelectMany(f => f.Faces), f => Assert.Null(f.Irises));
        Assert.All(GazeColumns(curves), column => Assert.True(column.Values.Max() < 0.2f, $"{column.Name} {column.Values.Max():F2} without irises"));
    }

    [Fact]
    public void The_refined_model_setting_defaults_to_on_can_be_turned_off_and_refuses_what_is_not_a_boolean()
    {
        static ReconstructionOptions Read(string? value) => ReconstructionOptions.Read(new ConfigurationBuilder()
            .AddInMemoryCollection(value is null ? [] : new Dictionary<string, string?> { ["Reconstruction:RefinedLandmarks"] = value })
            .Build());

        Assert.True(Read(null).RefinedLandmarks);
        Assert.False(Read("false").RefinedLandmarks);
        Assert.True(Read("True").RefinedLandmarks);
        var error = Assert.Throws<InvalidOperationException>(() => Read("yes please"));
        Assert.Contains("Reconstruction__RefinedLandmarks", error.Message, StringComparison.Ordinal);

        using (var on = Models.OpenLandmarkModel(refined: true))
        using (var off = Models.OpenLandmarkModel(refined: false))
        {
            Assert.Equal((FaceLandmarkModel.RefinedName, FaceLandmarkModel.MeshName), (on.Name, off.Name));
        }

        // A models folder without the refined model: the 468-point one, whichever the setting.
        var root = RepoPaths.NewScratchFolder("models-468");
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "mediapipe-face-mesh"));
            File.Copy(Models.FaceLandmarks, Path.Combine(root, "mediapipe-face-mesh", "face_landmark.onnx"));
            var without = new ModelPaths(root);
            using var fallback = without.OpenLandmarkModel(refined: true);
            Assert.False(without.HasRefinedFaceLandmarks);
            Assert.Equal(FaceLandmarkModel.MeshName, fallback.Name);
            Assert.Throws<FileNotFoundException>(() => without.RefinedFaceLandmarks);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Extraction, reconstruction (the service's stage, either landmark model), rendering with the ICT curves writer.</summary>
    private async Task<(TrackingDocument Tracking, List<FrameRecord> Binary, CurvesJson Curves)> TrackJob(string clip, int chunkSize, bool refined = true)
    {
        var inputKey = MediaKeys.Input(_jobId, ClipNames.Source, ".mp4");
        Directory.CreateDirectory(Path.GetDirectoryName(_store.PathFor(inputKey))!);
        File.Copy(RepoPaths.MediaFile(clip), _store.PathFor(inputKey));
        var extracted = await new FrameExtractionStage(_store, MediaLimits.Default)
            .RunAsync(new ExtractFrames(_jobId, ClipNames.Source, inputKey, chunkSize), CancellationToken.None);

        using var detector = new BlazeFaceDetector(Models.FaceDetector);
        using var landmarks = Models.OpenLandmarkModel(refined);
        var reconstruction = new FaceReconstructionStage(_store, detector, landmarks);
        var chunks = new List<TrackChunk>();
        foreach (var chunk in extracted.Chunks)
        {
            var key = MediaKeys.Faces(_jobId, ClipNames.Source, chunk.Index);
            await reconstruction.RunAsync(
                new ReconstructFaces(_jobId, ClipNames.Source, inputKey, chunk, extracted.Video.Width, extracted.Video.Height, extracted.TimelineKey, key, MaxFaces: 1), CancellationToken.None);
            chunks.Add(new TrackChunk(chunk, key));
        }

        var writer = new IctTrackCurvesWriter(Models, _mesh, NullLogger<IctTrackCurvesWriter>.Instance);
        var rendered = await new TrackRenderStage(_store, _mesh, writer).RunAsync(
            new RenderTrackOutputs(
                _jobId, clip, inputKey, extracted.Video, chunks, extracted.TimelineKey, extracted.AudioKey,
                MediaKeys.Output(_jobId, OutputNames.QcClip), MediaKeys.Output(_jobId, OutputNames.Tracking), MediaKeys.Output(_jobId, OutputNames.TrackingBinary), NeutralFrame: null),
            CancellationToken.None);

        TrackingDocument tracking;
        await using (var stream = _store.OpenRead(rendered.TrackingKey))
        {
            tracking = await TrackingJson.ReadAsync(stream, CancellationToken.None);
        }

        List<FrameRecord> binary;
        await using (var stream = _store.OpenRead(rendered.TrackingBinaryKey))
        {
            binary = TrackingBinary.Read(stream);
        }

        Assert.NotNull(rendered.BlendshapesJsonKey); // the ICT model is installed by the setup
        var csv = (await File.ReadAllLinesAsync(_store.PathFor(rendered.BlendshapesCsvKey!))).Where(l => l.Length > 0).ToArray();
        Assert.Equal(extracted.Video.FrameCount + 1, csv.Length);
        var curves = JsonSerializer.Deserialize<CurvesJson>(await File.ReadAllBytesAsync(_store.PathFor(rendered.BlendshapesJsonKey!)), new JsonSerializerOptions(JsonSerializerDefaults.Web))!;

        // The CSV's gaze columns are the JSON's (six and five decimals).
        var header = csv[0].Split(',');
        var column = Array.IndexOf(header, "EyeLookInRight");
        var index = curves.Names.ToList().IndexOf("eyeLookInRight");
        Assert.All(Enumerable.Range(0, curves.Frames.Count), f =>
            Assert.Equal(curves.Frames[f].Weights[index], double.Parse(csv[f + 1].Split(',')[column], CultureInfo.InvariantCulture), tolerance: 2e-5));
        return (tracking, binary, curves);
    }

    /// <summary>The eight gaze curves of blendshapes.json (ARKit names).</summary>
    private static List<(string Name, float[] Values)> GazeColumns(CurvesJson curves) =>
        [.. GazeEstimator.EyeLookNames.Select(name =>
        {
            var index = curves.Names.ToList().IndexOf(name);
            Assert.True(index >= 0, name);
            return (name, curves.Frames.Select(f => f.Weights[index]).ToArray());
        })];

    private static double Pearson(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        var (ma, mb) = (a.Average(), b.Average());
        double ab = 0, aa = 0, bb = 0;
        for (var i = 0; i < a.Count; i++)
        {
            ab += (a[i] - ma) * (b[i] - mb);
            aa += (a[i] - ma) * (a[i] - ma);
            bb += (b[i] - mb) * (b[i] - mb);
        }

        return ab / Math.Sqrt(aa * bb);
    }

    private sealed record CurvesJson(string[] Names, List<CurvesFrame> Frames);

    private sealed record CurvesFrame(int Index, float[] Weights);
}
