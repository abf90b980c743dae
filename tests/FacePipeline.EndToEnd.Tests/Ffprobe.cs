using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace FacePipeline.EndToEnd.Tests;

/// <summary>What ffprobe itself says of a clip, counting decoded frames (an independent check of the outputs).</summary>
public sealed record ClipFacts(int Frames, string FrameRate, double DurationSeconds, bool HasAudio, string VideoCodec, int Width, int Height)
{
    public static ClipFacts Of(string path)
    {
        var info = new ProcessStartInfo("ffprobe", [
            "-v", "error", "-count_frames", "-print_format", "json", "-show_streams", "-show_format", path])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(info)!;
        var json = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        using var doc = JsonDocument.Parse(json);
        var streams = doc.RootElement.GetProperty("streams").EnumerateArray().ToList();
        var video = streams.First(s => s.GetProperty("codec_type").GetString() == "video");
        var duration = double.Parse(doc.RootElement.GetProperty("format").GetProperty("duration").GetString()!, CultureInfo.InvariantCulture);
        return new ClipFacts(
            int.Parse(video.GetProperty("nb_read_frames").GetString()!, CultureInfo.InvariantCulture),
            video.GetProperty("r_frame_rate").GetString()!,
            duration,
            streams.Any(s => s.GetProperty("codec_type").GetString() == "audio"),
            video.GetProperty("codec_name").GetString()!,
            video.GetProperty("width").GetInt32(),
            video.GetProperty("height").GetInt32());
    }
}
