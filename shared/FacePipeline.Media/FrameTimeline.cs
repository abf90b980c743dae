using System.Text.Json;
using System.Text.Json.Serialization;

namespace FacePipeline.Media;

/// <summary>
/// Presentation time of every extracted frame (timeline.json). <see cref="Seconds"/> are on the same clock as the
/// extracted audio: stream pts × time base minus the container start time (what ffmpeg does by default).
/// </summary>
/// <param name="FrameRate">Nominal frame rate, e.g. "30000/1001".</param>
/// <param name="TimeBase">Stream time base of <paramref name="Pts"/>, e.g. "1/30000"; null when the times were synthesised.</param>
/// <param name="ContainerStartSeconds">Container start time subtracted from every pts.</param>
/// <param name="Source">"packets" (demuxed packet pts, sorted), "frames" (decoded frame timestamps) or "constant-rate" (synthesised).</param>
/// <param name="Pts">Per-frame pts in <paramref name="TimeBase"/> units (empty when synthesised).</param>
/// <param name="Seconds">Per-frame presentation time in seconds.</param>
/// <param name="EndSeconds">When the last frame stops being shown (the video stream's start plus its duration, on the same
/// clock), when the container says; null for timelines written before issue 15 or when it does not say.</param>
/// <param name="StreamIndex">The video stream's index in the file, which the frames are decoded from (<see cref="FrameRangeReader"/>);
/// null: the first video stream.</param>
/// <param name="Seekable">Whether the container seeks by an index, to a key frame at or before the time asked for (MP4/MOV,
/// Matroska): a run of frames is then decoded from a seek; other containers (MPEG-TS, say, whose seek may land past the
/// time) are decoded from their start (<see cref="FrameRangeReader"/>).</param>
/// <param name="DecoderTimes">Whether the decoder gives every frame exactly its time here (so a frame can be picked by its
/// time). False when the stream's pts are duplicate or out of order and the decoder's guesses differ from them: frames are
/// then counted from the start (<see cref="FrameRangeReader"/>); the times still say when each frame is shown.</param>
/// <param name="StartTimecode">The first frame's SMPTE timecode, as the source carries it (its <c>tmcd</c> track's, video
/// stream's or container's <c>timecode</c> tag), written <c>HH:MM:SS:FF</c>, or <c>HH:MM:SS;FF</c> for drop-frame, at
/// <paramref name="FrameRate"/> (<see cref="Start"/>); null when the source has none (or one that is no timecode at its rate).
/// Frame k's timecode is the start plus k frames: the outputs made from the clip start there (issue 18).</param>
/// <param name="PlanesMatrix">The matrix (<c>bt601</c> or <c>bt709</c>) with which the clip's frames, decoded as 4:2:0 planes, turn into
/// exactly the RGB24 ffmpeg would give (<see cref="DecodedPlanes.ExactMatrix"/>: 8-bit limited-range 4:2:0, an even height, a
/// BT.601 or BT.709 stream): Reconstruction then takes the planes and converts what its models read (<c>Yuv420RgbFrame</c>).
/// Null for any other clip, or a timeline written before it was kept: RGB24 from ffmpeg.</param>
/// <param name="DecodeCounted">Whether extraction decoded every frame to count them (true for every timeline written before
/// it was kept). False for a clip of a track job's single-decode pass whose packets are its frames as they are
/// (<see cref="DemuxedPackets"/>): the count and times are the packets', and the pass's own decode is the check.</param>
public sealed record FrameTimeline(
    [property: JsonPropertyName("frameRate")] string FrameRate,
    [property: JsonPropertyName("timeBase")] string? TimeBase,
    [property: JsonPropertyName("containerStartSeconds")] double ContainerStartSeconds,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("pts")] IReadOnlyList<long> Pts,
    [property: JsonPropertyName("seconds")] IReadOnlyList<double> Seconds,
    [property: JsonPropertyName("endSeconds")] double? EndSeconds = null,
    [property: JsonPropertyName("streamIndex")] int? StreamIndex = null,
    [property: JsonPropertyName("seekable")] bool Seekable = false,
    [property: JsonPropertyName("decoderTimes")] bool DecoderTimes = true,
    [property: JsonPropertyName("startTimecode")] string? StartTimecode = null,
    [property: JsonPropertyName("planesMatrix")] string? PlanesMatrix = null,
    [property: JsonPropertyName("decodeCounted")] bool DecodeCounted = true)
{
    public const string FileName = "timeline.json";

    /// <summary>The first frame's timecode counted at the clip's <see cref="FrameRate"/>; null when the clip has none.</summary>
    [JsonIgnore]
    public Timecode? Start =>
        Rational.TryParse(FrameRate, out var rate) && rate.IsPositive && Timecode.TryParse(StartTimecode, rate, out var start) ? start : null;

    [JsonPropertyName("frameCount")]
    public int FrameCount => Seconds.Count;

    /// <summary>
    /// The frame on screen at <paramref name="seconds"/> (this timeline's clock): the last frame shown at or before it;
    /// 0 before the first frame. What ffmpeg's fps filter picks for an output frame at that time (issue 15: resampling a
    /// variable-rate clip to a constant rate by time, not by index).
    /// </summary>
    public int FrameShownAt(double seconds)
    {
        if (Seconds.Count == 0)
        {
            throw new InvalidOperationException("The timeline has no frames.");
        }

        var lo = 0;
        var hi = Seconds.Count - 1;
        while (lo < hi)
        {
            var mid = (lo + hi + 1) / 2;
            if (Seconds[mid] <= seconds + 1e-9)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return lo;
    }

    /// <summary>
    /// Where <paramref name="seconds"/> falls on the frame axis: k + (t − t_k) / (t_{k+1} − t_k) between frames k and k+1,
    /// clamped to [0, last frame]. A constant-rate clip gives t · rate (minus the first frame's time).
    /// </summary>
    public double PositionAt(double seconds)
    {
        var k = FrameShownAt(seconds);
        if (k >= Seconds.Count - 1 || seconds <= Seconds[0])
        {
            return seconds <= Seconds[0] ? 0 : Seconds.Count - 1;
        }

        var span = Seconds[k + 1] - Seconds[k];
        return span <= 0 ? k : k + Math.Clamp((seconds - Seconds[k]) / span, 0, 1);
    }

    public static FrameTimeline Load(string path)
    {
        using var stream = File.OpenRead(path);
        return JsonSerializer.Deserialize<FrameTimeline>(stream)
            ?? throw new InvalidDataException($"{path} is not a frame timeline.");
    }

    /// <summary>Writes to a temporary name in the same directory, then renames (readers never see half a file).</summary>
    public void Save(string path)
    {
        var temp = path + ".partial";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, this);
        }

        File.Move(temp, path, overwrite: true);
    }
}
