using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using FacePipeline.Face;
using FacePipeline.Geometry;
using FacePipeline.Media;
using FacePipeline.Morphable;

namespace FacePipeline.BlendshapeReport;

internal sealed record ReportSettings(
    string GoldensFolder,
    string MediaFolder,
    string ModelsRoot,
    IReadOnlyList<string> Clips,
    string PlotClip,
    string? PlotPath,
    string? OutputFolder,
    int Passes,
    bool TimeReconstruction,
    string WorkFolder);

internal sealed class ReportException(string message) : Exception(message);

/// <summary>
/// Fits the golden clips (MediaPipe's own landmarks on every frame, ../shared/goldens/mediapipe-tracking) and measures
/// the fit: landmark reprojection error as a share of the inter-ocular distance, ms per frame against the project's
/// own reconstruction of the same clip, and how the curves follow what the landmarks measure.
/// </summary>
internal static class BlendshapeReport
{
    public static async Task<string> RunAsync(ReportSettings settings, Action<string> progress, CancellationToken ct)
    {
        var modelFolder = IctFaceModel.DefaultFolder(settings.ModelsRoot);
        var canonicalPath = CanonicalFaceMesh.DefaultPath(settings.ModelsRoot);
        if (!File.Exists(canonicalPath))
        {
            throw new ReportException($"MediaPipe's canonical mesh is missing: {canonicalPath}. Run scripts/fetch-models.sh.");
        }

        progress("loading the ICT-FaceKit model");
        IctFaceModel model;
        try
        {
            model = IctFaceModel.Load(modelFolder);
        }
        catch (FileNotFoundException ex)
        {
            throw new ReportException(ex.Message);
        }

        var canonical = CanonicalFaceMesh.Load(canonicalPath);
        var watch = Stopwatch.StartNew();
        var correspondence = MediaPipeCorrespondence.Compute(model, canonical);
        var correspondenceMs = watch.Elapsed.TotalMilliseconds;
        var fitter = new BlendshapeFitter(model, correspondence);
        var metric = new MetricLandmarks(canonical);

        var results = new List<ClipResult>();
        foreach (var clip in settings.Clips)
        {
            ct.ThrowIfCancellationRequested();
            results.Add(await MeasureClipAsync(settings, clip, fitter, metric, progress, ct));
        }

        if (settings.PlotPath is not null)
        {
            var plotted = results.FirstOrDefault(r => r.Name == settings.PlotClip)
                ?? throw new ReportException($"The plot clip {settings.PlotClip} is not among the fitted clips.");
            progress($"plot: {settings.PlotPath}");
            await WritePlotAsync(plotted, settings.PlotPath, ct);
        }

        return Render(settings, correspondence, correspondenceMs, results);
    }

    private sealed record ClipResult(
        string Name,
        int Width,
        int Height,
        RationalFrameRate Rate,
        BlendshapeAnimation Animation,
        double[] ReprojectionIod,
        double[] ModelReprojectionIod,
        double[] PoseFreeIod,
        double[] LipGap,
        double[] LeftEye,
        double[] RightEye,
        double IdentityMs,
        double FitMsPerFrame,
        double? TrackingMsPerFrame);

    private static async Task<ClipResult> MeasureClipAsync(ReportSettings settings, string name, BlendshapeFitter fitter, MetricLandmarks metric, Action<string> progress, CancellationToken ct)
    {
        var goldenPath = Path.Combine(settings.GoldensFolder, name + ".json");
        var mediaPath = Path.Combine(settings.MediaFolder, name + ".mp4");
        if (!File.Exists(goldenPath) || !File.Exists(mediaPath))
        {
            throw new ReportException($"{name}: need {goldenPath} and {mediaPath}.");
        }

        progress($"{name}: probing and decoding the clip");
        var scratch = Path.Combine(settings.WorkFolder, $"blendshapes-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scratch);
        try
        {
            var extraction = await FrameExtractor.ExtractAsync(mediaPath, scratch, new FrameExtractionOptions { ExtractAudio = false }, ct);
            var (w, h) = (extraction.Width, extraction.Height);
            var rate = new RationalFrameRate(extraction.FrameRate.Numerator, extraction.FrameRate.Denominator);
            var pixels = ReadGolden(goldenPath, w, h);
            if (pixels.Count != extraction.FrameCount)
            {
                throw new ReportException($"{name}: the golden has {pixels.Count} frames, the clip {extraction.FrameCount}.");
            }

            var geometry = pixels.Select(p => metric.Estimate(p, w, h)).ToList();
            var faces = geometry.Select(g => (PoseFreeFace?)new PoseFreeFace(g.PoseFreeLandmarks, g.Pose)).ToList();
            progress($"{name}: fitting {faces.Count} frames");
            var animation = BlendshapeAnimation.Create(fitter, faces, rate);

            // Speed: the identity once, the per-frame fit over the whole clip (best and median of passes after a warm-up).
            var poseFree = faces.Select(f => f?.PoseFreeLandmarks).ToList();
            var neutral = NeutralFrames.Estimate(poseFree);
            var identityWatch = Stopwatch.StartNew();
            var actor = fitter.FitIdentity(neutral);
            var identityMs = identityWatch.Elapsed.TotalMilliseconds;
            _ = fitter.FitSequence(actor, poseFree);
            var perFrame = new List<double>();
            for (var pass = 0; pass < settings.Passes; pass++)
            {
                perFrame.Add(fitter.FitSequence(actor, poseFree).MillisecondsPerFrame);
            }

            // Accuracy: the fitted landmarks taken back through the frame's pose and MediaPipe's camera to pixels.
            var reprojection = new double[faces.Count];
            var modelReprojection = new double[faces.Count];
            var poseFreeError = new double[faces.Count];
            for (var f = 0; f < faces.Count; f++)
            {
                var iodPixels = Distance2D(pixels[f][MediaPipeFaceIndices.LeftEyeOuterCorner], pixels[f][MediaPipeFaceIndices.RightEyeOuterCorner]);
                var fit = animation.Fit.Frames[f];
                var fitted = fitter.FittedLandmarks(animation.Actor, fit, useModelIdentity: false);
                var modelFitted = fitter.FittedLandmarks(animation.Actor, fit, useModelIdentity: true);
                reprojection[f] = MeanReprojection(fitted, geometry[f].Pose, pixels[f], w, h) / iodPixels;
                modelReprojection[f] = MeanReprojection(modelFitted, geometry[f].Pose, pixels[f], w, h) / iodPixels;
                poseFreeError[f] = fitted.Zip(geometry[f].PoseFreeLandmarks, (a, b) => (a - b).Length).Average() /
                    MediaPipeFaceIndices.InterOcularDistance(geometry[f].PoseFreeLandmarks);
            }

            double? trackingMs = null;
            if (settings.TimeReconstruction)
            {
                progress($"{name}: timing reconstruction (FaceTracker) on the decoded frames");
                trackingMs = TimeTracking(extraction, settings.ModelsRoot, settings.Passes, ct);
            }

            if (settings.OutputFolder is not null)
            {
                Directory.CreateDirectory(settings.OutputFolder);
                LiveLinkFaceCsv.Write(Path.Combine(settings.OutputFolder, name + ".blendshapes.csv"), animation);
                BlendshapeCurvesJson.Write(Path.Combine(settings.OutputFolder, name + ".blendshapes.json"), animation, name + ".mp4");
            }

            return new ClipResult(
                name, w, h, rate, animation, reprojection, modelReprojection, poseFreeError,
                [.. geometry.Select(g => MediaPipeFaceIndices.InnerLipGap(g.PoseFreeLandmarks))],
                [.. geometry.Select(g => MediaPipeFaceIndices.EyeOpening(g.PoseFreeLandmarks, leftEye: true))],
                [.. geometry.Select(g => MediaPipeFaceIndices.EyeOpening(g.PoseFreeLandmarks, leftEye: false))],
                identityMs, Median(perFrame), trackingMs);
        }
        finally
        {
            try
            {
                Directory.Delete(scratch, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Median ms per frame of <see cref="FaceTracker.Process"/> over the clip (fresh tracker per pass, one warm-up pass), as the Reconstruction service runs it.</summary>
    private static double TimeTracking(FrameExtractionResult extraction, string modelsRoot, int passes, CancellationToken ct)
    {
        var folder = Path.Combine(modelsRoot, "mediapipe-face-mesh");
        var detectorPath = Path.Combine(folder, "face_detection_short_range.onnx");
        var landmarkPath = Path.Combine(folder, "face_landmark.onnx");
        if (!File.Exists(detectorPath) || !File.Exists(landmarkPath))
        {
            throw new ReportException($"Face models missing under {folder}: run scripts/fetch-models.sh, or pass --no-reconstruction-timing.");
        }

        using var detector = new BlazeFaceDetector(detectorPath);
        using var landmarker = new FaceLandmarker(landmarkPath);
        var frames = FrameRangeReader.ReadAllAsync(extraction.SourcePath, FrameTimeline.Load(extraction.TimelinePath), extraction.Width, extraction.Height, 0, checked((int)extraction.FrameCount), cancellationToken: ct)
            .ToBlockingEnumerable(ct).Select(f => f.ToArray()).ToList();
        var perFrame = new List<double>();
        for (var pass = 0; pass <= passes; pass++)
        {
            ct.ThrowIfCancellationRequested();
            var tracker = new FaceTracker(detector, landmarker);
            var watch = Stopwatch.StartNew();
            foreach (var frame in frames)
            {
                _ = tracker.Process(frame, extraction.Width, extraction.Height);
            }

            if (pass > 0)
            {
                perFrame.Add(watch.Elapsed.TotalMilliseconds / frames.Count);
            }
        }

        return Median(perFrame);
    }

    private static List<Vec3[]> ReadGolden(string path, int width, int height)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return [.. doc.RootElement.GetProperty("landmarks").EnumerateArray()
            .Select(frame => frame.EnumerateArray().Select(p => new Vec3(p[0].GetDouble() * width, p[1].GetDouble() * height, p[2].GetDouble() * width)).ToArray())];
    }

    private static double MeanReprojection(Vec3[] poseFree, FacePose pose, Vec3[] pixels, int width, int height)
    {
        var metricPoints = poseFree.Select(pose.Apply).ToArray();
        var projected = PerspectiveCamera.Default.ProjectToScreen(metricPoints, width, height);
        double sum = 0;
        for (var i = 0; i < projected.Length; i++)
        {
            sum += Distance2D(projected[i], pixels[i]);
        }

        return sum / projected.Length;
    }

    private static double Distance2D(Vec3 a, Vec3 b) => Math.Sqrt(((a.X - b.X) * (a.X - b.X)) + ((a.Y - b.Y) * (a.Y - b.Y)));

    private static double Median(IReadOnlyCollection<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static double[] Curve(BlendshapeAnimation animation, string name)
    {
        var index = ArkitBlendshapes.IndexOf(name);
        return [.. animation.Frames.Select(f => (double)f.Weights[index])];
    }

    private static double Pearson(IReadOnlyList<double> x, IReadOnlyList<double> y)
    {
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

    private static async Task WritePlotAsync(ClipResult clip, string path, CancellationToken ct)
    {
        var lipMax = clip.LipGap.Max();
        var eyeMax = Math.Max(clip.LeftEye.Max(), clip.RightEye.Max());
        var panels = new List<Panel>
        {
            new("MOUTH", [
                new Series("LIP GAP (MEASURED, / MAX)", [.. clip.LipGap.Select(v => v / lipMax)], (120, 120, 120), 1, true),
                new Series("JAWOPEN", Curve(clip.Animation, "jawOpen"), (200, 30, 30), 2, false),
            ]),
            new("EYES", [
                new Series("EYE OPENING L (/ MAX)", [.. clip.LeftEye.Select(v => v / eyeMax)], (90, 90, 200), 1, true),
                new Series("EYE OPENING R", [.. clip.RightEye.Select(v => v / eyeMax)], (150, 150, 150), 1, true),
                new Series("EYEBLINKLEFT", Curve(clip.Animation, "eyeBlinkLeft"), (20, 60, 200), 2, false),
                new Series("EYEBLINKRIGHT", Curve(clip.Animation, "eyeBlinkRight"), (230, 130, 0), 2, false),
            ]),
        };
        var title = $"{clip.Name.ToUpperInvariant()}: FITTED ARKIT CURVES VS MEASURED LANDMARKS";
        var canvas = CurvePlot.Draw(title, panels, clip.Animation.Frames.Count, clip.Rate.FramesPerSecond);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await StillImageWriter.WriteAsync(canvas.Pixels, canvas.Width, canvas.Height, path, ct);
    }

    private static string Render(ReportSettings settings, MediaPipeCorrespondence correspondence, double correspondenceMs, IReadOnlyList<ClipResult> results)
    {
        static string F(double v, int d) => v.ToString("F" + d.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        static string P(double v) => (100 * v).ToString("F2", CultureInfo.InvariantCulture) + " %";
        var r = correspondence.Residual;
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        text.AppendLine();
        text.AppendLine("### Correspondence (MediaPipe 468 → ICT surface)");
        text.AppendLine();
        text.AppendLine("| figure | value |");
        text.AppendLine("|---|---:|");
        text.AppendLine(CultureInfo.InvariantCulture, $"| 68 landmarks after the similarity alignment, mean / max | {F(r.LandmarkMeanCm, 3)} / {F(r.LandmarkMaxCm, 3)} cm |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| 51 interior landmarks (brows, nose, eyes, lips), mean / max | {F(r.InteriorLandmarkMeanCm, 3)} / {F(r.InteriorLandmarkMaxCm, 3)} cm |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| warped points to the ICT surface, mean / max | {F(r.SurfaceMeanCm, 3)} / {F(r.SurfaceMaxCm, 3)} cm |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| points held to their lip side | {r.LipSideConstrainedPoints} |");
        text.AppendLine(CultureInfo.InvariantCulture, $"| computed in | {F(correspondenceMs, 0)} ms |");
        text.AppendLine();
        text.AppendLine("### Fit on the golden clips");
        text.AppendLine();
        text.AppendLine("| clip | frames | reprojection error / IOD, mean (worst frame) | ICT mesh alone / IOD | r(jawOpen, lip gap) | r(eyeBlinkLeft, left opening) | r(eyeBlinkRight, right opening) | eyeBlink L / R max | fit ms/frame | reconstruction ms/frame | fit / reconstruction |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var c in results)
        {
            var jaw = Curve(c.Animation, "jawOpen");
            var blinkL = Curve(c.Animation, "eyeBlinkLeft");
            var blinkR = Curve(c.Animation, "eyeBlinkRight");
            var tracking = c.TrackingMsPerFrame is { } t ? F(t, 2) : "not timed";
            var ratio = c.TrackingMsPerFrame is { } t2 ? F(c.FitMsPerFrame / t2, 2) : "—";
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {c.Name} ({c.Width}x{c.Height}, {c.Rate}) | {c.Animation.Frames.Count} | {P(c.ReprojectionIod.Average())} ({P(c.ReprojectionIod.Max())}) | {P(c.ModelReprojectionIod.Average())} | {F(Pearson(jaw, c.LipGap), 3)} | {F(Pearson(blinkL, c.LeftEye), 3)} | {F(Pearson(blinkR, c.RightEye), 3)} | {F(blinkL.Max(), 2)} / {F(blinkR.Max(), 2)} | {F(c.FitMsPerFrame, 3)} | {tracking} | {ratio} |");
        }

        text.AppendLine();
        text.AppendLine("| clip | identity fit | identity RMS residual | neutral frames | pose-free landmark error / IOD | jawOpen max | mean weight of the 5 most used shapes |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---|");
        foreach (var c in results)
        {
            var means = Enumerable.Range(0, 52).Select(a => (Name: ArkitBlendshapes.Names[a], Mean: c.Animation.Frames.Average(f => f.Weights[a]))).OrderByDescending(x => x.Mean).Take(5);
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {c.Name} | {F(c.IdentityMs, 1)} ms | {F(c.Animation.Actor.RmsResidualCm, 3)} cm | {c.Animation.NeutralFrames.Count} of {c.Animation.Frames.Count} | {P(c.PoseFreeIod.Average())} | {F(Curve(c.Animation, "jawOpen").Max(), 2)} | {string.Join(", ", means.Select(m => $"{m.Name} {F(m.Mean, 2)}"))} |");
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"Reprojection error: per frame, the mean image distance between MediaPipe's 468 landmarks and the fit's landmarks (the actor's neutral moved by the fitted expression and the fit's rigid correction) taken back through the frame's head pose and MediaPipe's camera, divided by the landmarks' outer-eye-corner distance (33–263) in the image. \"ICT mesh alone\": the same with the fitted ICT identity in place of the actor's own neutral. Fit ms/frame: `BlendshapeFitter.FitSequence` over the clip, median of {settings.Passes} passes after one warm-up, one thread. Reconstruction ms/frame: `FaceTracker.Process` on the decoded frames (fresh tracker per pass, median of {settings.Passes} passes after one warm-up; ONNX Runtime CPU, its default threads), as in `facepipe-bench reconstruction`. Correlations: Pearson over all frames; a blink lowers the opening, so its r is negative.");
        return text.ToString();
    }
}
