using System.Diagnostics;
using System.Globalization;
using FacePipeline.Face;
using FacePipeline.Media;

namespace FacePipeline.Benchmarks;

/// <summary>
/// The cost of <see cref="BlazeFaceDetector.Detect"/> next to the bare inference it wraps: for every frame,
/// interleaved, the full Detect and its steps timed one by one (PrepareInput, then RunRaw alone on that tensor,
/// then DecodeOutputs). The per-frame work around the inference should stay small: Detect/RunRaw ≤ 1.3.
/// A second detector with <c>IntraOpNumThreads = 1</c> runs in alternating blocks of frames.
/// </summary>
internal static class DetectionBenchmark
{
    /// <summary>Full Detect should take at most this many times the bare inference.</summary>
    public const double Goal = 1.3;

    private const int WarmupFrames = 50;
    private const int BlockSize = 20;

    public static async Task<string> RunAsync(string clip, int frames, string workParent, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(frames, 1);
        clip = Path.GetFullPath(clip);
        if (!File.Exists(clip))
        {
            throw new BenchException($"Clip not found: {clip}");
        }

        var model = BenchPaths.BlazeFaceModel();
        var scratch = BenchPaths.CreateScratch(workParent, "detection");
        try
        {
            Progress($"detection {Path.GetFileName(clip)}: decoding frames");
            FrameExtractionResult extraction;
            try
            {
                extraction = await FrameExtractor.ExtractAsync(clip, scratch, new FrameExtractionOptions { ExtractAudio = false }, ct);
            }
            catch (MediaRejectedException ex)
            {
                throw new BenchException($"The extractor refused {clip}: {ex.Message}");
            }

            using var source = new FrameSource(extraction);
            var configs = new[]
            {
                new Config("default", FaceDetectorOptions.Default),
                new Config("IntraOpNumThreads = 1", FaceDetectorOptions.Default with { Inference = new InferenceSettings(IntraOpNumThreads: 1) }),
            };
            try
            {
                foreach (var config in configs)
                {
                    config.Detector = new BlazeFaceDetector(model, config.Options);
                }

                Progress($"detection {Path.GetFileName(clip)}: warm-up");
                var frame = new byte[extraction.FrameSizeBytes];
                foreach (var config in configs)
                {
                    for (var i = 0; i < WarmupFrames; i++)
                    {
                        source.Read(i, frame);
                        config.Measure(frame, extraction.Width, extraction.Height, detectFirst: i % 2 == 0, record: false);
                    }
                }

                // Blocks of frames, each block measured by every configuration (rotating order), so that load from
                // elsewhere hits the configurations alike; inside a configuration, Detect and its steps alternate
                // order frame by frame.
                var block = Enumerable.Range(0, BlockSize).Select(_ => new byte[extraction.FrameSizeBytes]).ToArray();
                for (var start = 0; start < frames; start += BlockSize)
                {
                    ct.ThrowIfCancellationRequested();
                    var count = Math.Min(BlockSize, frames - start);
                    for (var k = 0; k < count; k++)
                    {
                        source.Read(start + k, block[k]);
                    }

                    var blockIndex = start / BlockSize;
                    for (var c = 0; c < configs.Length; c++)
                    {
                        var config = configs[(blockIndex + c) % configs.Length];
                        for (var k = 0; k < count; k++)
                        {
                            config.Measure(block[k], extraction.Width, extraction.Height, detectFirst: (start + k) % 2 == 0, record: true);
                        }
                    }

                    if (blockIndex % 10 == 9)
                    {
                        Progress($"detection {Path.GetFileName(clip)}: {start + count}/{frames} frames");
                    }
                }

                return Report(clip, frames, extraction, configs);
            }
            finally
            {
                foreach (var config in configs)
                {
                    config.Detector?.Dispose();
                }
            }
        }
        finally
        {
            BenchPaths.DeleteQuietly(scratch);
        }
    }

    private static string Report(string clip, int frames, FrameExtractionResult extraction, Config[] configs)
    {
        var lines = new List<string>
        {
            string.Create(
                CultureInfo.InvariantCulture,
                $"### Detection: {Path.GetFileName(clip)} ({extraction.Width}x{extraction.Height}, {extraction.FrameCount} frames in the clip, {frames} timed per config{(frames > extraction.FrameCount ? ", cycling" : "")})"),
            "",
            $"Command: `{Md.Command("detection", "--clip", BenchArgs.PathArg(clip), "--frames", frames.ToString(CultureInfo.InvariantCulture))}`",
            "",
            Md.Row(
                "config",
                "provider",
                "Detect ms (median / mean / min)",
                "RunRaw ms (median / mean / min)",
                $"Detect/RunRaw median (goal ≤ {Md.F(Goal, 1)})",
                "Detect/RunRaw mean",
                "PrepareInput ms (share of Detect)",
                "DecodeOutputs ms (share of Detect)",
                "faces/frame"),
            Md.Separator(9, 2, 3, 4, 5, 6, 7, 8),
        };

        foreach (var config in configs)
        {
            var detect = Summary.Of(config.Detect);
            var raw = Summary.Of(config.Raw);
            var prepare = Summary.Of(config.Prepare);
            var decode = Summary.Of(config.Decode);
            lines.Add(Md.Row(
                config.Name,
                config.Detector!.ExecutionProvider,
                Ms(detect),
                Ms(raw),
                Md.F(detect.Median / raw.Median, 2),
                Md.F(detect.Mean / raw.Mean, 2),
                $"{Md.F(prepare.Median / 1000, 3)} ({Md.F(100 * prepare.Median / detect.Median, 1)} %)",
                $"{Md.F(decode.Median / 1000, 3)} ({Md.F(100 * decode.Median / detect.Median, 1)} %)",
                Md.F(config.Faces / (double)config.Detect.Count, 2)));
        }

        lines.Add("");
        lines.Add(
            "Per frame, interleaved (order alternating frame by frame): full `Detect`, then its steps timed one by one on the same frame — " +
            "`PrepareInput` (letterbox into the bound tensor), `RunRaw` alone (the session run on that tensor), `DecodeOutputs` (anchors + NMS). " +
            string.Create(CultureInfo.InvariantCulture, $"Shares are of the Detect median. {WarmupFrames} warm-up frames per config; the configs alternate in blocks of {BlockSize} frames. ") +
            string.Create(CultureInfo.InvariantCulture, $"\"default\" is ORT's intra-op thread count (one per physical core; {Environment.ProcessorCount} logical cores here), thread spinning on."));
        return string.Join('\n', lines) + "\n";
    }

    private static string Ms(Summary s) => $"{Md.F(s.Median / 1000, 3)} / {Md.F(s.Mean / 1000, 3)} / {Md.F(s.Min / 1000, 3)}";

    private static void Progress(string message) => Console.Error.WriteLine($"[bench] {message}");

    private sealed class Config(string name, FaceDetectorOptions options)
    {
        public string Name { get; } = name;

        public FaceDetectorOptions Options { get; } = options;

        public BlazeFaceDetector? Detector { get; set; }

        /// <summary>Microseconds per frame.</summary>
        public List<double> Detect { get; } = [];

        public List<double> Raw { get; } = [];

        public List<double> Prepare { get; } = [];

        public List<double> Decode { get; } = [];

        public long Faces { get; private set; }

        public void Measure(byte[] frame, int width, int height, bool detectFirst, bool record)
        {
            var detector = Detector!;
            double detect = 0;
            var faces = 0;
            if (detectFirst)
            {
                (detect, faces) = TimeDetect(detector, frame, width, height);
            }

            var t0 = Stopwatch.GetTimestamp();
            detector.PrepareInput(frame, width, height);
            var t1 = Stopwatch.GetTimestamp();
            detector.RunRaw();
            var t2 = Stopwatch.GetTimestamp();
            detector.DecodeOutputs();
            var t3 = Stopwatch.GetTimestamp();

            if (!detectFirst)
            {
                (detect, faces) = TimeDetect(detector, frame, width, height);
            }

            if (record)
            {
                Detect.Add(detect);
                Prepare.Add(Stopwatch.GetElapsedTime(t0, t1).TotalMicroseconds);
                Raw.Add(Stopwatch.GetElapsedTime(t1, t2).TotalMicroseconds);
                Decode.Add(Stopwatch.GetElapsedTime(t2, t3).TotalMicroseconds);
                Faces += faces;
            }
        }

        private static (double Micros, int Faces) TimeDetect(BlazeFaceDetector detector, byte[] frame, int width, int height)
        {
            var start = Stopwatch.GetTimestamp();
            var faces = detector.Detect(frame, width, height);
            var end = Stopwatch.GetTimestamp();
            return (Stopwatch.GetElapsedTime(start, end).TotalMicroseconds, faces.Count);
        }
    }
}
