using System.Text.Json;
using FacePipeline.Geometry;
using FacePipeline.Media;
using FacePipeline.NeuralRenderer;
using FacePipeline.Retarget;
using FacePipeline.TestSupport;

namespace FacePipeline.NeuralRenderer.Tests;

/// <summary>
/// Real frames of a GRID clip (decoded with the project's FFmpeg extractor) with MediaPipe's own landmarks from
/// the goldens (normalised x, y: multiplied by the frame's width and height), and self-reenactment pairs built
/// from them: the first <see cref="TrainFrames"/> frames train, the rest are held out for validation.
/// </summary>
public static class GridClipFrames
{
    public const string Clip = "grid_lbbc2a";
    public const int TrainFrames = 55;

    private static readonly Lazy<ActorFrame[]> Frames = new(Load);

    public static ActorFrame[] All => Frames.Value;

    public static CanonicalFaceMesh Mesh { get; } = CanonicalFaceMesh.Load(RepoPaths.RequireFile(CanonicalFaceMesh.DefaultPath(RepoPaths.Models)));

    /// <summary>Training pairs: target j in [0, TrainFrames), source j ± 4…12 frames (wrapping inside the training frames).</summary>
    public static InMemoryPairSource TrainingPairs(int cropSize)
    {
        var builder = new SelfReenactmentPairBuilder(Mesh, cropSize);
        var pairs = new List<TrainingPair>();
        for (var j = 0; j < TrainFrames; j++)
        {
            var offset = 4 + (j * 7 % 9);
            var i = (j + (j % 2 == 0 ? offset : TrainFrames - offset)) % TrainFrames;
            pairs.Add(builder.Build(All[i], All[j]));
        }

        return new InMemoryPairSource(pairs, ConditioningLayout.Channels, cropSize, cropSize);
    }

    /// <summary>Validation pairs: targets and sources both among the held-out frames (never trained on).</summary>
    public static InMemoryPairSource ValidationPairs(int cropSize)
    {
        var builder = new SelfReenactmentPairBuilder(Mesh, cropSize);
        var held = Enumerable.Range(TrainFrames, All.Length - TrainFrames).ToArray();
        var pairs = new List<TrainingPair>();
        for (var k = 0; k < held.Length; k += 2)
        {
            pairs.Add(builder.Build(All[held[(k + 7) % held.Length]], All[held[k]]));
        }

        return new InMemoryPairSource(pairs, ConditioningLayout.Channels, cropSize, cropSize);
    }

    private static ActorFrame[] Load()
    {
        var scratch = RepoPaths.NewScratchFolder("neural-frames");
        try
        {
            var extraction = FrameExtractor.ExtractAsync(RepoPaths.MediaFile(Clip + ".mp4"), scratch, new FrameExtractionOptions { ExtractAudio = false })
                .GetAwaiter().GetResult();
            var (w, h) = (extraction.Width, extraction.Height);
            var meshes = ReadGolden(w, h);
            var frames = new List<ActorFrame>();
            var enumerator = FrameRangeReader.ReadAllAsync(
                extraction.SourcePath, FrameTimeline.Load(extraction.TimelinePath), w, h, 0, checked((int)extraction.FrameCount)).GetAsyncEnumerator();
            try
            {
                while (enumerator.MoveNextAsync().AsTask().GetAwaiter().GetResult())
                {
                    var index = frames.Count;
                    frames.Add(new ActorFrame(enumerator.Current.ToArray(), w, h, meshes[index]));
                }
            }
            finally
            {
                enumerator.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }

            if (frames.Count != meshes.Count)
            {
                throw new InvalidDataException($"{Clip}: {frames.Count} frames decoded, {meshes.Count} in the golden.");
            }

            return [.. frames];
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static List<Point2[]> ReadGolden(int width, int height)
    {
        var path = RepoPaths.RequireFile(Path.Combine(RepoPaths.Goldens, "mediapipe-tracking", Clip + ".json"));
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return [.. doc.RootElement.GetProperty("landmarks").EnumerateArray()
            .Select(frame => frame.EnumerateArray().Select(p => new Point2(p[0].GetDouble() * width, p[1].GetDouble() * height)).ToArray())];
    }
}
