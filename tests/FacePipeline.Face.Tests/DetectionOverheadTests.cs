using System.Diagnostics;
using FacePipeline.Face.Tests.Support;
using Xunit.Abstractions;

namespace FacePipeline.Face.Tests;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingCollection
{
    public const string Name = "Timing (runs alone)";
}

/// <summary>
/// The per-frame work around the inference (letterboxing, decoding, suppression, mapping back)
/// must stay small next to the inference itself: full <see cref="BlazeFaceDetector.Detect"/> at
/// 720p within 1.3x of a bare <see cref="BlazeFaceDetector.RunRaw"/> on the same tensor.
/// </summary>
[Collection(TimingCollection.Name)]
public class DetectionOverheadTests
{
    private const double MaxRatio = 1.3;
    private readonly ITestOutputHelper _output;

    public DetectionOverheadTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public void DetectCostsLittleMoreThanRawInferenceAt720p()
    {
        var golden = MediaPipeGolden.Load("obama_wh_closeup_t00647ms"); // 1280x720, one face
        var image = golden.DecodeImage();
        using var detector = new BlazeFaceDetector(TestModels.RequireBlazeFaceShortRange());

        for (var i = 0; i < 50; i++)
        {
            Assert.Single(detector.Detect(image.Pixels, image.Width, image.Height));
        }

        // Interleaved pairs, so that load from elsewhere on the machine hits both alike.
        const int n = 300;
        var full = new double[n];
        var raw = new double[n];
        for (var i = 0; i < n; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            detector.Detect(image.Pixels, image.Width, image.Height);
            var t1 = Stopwatch.GetTimestamp();
            detector.RunRaw();
            var t2 = Stopwatch.GetTimestamp();
            full[i] = Stopwatch.GetElapsedTime(t0, t1).TotalMicroseconds;
            raw[i] = Stopwatch.GetElapsedTime(t1, t2).TotalMicroseconds;
        }

        var ratio = Median(full) / Median(raw);
        _output.WriteLine($"{detector.ExecutionProvider}, 1280x720: Detect median {Median(full):F0} us, RunRaw median {Median(raw):F0} us, ratio {ratio:F3}");
        Assert.True(ratio <= MaxRatio, $"Detect takes {ratio:F2}x raw inference (limit {MaxRatio}): {Median(full):F0} us vs {Median(raw):F0} us.");
    }

    private static double Median(double[] values)
    {
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        return sorted[sorted.Length / 2];
    }
}
