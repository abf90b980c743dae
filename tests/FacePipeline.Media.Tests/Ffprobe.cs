using System.Diagnostics;
using System.Text.Json;

namespace FacePipeline.Media.Tests;

/// <summary>Independent checks with the ffprobe/ffmpeg command-line tools (not through the code under test).</summary>
internal static class Ffprobe
{
    /// <summary>Decodes the first video stream and returns ffprobe's nb_read_frames.</summary>
    public static long CountFrames(string path) =>
        long.Parse(Stream(path, "v:0", "nb_read_frames", countFrames: true).GetProperty("nb_read_frames").GetString()!, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The selected stream's entries (e.g. "codec_name,r_frame_rate,duration") as ffprobe's JSON.</summary>
    public static JsonElement Stream(string path, string selector, string entries, bool countFrames = false)
    {
        var json = Run("ffprobe", $"-v error {(countFrames ? "-count_frames " : string.Empty)}-select_streams {selector} -show_entries stream={entries} -of json \"{path}\"");
        using var doc = JsonDocument.Parse(json);
        var streams = doc.RootElement.GetProperty("streams");
        Assert.True(streams.GetArrayLength() > 0, $"no stream {selector} in {path}");
        return streams[0].Clone();
    }

    public static bool HasStream(string path, string selector)
    {
        var json = Run("ffprobe", $"-v error -select_streams {selector} -show_entries stream=index -of json \"{path}\"");
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("streams").GetArrayLength() > 0;
    }

    public static double FormatDuration(string path) =>
        double.Parse(Run("ffprobe", $"-v error -show_entries format=duration -of csv=p=0 \"{path}\"").Trim(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Frame <paramref name="index"/> of the first video stream as RGB24, decoded by the ffmpeg CLI.</summary>
    public static byte[] DecodeFrame(string path, int index, string extraInputArgs = "", string filter = "")
    {
        var chain = (filter.Length > 0 ? filter + "," : string.Empty) + $"select=eq(n\\,{index})";
        return RunBinary("ffmpeg", $"-v error {extraInputArgs} -i \"{path}\" -map 0:v:0 -vf {chain} -fps_mode passthrough -frames:v 1 -pix_fmt rgb24 -f rawvideo -");
    }

    /// <summary>Runs a tool and returns its standard output's bytes (e.g. raw frames); fails the test if it fails.</summary>
    public static byte[] RunToBytes(string tool, string arguments) => RunBinary(tool, arguments);

    /// <summary>Runs the ffmpeg CLI and fails the test if it fails.</summary>
    public static void Ffmpeg(string arguments) => Run("ffmpeg", "-v error -y " + arguments);

    public static string Run(string tool, string arguments)
    {
        using var process = Start(tool, arguments);
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{tool} {arguments} failed: {stderr.Result}");
        return stdout;
    }

    private static byte[] RunBinary(string tool, string arguments)
    {
        using var process = Start(tool, arguments);
        var stderr = process.StandardError.ReadToEndAsync();
        using var buffer = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(buffer);
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{tool} {arguments} failed: {stderr.Result}");
        return buffer.ToArray();
    }

    private static Process Start(string tool, string arguments) =>
        Process.Start(new ProcessStartInfo(tool, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
}
