using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FacePipeline.Face;
using FacePipeline.Stages;

namespace FacePipeline.Benchmarks;

/// <summary>
/// The landmark-inference floor of a track job (issue 16, <c>scripts/bench-scale.sh</c>): the landmark model's ONNX Runtime
/// run alone (<see cref="FaceLandmarker.RunRaw"/>, <see cref="RefinedFaceLandmarker.RunRaw"/> on their pre-bound buffers),
/// N times on one 192x192 crop, the session opened as the Reconstruction service opens it (<see cref="OnnxSessions"/> with
/// <see cref="InferenceSettings.Default"/>). No cropping, decoding or tracking is timed: ms/frame × a clip's frames is what
/// reconstruction cannot go below on this machine with one face per frame.
/// </summary>
internal static class LandmarkFloorBenchmark
{
    /// <summary>The 468-point model (face_landmark.onnx).</summary>
    public const string Mesh = "mesh";

    /// <summary>The refined model with the irises (face_landmark_with_attention.onnx): what Reconstruction runs by default.</summary>
    public const string Refined = "refined";

    public const string Both = "both";

    private const int WarmupRuns = 100;

    /// <summary>The subcommand, registered in Program.cs.</summary>
    public static Command Command(string[] args)
    {
        var frames = new Option<int>("--frames") { Description = "Timed inferences per model (after 100 warm-up runs).", DefaultValueFactory = _ => 2000 };
        frames.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError("--frames must be at least 1.");
            }
        });
        var model = new Option<string>("--model")
        {
            Description = "'mesh' (face_landmark.onnx, 468 points), 'refined' (face_landmark_with_attention.onnx, 478 points: Reconstruction's default) or 'both'.",
            DefaultValueFactory = _ => Both,
        };
        model.AcceptOnlyFromAmong(Mesh, Refined, Both);
        var clip = new Option<string?>("--clip")
        {
            Description = "The crop is the face of this clip's first frame (BlazeFace, then MediaPipe's ROI); default: new_face_video-90.mp4 from the shared footage, a centred crop when there is none.",
        };
        var threads = new Option<int>("--threads")
        {
            Description = "ONNX Runtime threads per session (IntraOpNumThreads; 0: its default, as the service opens a single slot).",
            DefaultValueFactory = _ => 0,
        };
        threads.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 0)
            {
                result.AddError("--threads must be 0 or more.");
            }
        });
        var sessions = new Option<int>("--sessions")
        {
            Description = "Sessions run at once, each on its own thread with its own crop buffer (Reconstruction's slots); ms/frame is the wall time over all their runs.",
            DefaultValueFactory = _ => 1,
        };
        sessions.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 16)
            {
                result.AddError("--sessions must be between 1 and 16.");
            }
        });
        var command = new Command("landmark-floor", "The landmark model's ONNX Runtime run alone, N times on one 192x192 crop: ms/frame, the landmark-inference floor of a track job.")
        {
            frames, model, clip, threads, sessions,
        };
        command.SetAction(async (parse, ct) =>
        {
            Md.Header(args);
            var which = parse.GetValue(model)!;
            var path = parse.GetValue(clip) ?? DefaultClip();
            var settings = new InferenceSettings(IntraOpNumThreads: parse.GetValue(threads));
            Console.WriteLine(await RunAsync(path, parse.GetValue(frames), which == Both ? [Mesh, Refined] : [which], ct, settings, parse.GetValue(sessions)));
            Console.Out.Flush();
            return 0;
        });
        return command;
    }

    public static async Task<string> RunAsync(
        string? clip, int runs, IReadOnlyList<string> which, CancellationToken ct, InferenceSettings? settings = null, int sessions = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sessions, 1);
        settings ??= InferenceSettings.Default;
        var models = ModelPaths.FromSetting(null);
        var crop = await CropAsync(clip, models, ct);
        var rows = new List<string>();
        foreach (var name in which)
        {
            ct.ThrowIfCancellationRequested();
            var (file, timing) = name switch
            {
                Mesh => TimeSessions(sessions, warm => TimeMesh(Require(models.FaceLandmarksModel), crop, runs, settings, warm, ct)),
                Refined => TimeSessions(sessions, warm => TimeRefined(Require(models.RefinedFaceLandmarksModel), crop, runs, settings, warm, ct)),
                _ => throw new BenchException($"Unknown model '{name}'."),
            };
            var s = Summary.Of(timing.Samples);
            rows.Add(Md.Row(
                name == Mesh ? FaceLandmarkModel.MeshName : FaceLandmarkModel.RefinedName,
                Path.GetFileName(file),
                timing.Provider,
                (runs * sessions).ToString(CultureInfo.InvariantCulture),
                Md.F(timing.TotalMs / 1000, 2),
                Md.F(timing.TotalMs / (runs * sessions), 3),
                Md.F(s.Median, 3),
                Md.F(s.Min, 3),
                Md.F(Percentile(timing.Samples, 0.95), 3)));
        }

        var lines = new List<string>
        {
            sessions == 1 && settings.IntraOpNumThreads == 0
                ? $"### Landmark-inference floor: one 192x192 crop ({crop.Description}), {runs} runs per model after {WarmupRuns} warm-up runs"
                : string.Create(CultureInfo.InvariantCulture, $"### Landmark inference: one 192x192 crop ({crop.Description}), {sessions} session(s) at once with {(settings.IntraOpNumThreads == 0 ? "ONNX Runtime's default threads" : $"{settings.IntraOpNumThreads} thread(s)")} each, {runs} runs per session after {WarmupRuns} warm-up runs"),
            "",
            Md.Row("model", "file", "provider", "runs", "total s", "ms/frame (total / runs)", "median ms", "min ms", "p95 ms"),
            Md.Separator(9, 3, 4, 5, 6, 7, 8),
        };
        lines.AddRange(rows);
        lines.Add("");
        lines.Add(
            "Only the session run (`RunRaw`, input and outputs pre-bound) is timed, on the same crop every time, one session per model " +
            "opened as the Reconstruction service opens it (by default `InferenceSettings.Default`: ONNX Runtime's default threads, spinning on, " +
            "CUDA when present; `--threads`, `--sessions`: the service's slots). The floor of a clip is ms/frame × its frames (one face per frame). " +
            "With several sessions, ms/frame is the wall time over all their runs, the median and percentiles are per run. Reconstruction runs the refined " +
            "model unless `Reconstruction__RefinedLandmarks=false`.");
        return string.Join(Environment.NewLine, lines) + Environment.NewLine;
    }

    /// <summary>
    /// The landmark floor as <c>scripts/bench-scale.sh</c> takes it: ms/frame of the better of one session with ONNX Runtime's
    /// default threads and one single-threaded session per core at once (<paramref name="model"/>: <see cref="Mesh"/> or <see cref="Refined"/>).
    /// </summary>
    public static async Task<double> FloorMsPerFrameAsync(string? clip, int runs, string model, CancellationToken ct)
    {
        var models = ModelPaths.FromSetting(null);
        var crop = await CropAsync(clip, models, ct);
        double MsPerFrame(InferenceSettings settings, int sessions)
        {
            var (_, timing) = model == Mesh
                ? TimeSessions(sessions, warm => TimeMesh(Require(models.FaceLandmarksModel), crop, runs, settings, warm, ct))
                : TimeSessions(sessions, warm => TimeRefined(Require(models.RefinedFaceLandmarksModel), crop, runs, settings, warm, ct));
            return timing.TotalMs / (runs * sessions);
        }

        return Math.Min(MsPerFrame(InferenceSettings.Default, 1), MsPerFrame(new InferenceSettings(IntraOpNumThreads: 1), Environment.ProcessorCount));
    }

    private static string DefaultClip() => Path.Combine(BenchPaths.DefaultMediaDirectory(), "new_face_video-90.mp4");

    private static string Require(ModelFile model) =>
        model.IsInstalled ? model.Path : throw new BenchException(model.MissingSentence);

    /// <summary>
    /// Runs <paramref name="time"/> on <paramref name="sessions"/> threads at once, each with its own session, their timed
    /// runs started together (after every session's warm-up): the longest session's time over all, the samples of all.
    /// </summary>
    private static (string File, Timing Timing) TimeSessions(int sessions, Func<Barrier?, (string File, Timing Timing)> time)
    {
        if (sessions == 1)
        {
            return time(null);
        }

        using var warm = new Barrier(sessions);
        var results = new (string File, Timing Timing)[sessions];
        var threads = Enumerable.Range(0, sessions).Select(i => new Thread(() => results[i] = time(warm))).ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        var wall = results.Max(r => r.Timing.TotalMs);
        return (results[0].File, new Timing([.. results.SelectMany(r => r.Timing.Samples)], wall, results[0].Timing.Provider));
    }

    private static (string File, Timing Timing) TimeMesh(string path, Crop crop, int runs, InferenceSettings settings, Barrier? warm, CancellationToken ct)
    {
        using var landmarker = new FaceLandmarker(path, settings);
        crop.Tensor.CopyTo(landmarker.InputTensor);
        return (path, Time(landmarker.RunRaw, landmarker.ExecutionProvider, runs, "face_landmark.onnx", warm, ct));
    }

    private static (string File, Timing Timing) TimeRefined(string path, Crop crop, int runs, InferenceSettings settings, Barrier? warm, CancellationToken ct)
    {
        using var landmarker = new RefinedFaceLandmarker(path, settings);
        crop.Tensor.CopyTo(landmarker.InputTensor);
        return (path, Time(landmarker.RunRaw, landmarker.ExecutionProvider, runs, "face_landmark_with_attention.onnx", warm, ct));
    }

    private static Timing Time(Action run, string provider, int runs, string name, Barrier? warm, CancellationToken ct)
    {
        Progress($"landmark-floor {name}: {WarmupRuns} warm-up runs");
        for (var i = 0; i < WarmupRuns; i++)
        {
            run();
        }

        warm?.SignalAndWait(ct);
        Progress($"landmark-floor {name}: {runs} timed runs");
        var samples = new double[runs];
        var start = Stopwatch.GetTimestamp();
        for (var i = 0; i < runs; i++)
        {
            if ((i & 255) == 0)
            {
                ct.ThrowIfCancellationRequested();
            }

            var t0 = Stopwatch.GetTimestamp();
            run();
            samples[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }

        return new Timing(samples, Stopwatch.GetElapsedTime(start).TotalMilliseconds, provider);
    }

    private static double Percentile(double[] samples, double p)
    {
        var sorted = samples.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    /// <summary>The crop: the face of the clip's first frame as the tracker's detector frame crops it; a centred crop without one.</summary>
    private static async Task<Crop> CropAsync(string? clip, ModelPaths models, CancellationToken ct)
    {
        var tensor = new float[FaceLandmarker.InputSize * FaceLandmarker.InputSize * 3];
        if (clip is null || !File.Exists(clip))
        {
            Array.Fill(tensor, 0.5f);
            return new Crop(tensor, "mid-grey, no clip");
        }

        var (rgb, width, height) = await FirstFrameAsync(clip, ct);
        RotatedRect roi;
        string what;
        using (var detector = new BlazeFaceDetector(Require(models.FaceDetectorModel)))
        {
            var faces = detector.Detect(rgb, width, height);
            if (faces.Count > 0)
            {
                var face = faces.MaxBy(f => f.BoundingBox.Width * f.BoundingBox.Height)!;
                roi = FaceRoi.FromDetection(face, width, height);
                what = "the face";
            }
            else
            {
                var side = Math.Min(width, height);
                roi = new RotatedRect(0.5f, 0.5f, (float)side / width, (float)side / height, 0f);
                what = "no face found: the centre";
            }
        }

        RoiCrop.Sample(rgb, width, height, roi, FaceLandmarker.InputSize, tensor);
        return new Crop(tensor, string.Create(CultureInfo.InvariantCulture, $"{what} of {Path.GetFileName(clip)}'s first frame, {width}x{height}"));
    }

    /// <summary>The clip's first frame as RGB24, upright (ffmpeg applies the rotation), with its size.</summary>
    private static async Task<(byte[] Rgb, int Width, int Height)> FirstFrameAsync(string clip, CancellationToken ct)
    {
        var size = await RunAsync(
            "ffprobe",
            ["-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height:stream_side_data=rotation", "-of", "default=nw=1", clip],
            ct);
        var text = System.Text.Encoding.ASCII.GetString(size);
        int Field(string key) =>
            text.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith(key + "=", StringComparison.Ordinal))
                .Select(l => int.TryParse(l.AsSpan(key.Length + 1), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 0)
                .FirstOrDefault();
        var (width, height) = (Field("width"), Field("height"));
        if (Math.Abs(Field("rotation")) % 180 == 90)
        {
            (width, height) = (height, width);
        }

        if (width <= 0 || height <= 0)
        {
            throw new BenchException($"ffprobe found no video size in {clip}.");
        }

        var rgb = await RunAsync("ffmpeg", ["-v", "error", "-i", clip, "-map", "0:v:0", "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], ct);
        return rgb.Length == width * height * 3
            ? (rgb, width, height)
            : throw new BenchException(string.Create(CultureInfo.InvariantCulture, $"ffmpeg gave {rgb.Length} bytes for the first frame of {clip}, expected {width}x{height}x3."));
    }

    private static async Task<byte[]> RunAsync(string program, IReadOnlyList<string> arguments, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            psi.ArgumentList.Add(argument);
        }

        using var process = Process.Start(psi) ?? throw new BenchException($"{program} did not start.");
        using var output = new MemoryStream();
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.StandardOutput.BaseStream.CopyToAsync(output, ct);
        await process.WaitForExitAsync(ct);
        var error = await stderr;
        return process.ExitCode == 0
            ? output.ToArray()
            : throw new BenchException(string.Create(CultureInfo.InvariantCulture, $"{program} failed ({process.ExitCode}): {error.Trim()}"));
    }

    private static void Progress(string message) => Console.Error.WriteLine($"[bench] {message}");

    private sealed record Crop(float[] Tensor, string Description);

    private sealed record Timing(double[] Samples, double TotalMs, string Provider);
}
