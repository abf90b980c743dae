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

    /// <summary>Decodes every frame of a clip (in decode order, as ffmpeg numbers them) to RGB24 of the given size.</summary>
    public static IReadOnlyList<RgbImage> DecodeFrames(string path, int width, int height)
    {
        var all = DecodeBytes(path);
        var frame = width * height * 3;
        if (all.Length % frame != 0)
        {
            throw new InvalidDataException($"{path}: {all.Length} bytes is not a whole number of {width}x{height} frames.");
        }

        return [.. Enumerable.Range(0, all.Length / frame).Select(i => new RgbImage(width, height, all[(i * frame)..((i + 1) * frame)]))];
    }

    /// <summary>Decodes every frame of a clip to ffmpeg's 8-bit 4:2:0 planes (<c>yuv420p</c>), one array a frame.</summary>
    public static IReadOnlyList<byte[]> DecodeYuv420Frames(string path, int width, int height)
    {
        var all = DecodeBytes(path, "yuv420p");
        var frame = (width * height) + (2 * ((width + 1) / 2) * ((height + 1) / 2));
        if (all.Length % frame != 0)
        {
            throw new InvalidDataException($"{path}: {all.Length} bytes is not a whole number of {width}x{height} 4:2:0 frames.");
        }

        return [.. Enumerable.Range(0, all.Length / frame).Select(i => all[(i * frame)..((i + 1) * frame)])];
    }

    /// <summary>Decodes an image file with ffmpeg to RGB24 of the given (known) size.</summary>
    public static RgbImage Decode(string path, int width, int height)
    {
        var pixels = DecodeBytes(path);
        if (pixels.Length != width * height * 3)
        {
            throw new InvalidDataException($"{path}: ffmpeg gave {pixels.Length} bytes, expected {width}x{height}x3 = {width * height * 3}.");
        }

        return new RgbImage(width, height, pixels);
    }

    private static byte[] DecodeBytes(string path, string pixelFormat = "rgb24")
    {
        var ffmpeg = File.Exists(FfmpegPath) ? FfmpegPath : "ffmpeg";
        var start = new ProcessStartInfo(ffmpeg)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-nostdin", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", pixelFormat, "-" })
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

        return buffer.ToArray();
    }
}
