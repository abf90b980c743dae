using FacePipeline.Geometry;

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
public sealed record TrackCurvesInput(
    string SourceName,
    int Width,
    int Height,
    long FrameRateNumerator,
    long FrameRateDenominator,
    IReadOnlyList<double> Times,
    IReadOnlyList<Vec3[]?> Landmarks,
    int? NeutralFrame);

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

        var landmarks = frames.Select(f => f.Faces.FirstOrDefault(face => face.TrackId == track) is { } face
            ? face.Landmarks.Select(p => new Vec3(p[0], p[1], p[2])).ToArray()
            : null).ToList();
        var neutral = neutralFrame is { } n && n >= 0 && n < landmarks.Count && landmarks[n] is not null ? neutralFrame : null;
        return new TrackCurvesInput(sourceName, width, height, rateNumerator, rateDenominator, [.. frames.Select(f => f.Time)], landmarks, neutral);
    }
}
