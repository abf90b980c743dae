using System.Diagnostics;
using System.Globalization;
using FacePipeline.Face;
using FacePipeline.Media;
using FacePipeline.Stages;

namespace FacePipeline.Benchmarks;

/// <summary>The pipeline's face models (<see cref="ModelPaths"/>: Models__Root, FACEPIPE_MODELS or &lt;repo&gt;/.data/models).</summary>
internal static class BenchModels
{
    public static ModelPaths Load()
    {
        var models = new ModelPaths(ModelPaths.DefaultRoot());
        try
        {
            _ = models.FaceDetector;
            _ = models.FaceLandmarks;
            _ = models.FaceGeometry;
        }
        catch (FileNotFoundException ex)
        {
            throw new BenchException(ex.Message);
        }

        return models;
    }
}

/// <summary>Decodes a clip with the pipeline's own extractor (untimed set-up of the face benchmarks).</summary>
internal static class BenchClip
{
    public static async Task<FrameExtractionResult> ExtractAsync(string clip, string scratch, CancellationToken ct)
    {
        try
        {
            return await FrameExtractor.ExtractAsync(clip, scratch, new FrameExtractionOptions { ExtractAudio = false }, ct);
        }
        catch (MediaRejectedException ex)
        {
            throw new BenchException($"The extractor refused {clip}: {ex.Message}");
        }
    }

    /// <summary>Runs ffmpeg with <paramref name="arguments"/>; throws with its error output when it fails.</summary>
    public static async Task RunFfmpegAsync(IReadOnlyList<string> arguments, CancellationToken ct)
    {
        var psi = new ProcessStartInfo("ffmpeg") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        using var process = Process.Start(psi) ?? throw new BenchException("ffmpeg did not start.");
        var stderr = process.StandardError.ReadToEndAsync(ct);
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        var error = await stderr;
        await stdout;
        if (process.ExitCode != 0)
        {
            throw new BenchException(string.Create(CultureInfo.InvariantCulture, $"ffmpeg failed ({process.ExitCode}): {error.Trim()}"));
        }
    }
}

/// <summary>Frame i of an extraction (i modulo the frame count), decoded once into memory (untimed).</summary>
internal sealed class FrameSource : IDisposable
{
    private readonly List<byte[]> _frames;

    public FrameSource(FrameExtractionResult extraction)
    {
        _frames = [.. extraction.ReadAllFramesAsync().ToBlockingEnumerable().Select(f => f.ToArray())];
        if (_frames.Count == 0)
        {
            throw new BenchException($"No frames in {extraction.SourcePath}.");
        }
    }

    public int FrameCount => _frames.Count;

    public void Read(int i, byte[] destination) => _frames[i % _frames.Count].CopyTo(destination, 0);

    public void Dispose() => _frames.Clear();
}

/// <summary>Landmark measures shared by the face benchmarks (image-plane x, y in pixels).</summary>
internal static class FaceMeasures
{
    /// <summary>Eye centres: midpoints of landmarks (33, 133) and (362, 263).</summary>
    public const int RightEyeOuter = 33, RightEyeInner = 133, LeftEyeInner = 362, LeftEyeOuter = 263;

    /// <summary>Inner lips, upper and lower (mouth opening = their distance).</summary>
    public const int UpperLipInner = 13, LowerLipInner = 14;

    /// <summary>Inter-ocular distance: between the eye centres, in pixels.</summary>
    public static double Iod(IReadOnlyList<float[]> points)
    {
        var (ax, ay) = Mid(points[RightEyeOuter], points[RightEyeInner]);
        var (bx, by) = Mid(points[LeftEyeInner], points[LeftEyeOuter]);
        return Math.Sqrt(((ax - bx) * (ax - bx)) + ((ay - by) * (ay - by)));
    }

    public static double Distance(float[] a, float[] b) =>
        Math.Sqrt((((double)a[0] - b[0]) * ((double)a[0] - b[0])) + (((double)a[1] - b[1]) * ((double)a[1] - b[1])));

    private static (double X, double Y) Mid(float[] a, float[] b) => ((a[0] + (double)b[0]) / 2, (a[1] + (double)b[1]) / 2);
}

/// <summary>Relative paths for printed commands (the scripts run from the repository root).</summary>
internal static class BenchArgs
{
    public static string PathArg(string path)
    {
        var full = Path.GetFullPath(path);
        if (BenchPaths.RepoRoot is { } root)
        {
            var relative = Path.GetRelativePath(root, full);
            if (!Path.IsPathRooted(relative))
            {
                return relative;
            }
        }

        return full;
    }
}
