using FacePipeline.Contracts;
using FacePipeline.Geometry;
using FacePipeline.Media;
using FacePipeline.Storage;

namespace FacePipeline.Stages;

/// <summary>
/// What a track job's blendshape curves are made from: the main face's screen landmarks per frame
/// (the track present on the most frames; null where it is absent), the clip's frame rate, times and
/// neutral frame.
/// </summary>
/// <param name="SourceName">The upload's name.</param>
/// <param name="Width">Frame width in pixels.</param>
/// <param name="Height">Frame height in pixels.</param>
/// <param name="FrameRateNumerator">Exact frame rate, numerator.</param>
/// <param name="FrameRateDenominator">Exact frame rate, denominator.</param>
/// <param name="Times">Per frame presentation time in seconds.</param>
/// <param name="Landmarks">Per frame the main face's 468 landmarks (pixels + relative Z, filtered as in tracking.json), or null.</param>
/// <param name="NeutralFrame">The job's neutral frame, when it names one and the main face is on it.</param>
/// <param name="Irises">
/// Per frame the main face's 10 iris points (<see cref="FaceRecord.Irises"/>: pixels + relative Z, filtered as the
/// landmarks), or null where it has none; null as a whole when the clip was tracked without irises (468-point model).
/// What the gaze curves (eyeLook*) are measured from.
/// </param>
/// <param name="StartTimecode">The clip's first timecode: the curves' timecodes start there (null: 00:00:00:00).</param>
public sealed record TrackCurvesInput(
    string SourceName,
    int Width,
    int Height,
    long FrameRateNumerator,
    long FrameRateDenominator,
    IReadOnlyList<double> Times,
    IReadOnlyList<Vec3[]?> Landmarks,
    int? NeutralFrame,
    IReadOnlyList<Vec3[]?>? Irises = null,
    Timecode? StartTimecode = null);

/// <summary>
/// What a retarget's blendshape curves are made from: per output frame the transferred face (the target's pose-free
/// neutral carrying the source's expression) and the head pose shown, or null where the footage is shown as it is.
/// </summary>
/// <param name="SourceName">The performer's clip (the curves are its expression, on the target).</param>
/// <param name="FrameRateNumerator">The output's exact frame rate, numerator.</param>
/// <param name="FrameRateDenominator">The output's exact frame rate, denominator.</param>
/// <param name="Times">Per output frame, seconds from the start of the result.</param>
/// <param name="Neutral">The target's pose-free neutral (468 points, cm).</param>
/// <param name="Faces">Per output frame the transferred pose-free face (468 points, cm), or null.</param>
/// <param name="Poses">Per output frame the head pose shown, or null.</param>
/// <param name="PerformerEyes">
/// The seam for the transferred gaze (the performer's gaze, relative to the head, is what the result shows): per output
/// frame the performer's (source's) screen face of the frame it plays, 478 points — the 468 landmarks then the 10 iris
/// points, as in tracking.json (<see cref="FaceRecord.Landmarks"/> + <see cref="FaceRecord.Irises"/>) — or null where
/// there is none or it has no irises. Null as a whole: no gaze (the eyeLook curves stay as the fit leaves them, ≈ 0).
/// See <see cref="ITrackCurvesWriter.ScreenEyes"/>.
/// </param>
/// <param name="StartTimecode">The result's first timecode (the performer's, at the output's rate): the curves' timecodes start there (null: 00:00:00:00).</param>
public sealed record TransferredCurvesInput(
    string SourceName,
    long FrameRateNumerator,
    long FrameRateDenominator,
    IReadOnlyList<double> Times,
    Vec3[] Neutral,
    IReadOnlyList<Vec3[]?> Faces,
    IReadOnlyList<FacePose?> Poses,
    IReadOnlyList<Vec3[]?>? PerformerEyes = null,
    Timecode? StartTimecode = null);

/// <summary>
/// Writes a track job's blendshape curves (<c>blendshapes.csv</c>, <c>blendshapes.json</c>). The
/// fitting lives in FacePipeline.Morphable; the Rendering service supplies the implementation, and a
/// <see cref="TrackRenderStage"/> without one writes no curves.
/// </summary>
public interface ITrackCurvesWriter
{
    /// <summary>
    /// Writes the curves into the two streams; false (nothing written) when they cannot be made, for
    /// example when the morphable model is not installed.
    /// </summary>
    bool TryWrite(TrackCurvesInput input, Stream csv, Stream json);

    /// <summary>A retarget's curves of the transferred expression, at the output's frame rate; false (nothing written) as above.</summary>
    bool TryWriteTransferred(TransferredCurvesInput input, Stream csv, Stream json);

    /// <summary>
    /// <see cref="TryWrite(TrackCurvesInput, Stream, Stream)"/> from a clip's main face read frame by frame (issue 16): a
    /// writer that streams overrides it; this default gathers the input in memory.
    /// </summary>
    bool TryWrite(TrackCurvesSource source, Stream csv, Stream json)
    {
        ArgumentNullException.ThrowIfNull(source);
        return TryWrite(source.ToInput(), csv, json);
    }

    /// <summary>
    /// <see cref="TryWriteTransferred(TransferredCurvesInput, Stream, Stream)"/> from the output frames read one by one
    /// (issue 16): a writer that streams overrides it; this default gathers the input in memory.
    /// </summary>
    bool TryWriteTransferred(TransferredCurvesSource source, Stream csv, Stream json)
    {
        ArgumentNullException.ThrowIfNull(source);
        return TryWriteTransferred(source.ToInput(), csv, json);
    }

    /// <summary>
    /// The input for a clip's records: the track found on the most frames (the lowest id on a tie),
    /// or null when no frame has a face.
    /// </summary>
    static TrackCurvesInput? InputFor(IReadOnlyList<FrameRecord> frames, string sourceName, int width, int height, long rateNumerator, long rateDenominator, int? neutralFrame)
    {
        ArgumentNullException.ThrowIfNull(frames);
        var main = frames.SelectMany(f => f.Faces).GroupBy(f => f.TrackId)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key).Select(g => (int?)g.Key).FirstOrDefault();
        if (main is not { } track)
        {
            return null;
        }

        var faces = frames.Select(f => f.Faces.FirstOrDefault(face => face.TrackId == track)).ToList();
        var landmarks = faces.Select(face => face is null ? null : Points(face.Landmarks)).ToList();
        var irises = faces.Any(face => face?.Irises is not null)
            ? faces.Select(face => face?.Irises is { } i ? Points(i) : null).ToList()
            : null;
        var neutral = neutralFrame is { } n && n >= 0 && n < landmarks.Count && landmarks[n] is not null ? neutralFrame : null;
        return new TrackCurvesInput(sourceName, width, height, rateNumerator, rateDenominator, [.. frames.Select(f => f.Time)], landmarks, neutral, irises);
    }

    /// <summary>
    /// A face's screen points for the gaze (<see cref="TransferredCurvesInput.PerformerEyes"/>): the 468 landmarks then
    /// the 10 iris points (478), or null when the face has no irises.
    /// </summary>
    static Vec3[]? ScreenEyes(FaceRecord face)
    {
        ArgumentNullException.ThrowIfNull(face);
        return face.Irises is { } irises ? Points(face.Landmarks.Concat(irises)) : null;
    }

    private static Vec3[] Points(IEnumerable<float[]> points) => [.. points.Select(p => new Vec3(p[0], p[1], p[2]))];
}

/// <summary>One frame of a clip's main face for its curves: its time, and the face's 468 landmarks and 10 iris points, or null.</summary>
public readonly record struct TrackCurvesFrame(double Time, Vec3[]? Landmarks, Vec3[]? Irises);

/// <summary>
/// What a track job's curves are made from (<see cref="TrackCurvesInput"/>), read from the clip's records frame by frame
/// instead of held (issue 16): the main face (the track on the most frames, the lowest id on a tie) found by a first pass
/// that keeps a count per track, then <see cref="Frames"/> reads the records again each time it is enumerated.
/// </summary>
/// <param name="SourceName">The upload's name.</param>
/// <param name="Width">Frame width in pixels.</param>
/// <param name="Height">Frame height in pixels.</param>
/// <param name="FrameRateNumerator">Exact frame rate, numerator.</param>
/// <param name="FrameRateDenominator">Exact frame rate, denominator.</param>
/// <param name="FrameCount">Frames <see cref="Frames"/> gives.</param>
/// <param name="NeutralFrame">The job's neutral frame, when it names one and the main face is on it.</param>
/// <param name="HasIrises">Whether the main face has irises on any frame (else <see cref="TrackCurvesInput.Irises"/> is null).</param>
/// <param name="Frames">Every frame's main face, in order, read afresh at each enumeration.</param>
/// <param name="StartTimecode">The clip's first timecode: the curves' timecodes start there (null: 00:00:00:00).</param>
public sealed record TrackCurvesSource(
    string SourceName,
    int Width,
    int Height,
    long FrameRateNumerator,
    long FrameRateDenominator,
    int FrameCount,
    int? NeutralFrame,
    bool HasIrises,
    IEnumerable<TrackCurvesFrame> Frames,
    Timecode? StartTimecode = null)
{
    /// <summary>
    /// The source for a clip's records: <paramref name="frames"/> is enumerated once here (to find the main face) and once
    /// more per enumeration of <see cref="Frames"/>. Null when no frame has a face (as <see cref="ITrackCurvesWriter.InputFor"/>).
    /// </summary>
    public static TrackCurvesSource? For(IEnumerable<FrameRecord> frames, string sourceName, int width, int height, long rateNumerator, long rateDenominator, int? neutralFrame) =>
        Scan(frames, sourceName, width, height, rateNumerator, rateDenominator, neutralFrame).Source;

    /// <summary>
    /// <see cref="For"/>, and whether any face of the clip has irises (<see cref="TrackingModels.For"/>), from the same
    /// single pass over <paramref name="frames"/>.
    /// </summary>
    public static TrackRecordsScan Scan(IEnumerable<FrameRecord> frames, string sourceName, int width, int height, long rateNumerator, long rateDenominator, int? neutralFrame)
    {
        ArgumentNullException.ThrowIfNull(frames);
        var counts = new SortedDictionary<int, (int Faces, bool Irises)>();
        var onNeutral = new HashSet<int>();
        var frameCount = 0;
        foreach (var frame in frames)
        {
            foreach (var face in frame.Faces)
            {
                counts.TryGetValue(face.TrackId, out var tally);
                counts[face.TrackId] = (tally.Faces + 1, tally.Irises || face.Irises is not null);
                if (frameCount == neutralFrame)
                {
                    onNeutral.Add(face.TrackId);
                }
            }

            frameCount++;
        }

        if (counts.Count == 0)
        {
            return new TrackRecordsScan(false, null);
        }

        var main = counts.OrderByDescending(c => c.Value.Faces).ThenBy(c => c.Key).First();
        var track = main.Key;
        var irises = main.Value.Irises;
        return new TrackRecordsScan(
            counts.Values.Any(c => c.Irises),
            new TrackCurvesSource(sourceName, width, height, rateNumerator, rateDenominator, frameCount, onNeutral.Contains(track) ? neutralFrame : null, irises, MainFace(frames, track, irises)));
    }

    /// <summary>The input held in memory, as <see cref="ITrackCurvesWriter.InputFor"/> makes it (for a writer that does not stream).</summary>
    public TrackCurvesInput ToInput()
    {
        var frames = Frames.ToList();
        return new TrackCurvesInput(
            SourceName, Width, Height, FrameRateNumerator, FrameRateDenominator,
            [.. frames.Select(f => f.Time)], [.. frames.Select(f => f.Landmarks)], NeutralFrame, HasIrises ? [.. frames.Select(f => f.Irises)] : null, StartTimecode);
    }

    private static IEnumerable<TrackCurvesFrame> MainFace(IEnumerable<FrameRecord> frames, int track, bool irises)
    {
        foreach (var frame in frames)
        {
            var face = frame.Faces.FirstOrDefault(f => f.TrackId == track);
            yield return new TrackCurvesFrame(
                frame.Time,
                face is null ? null : Points(face.Landmarks),
                irises && face?.Irises is { } i ? Points(i) : null);
        }
    }

    private static Vec3[] Points(float[][] points)
    {
        var result = new Vec3[points.Length];
        for (var k = 0; k < points.Length; k++)
        {
            result[k] = new Vec3(points[k][0], points[k][1], points[k][2]);
        }

        return result;
    }
}

/// <summary>What one pass over a clip's records tells: whether any face has irises, and its curves' source (null: no face).</summary>
public sealed record TrackRecordsScan(bool AnyIrises, TrackCurvesSource? Source);

/// <summary>One output frame of a retarget for its curves: its time, the transferred pose-free face and the pose shown (or nulls), and the performer's eyes (478 points) or null.</summary>
public readonly record struct TransferredCurvesFrame(double Time, Vec3[]? Face, FacePose? Pose, Vec3[]? PerformerEyes);

/// <summary>
/// What a retarget's curves are made from (<see cref="TransferredCurvesInput"/>), read output frame by output frame
/// (issue 16). <see cref="Frames"/> is enumerated once per use.
/// </summary>
/// <param name="SourceName">The performer's clip.</param>
/// <param name="FrameRateNumerator">The output's exact frame rate, numerator.</param>
/// <param name="FrameRateDenominator">The output's exact frame rate, denominator.</param>
/// <param name="FrameCount">Output frames.</param>
/// <param name="Neutral">The target's pose-free neutral (468 points, cm).</param>
/// <param name="HasEyes">Whether the performer's eyes are given (else <see cref="TransferredCurvesInput.PerformerEyes"/> is null).</param>
/// <param name="Frames">Every output frame, in order.</param>
/// <param name="StartTimecode">The result's first timecode: the curves' timecodes start there (null: 00:00:00:00).</param>
public sealed record TransferredCurvesSource(
    string SourceName,
    long FrameRateNumerator,
    long FrameRateDenominator,
    int FrameCount,
    Vec3[] Neutral,
    bool HasEyes,
    IEnumerable<TransferredCurvesFrame> Frames,
    Timecode? StartTimecode = null)
{
    /// <summary>The input held in memory (for a writer that does not stream).</summary>
    public TransferredCurvesInput ToInput()
    {
        var frames = Frames.ToList();
        return new TransferredCurvesInput(
            SourceName, FrameRateNumerator, FrameRateDenominator, [.. frames.Select(f => f.Time)], Neutral,
            [.. frames.Select(f => f.Face)], [.. frames.Select(f => f.Pose)], HasEyes ? [.. frames.Select(f => f.PerformerEyes)] : null, StartTimecode);
    }
}

/// <summary>Where a job's blendshape curves go: both files written under temporary names and committed together, or neither.</summary>
public static class CurvesFiles
{
    /// <summary>Runs <paramref name="write"/> on the two files of the job's curves; their keys when it wrote them, else nulls.</summary>
    public static (string? Csv, string? Json) Write(MediaStore store, Guid jobId, Func<Stream, Stream, bool> write)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(write);
        var csvKey = MediaKeys.Output(jobId, OutputNames.BlendshapesCsv);
        var jsonKey = MediaKeys.Output(jobId, OutputNames.BlendshapesJson);
        using var csv = store.BeginWrite(csvKey);
        using var json = store.BeginWrite(jsonKey);
        bool written;
        using (var csvStream = File.Create(csv.TempPath))
        using (var jsonStream = File.Create(json.TempPath))
        {
            written = write(csvStream, jsonStream);
        }

        if (!written)
        {
            return (null, null);
        }

        csv.Commit();
        json.Commit();
        return (csvKey, jsonKey);
    }
}
