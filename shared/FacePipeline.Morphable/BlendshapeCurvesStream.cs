using System.Text;
using System.Text.Json;
using FacePipeline.Geometry;
using FacePipeline.Media;

namespace FacePipeline.Morphable;

/// <summary>One frame of a clip's main face as the tracker reports it: its time, and its 468 landmarks and 10 iris points (pixels + relative Z), or null.</summary>
public readonly record struct ScreenFaceFrame(double Time, Vec3[]? Landmarks, Vec3[]? Irises);

/// <summary>One frame of a sequence whose actor's neutral is known (a retarget's): its time, its pose-free face, or null, and the gaze to show, or null.</summary>
public readonly record struct PoseFreeFaceFrame(double Time, PoseFreeFace? Face, FaceGaze? Gaze);

/// <summary>
/// The curves of <see cref="BlendshapeAnimation"/>, fitted and written frame by frame (issue 16: memory flat in length):
/// the same CSV (<see cref="LiveLinkFaceCsv"/>) and JSON (<see cref="BlendshapeCurvesJson"/>) bytes as the animation held
/// in memory, without holding a face per frame. A clip's faces are spilled to a temporary file on the first pass (exact
/// doubles), the neutral is their per-point median over the neutral frames (<see cref="PointMedian"/>), and the frames
/// are fitted in order from the file, each row written once fitted (frames without a face wait, as a count, for the next
/// fitted one). In memory: a few numbers per frame (time, openings, gaze).
/// </summary>
public static class BlendshapeCurvesStream
{
    /// <summary>Records in the spill: the 468 pose-free points, then the pose (rotation rows, translation, scale).</summary>
    private const int PosePoints = 5;

    /// <summary>
    /// <see cref="BlendshapeAnimation.FromScreenLandmarks"/> then <see cref="LiveLinkFaceCsv.Write(TextWriter, BlendshapeAnimation, Timecode?)"/>
    /// and <see cref="BlendshapeCurvesJson.Write(Stream, BlendshapeAnimation, string?, bool, Timecode?)"/>, streamed:
    /// <paramref name="frames"/> is read once (<paramref name="frameCount"/> frames, each with its time).
    /// </summary>
    /// <param name="fitter">The fitter (model and correspondence).</param>
    /// <param name="metric">The geometry pipeline (head pose, pose-free landmarks).</param>
    /// <param name="frameCount">Frames <paramref name="frames"/> gives.</param>
    /// <param name="frames">Every frame in order, read once.</param>
    /// <param name="width">Frame width, pixels.</param>
    /// <param name="height">Frame height, pixels.</param>
    /// <param name="rate">The clip's frame rate.</param>
    /// <param name="neutralFrame">A frame the studio names as the actor's neutral (it must show the face).</param>
    /// <param name="csv">Where the CSV goes.</param>
    /// <param name="json">Where the JSON goes.</param>
    /// <param name="source">The clip's name in the JSON, or null.</param>
    /// <param name="gazeMapping">How gaze becomes eyeLook weights.</param>
    /// <param name="spillDirectory">Where the temporary file goes (default: the system's temporary folder).</param>
    /// <param name="startTimecode">The clip's first timecode: the CSV's and the JSON's timecodes start there (null: 00:00:00:00, none in the JSON).</param>
    public static void FromScreenLandmarks(
        BlendshapeFitter fitter,
        MetricLandmarks metric,
        int frameCount,
        IEnumerable<ScreenFaceFrame> frames,
        int width,
        int height,
        RationalFrameRate rate,
        int? neutralFrame,
        TextWriter csv,
        Stream json,
        string? source = null,
        GazeMapping? gazeMapping = null,
        string? spillDirectory = null,
        Timecode? startTimecode = null)
    {
        ArgumentNullException.ThrowIfNull(fitter);
        ArgumentNullException.ThrowIfNull(metric);
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentNullException.ThrowIfNull(csv);
        ArgumentNullException.ThrowIfNull(json);
        const int points = MediaPipeFaceIndices.PointCount;
        using var spill = new PointSpill(points + PosePoints, spillDirectory);

        // Pass 1: each face's geometry, spilled; what the neutral frames and the gaze need, kept.
        var times = new double[frameCount];
        var record = new int[frameCount];
        var openings = new FaceOpenings?[frameCount];
        var gaze = new FaceGaze?[frameCount];
        var buffer = new Vec3[points + PosePoints];
        var f = 0;
        foreach (var frame in frames)
        {
            if (f >= frameCount)
            {
                throw new ArgumentException($"More than the {frameCount} frames announced.", nameof(frames));
            }

            times[f] = frame.Time;
            record[f] = -1;
            if (frame.Landmarks is { } landmarks)
            {
                var geometry = metric.Estimate(landmarks, width, height);
                geometry.PoseFreeLandmarks.CopyTo(buffer, 0);
                WritePose(geometry.Pose, buffer.AsSpan(points));
                record[f] = spill.Append(buffer);
                openings[f] = NeutralFrames.Measure(geometry.PoseFreeLandmarks);
                gaze[f] = frame.Irises is { } irises ? GazeEstimator.Estimate(landmarks, irises) : null;
            }

            f++;
        }

        if (f != frameCount)
        {
            throw new ArgumentException($"{f} frames for the {frameCount} announced.", nameof(frames));
        }

        int[] neutralFrames;
        if (neutralFrame is { } chosen)
        {
            if (chosen < 0 || chosen >= frameCount || record[chosen] < 0)
            {
                throw new ArgumentException($"The neutral frame {chosen} has no face.", nameof(neutralFrame));
            }

            neutralFrames = [chosen];
        }
        else
        {
            neutralFrames = NeutralFrames.SelectByOpenings(openings);
        }

        var neutralRecords = neutralFrames.Select(n => record[n]).ToArray();
        var neutral = PointMedian.Estimate(neutralRecords.Length, points, visit => spill.ForEach(neutralRecords, face => visit(face[..points])));

        // The gaze is measured from the actor's rest: their gaze on the neutral frames, else the defaults.
        GazeRest? rest = gaze.Any(g => g is not null)
            ? GazeRest.Median(neutralFrames.Select(n => gaze[n]).OfType<FaceGaze>()) ?? GazeRest.Default(gazeMapping)
            : null;

        var actor = fitter.FitIdentity(neutral);
        using var curves = new CurvesWriter(fitter, actor, rate, frameCount, neutralFrames, csv, json, source, startTimecode);
        var poseFree = new Vec3[points];
        for (f = 0; f < frameCount; f++)
        {
            if (record[f] < 0)
            {
                curves.Gap(f, times[f]);
                continue;
            }

            spill.Read(record[f], buffer);
            buffer.AsSpan(0, points).CopyTo(poseFree);
            var eyeLook = gaze[f] is { } g ? GazeEstimator.EyeLook(g, gazeMapping, rest) : null;
            curves.Fitted(f, times[f], poseFree, ReadPose(buffer.AsSpan(points)), eyeLook);
        }

        curves.Complete();
    }

    /// <summary>
    /// <see cref="BlendshapeAnimation.CreateWithNeutral"/> then the CSV and the JSON, streamed: <paramref name="frames"/>
    /// is read once (<paramref name="frameCount"/> frames), each row written once fitted.
    /// </summary>
    public static void WithNeutral(
        BlendshapeFitter fitter,
        int frameCount,
        IEnumerable<PoseFreeFaceFrame> frames,
        RationalFrameRate rate,
        Vec3[] neutral,
        TextWriter csv,
        Stream json,
        string? source = null,
        GazeMapping? gazeMapping = null,
        Timecode? startTimecode = null)
    {
        ArgumentNullException.ThrowIfNull(fitter);
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentNullException.ThrowIfNull(neutral);
        var actor = fitter.FitIdentity(neutral);

        // No neutral frames: the rest is the defaults wherever gaze is measured (BlendshapeAnimation.CreateWithNeutral).
        var rest = GazeRest.Default(gazeMapping);
        using var curves = new CurvesWriter(fitter, actor, rate, frameCount, [], csv, json, source, startTimecode);
        var f = 0;
        foreach (var frame in frames)
        {
            if (f >= frameCount)
            {
                throw new ArgumentException($"More than the {frameCount} frames announced.", nameof(frames));
            }

            if (frame.Face is { } face)
            {
                curves.Fitted(f, frame.Time, face.PoseFreeLandmarks, face.Pose, frame.Gaze is { } g ? GazeEstimator.EyeLook(g, gazeMapping, rest) : null);
            }
            else
            {
                curves.Gap(f, frame.Time);
            }

            f++;
        }

        if (f != frameCount)
        {
            throw new ArgumentException($"{f} frames for the {frameCount} announced.", nameof(frames));
        }

        curves.Complete();
    }

    private static void WritePose(FacePose pose, Span<Vec3> target)
    {
        var r = pose.Rotation;
        target[0] = new Vec3(r[0, 0], r[0, 1], r[0, 2]);
        target[1] = new Vec3(r[1, 0], r[1, 1], r[1, 2]);
        target[2] = new Vec3(r[2, 0], r[2, 1], r[2, 2]);
        target[3] = pose.Translation;
        target[4] = new Vec3(pose.Scale, 0, 0);
    }

    private static FacePose ReadPose(ReadOnlySpan<Vec3> source) => new(
        new Matrix3(source[0].X, source[0].Y, source[0].Z, source[1].X, source[1].Y, source[1].Z, source[2].X, source[2].Y, source[2].Z),
        source[3],
        source[4].X);

    /// <summary>
    /// Fits frames in order and writes each one's row to both outputs as soon as it is known: a frame without a face
    /// waits (its index and time) until the next fitted frame (interpolated between the two, or held before the first)
    /// or the end (held after the last), as <see cref="BlendshapeAnimation"/> fills them.
    /// </summary>
    private sealed class CurvesWriter : IDisposable
    {
        private readonly BlendshapeFitter _fitter;
        private readonly ActorIdentity _actor;
        private readonly RationalFrameRate _rate;
        private readonly Timecode? _start;
        private readonly int _frameCount;
        private readonly TextWriter _csv;
        private readonly Utf8JsonWriter _json;
        private readonly StringBuilder _line = new(1024);
        private readonly List<(int Index, double Time)> _waiting = [];
        private FrameFit? _previous;
        private (int Index, FrameFit Fit, HeadPose Head)? _last;
        private int _written;

        public CurvesWriter(BlendshapeFitter fitter, ActorIdentity actor, RationalFrameRate rate, int frameCount, IReadOnlyList<int> neutralFrames, TextWriter csv, Stream json, string? source, Timecode? start)
        {
            _fitter = fitter;
            _actor = actor;
            _rate = rate;
            _start = LiveLinkFaceCsv.StartAt(start, rate);
            _frameCount = frameCount;
            _csv = csv;
            _json = new Utf8JsonWriter(json);
            LiveLinkFaceCsv.WriteHeader(csv);
            BlendshapeCurvesJson.WriteStart(_json, rate, frameCount, actor, neutralFrames, source, _start);
        }

        public void Gap(int index, double time)
        {
            _previous = null; // no temporal term across a gap
            _waiting.Add((index, time));
        }

        public void Fitted(int index, double time, ReadOnlySpan<Vec3> poseFree, FacePose pose, float[]? eyeLook)
        {
            var fit = _fitter.FitFrame(_actor, poseFree, _previous, eyeLook);
            _previous = fit;
            var head = BlendshapeAnimation.HeadPoseOf(pose, _actor, fit, _fitter.Correspondence.CanonicalToIct);
            foreach (var (gap, gapTime) in _waiting)
            {
                if (_last is { } before)
                {
                    var t = (float)(gap - before.Index) / (index - before.Index);
                    var headT = (double)(gap - before.Index) / (index - before.Index);
                    Emit(gap, gapTime, BlendshapeFitter.Interpolated(before.Fit, fit, t), BlendshapeAnimation.InterpolatedHead(before.Head, head, headT));
                }
                else
                {
                    Emit(gap, gapTime, BlendshapeFitter.Held(fit), head);
                }
            }

            _waiting.Clear();
            Emit(index, time, fit, head);
            _last = (index, fit, head);
        }

        public void Complete()
        {
            if (_last is not { } last)
            {
                throw new ArgumentException("No frame has a face.");
            }

            foreach (var (gap, gapTime) in _waiting)
            {
                Emit(gap, gapTime, BlendshapeFitter.Held(last.Fit), last.Head);
            }

            _waiting.Clear();
            if (_written != _frameCount)
            {
                throw new InvalidOperationException($"{_written} frames were written of {_frameCount}.");
            }

            BlendshapeCurvesJson.WriteEnd(_json);
            _csv.Flush();
        }

        public void Dispose() => _json.Dispose();

        private void Emit(int index, double time, FrameFit fit, HeadPose head)
        {
            if (index != _written)
            {
                throw new InvalidOperationException($"Frame {index} came where frame {_written} was expected.");
            }

            var frame = new BlendshapeFrame(index, time, _fitter.ArkitWeights(fit), head, fit.Status);
            LiveLinkFaceCsv.WriteRow(_csv, frame, _rate, _start, _line);
            BlendshapeCurvesJson.WriteFrame(_json, frame, _start);
            _written++;
        }
    }
}
