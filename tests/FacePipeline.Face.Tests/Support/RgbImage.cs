using System.Diagnostics;

namespace FacePipeline.Face.Tests.Support;

/// <summary>A packed RGB24 image (stride = width x 3).</summary>
public sealed record RgbImage(int Width, int Height, byte[] Pixels)
{
    private const string FfmpegPath = "/usr/bin/ffmpeg";

    public static RgbImage Solid(int width, int height, byte r, byte g, byte b)
    {
        var pixels = new byte[width * height * 3];
        for (var i = 0; i < pixels.Length; i += 3)
        {
            pixels[i] = r;
            pixels[i + 1] = g;
            pixels[i + 2] = b;
        }

        return new RgbImage(width, height, pixels);
    }

    /// <summary>Decodes an image file with ffmpeg to RGB24 of the given (known) size.</summary>
    public static RgbImage Decode(string path, int width, int height)
    {
        var ffmpeg = File.Exists(FfmpegPath) ? FfmpegPath : "ffmpeg";
        var start = new ProcessStartInfo(ffmpeg)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-nostdin", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("ffmpeg did not start.");
        var stderr = process.StandardError.ReadToEndAsync();
        using var buffer = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(buffer);
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"ffmpeg failed ({process.ExitCode}) on {path}: {stderr.Result}");
        }

        var pixels = buffer.ToArray();
        if (pixels.Length != width * height * 3)
        {
            throw new InvalidDataException($"{path}: ffmpeg gave {pixels.Length} bytes, expected {width}x{height}x3 = {width * height * 3}.");
        }

        return new RgbImage(width, height, pixels);
    }
}
