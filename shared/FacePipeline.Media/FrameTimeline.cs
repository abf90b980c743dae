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
public sealed record FrameTimeline(
    [property: JsonPropertyName("frameRate")] string FrameRate,
    [property: JsonPropertyName("timeBase")] string? TimeBase,
    [property: JsonPropertyName("containerStartSeconds")] double ContainerStartSeconds,
    [property: JsonPropertyName("source")] string Source,
    [property: JsonPropertyName("pts")] IReadOnlyList<long> Pts,
    [property: JsonPropertyName("seconds")] IReadOnlyList<double> Seconds)
{
    public const string FileName = "timeline.json";

    [JsonPropertyName("frameCount")]
    public int FrameCount => Seconds.Count;

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
