using System.Diagnostics;
using FacePipeline.TestSupport;

namespace FacePipeline.EndToEnd.Tests;

/// <summary>Hostile or broken uploads, made at test time from the shared footage (nothing committed).</summary>
public static class BadInputs
{
    public static string Make(string kind)
    {
        var folder = RepoPaths.NewScratchFolder("bad-" + kind);
        var path = Path.Combine(folder, "upload.mp4");
        switch (kind)
        {
            case "empty":
                File.WriteAllBytes(path, []);
                break;
            case "png-renamed":
                File.Copy(RepoPaths.MediaFile("astronaut.png"), path);
                break;
            case "truncated":
                var bytes = File.ReadAllBytes(RepoPaths.MediaFile("obama_wh_closeup.mp4"));
                File.WriteAllBytes(path, bytes[..(bytes.Length / 2)]);
                break;
            case "audio-only":
                var audio = Path.Combine(folder, "audio.m4a");
                Run("ffmpeg", "-v", "error", "-y", "-i", RepoPaths.MediaFile("obama_wh_closeup.mp4"), "-vn", "-c:a", "copy", audio);
                File.Move(audio, path);
                break;
            case "no-face":
                Run("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=2", "-pix_fmt", "yuv420p", path);
                break;
            case "text":
                File.WriteAllText(path, "This is not a video, it is a note about one.\n");
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }

        return path;
    }

    private static void Run(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} failed: {error}");
        }
    }
}
