using System.Diagnostics;
using System.Globalization;
using FacePipeline.Face.Tests.Support;
using FacePipeline.TestSupport;
using Xunit.Abstractions;

namespace FacePipeline.Face.Tests;

/// <summary>
/// <see cref="Yuv420RgbFrame"/> against ffmpeg's own RGB24 of the same frames (the independent reference the tracker was
/// fed before): the same picture, by the matrix ffmpeg picks for the stream's colour-space tag. ffmpeg 5.1's conversion on
/// x86-64 comes out about one level darker than the rounded closed form (about 1.5 in green), which bounds the agreement.
/// </summary>
public sealed class Yuv420ConversionTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("grid_lbbc2a.mp4", null, "")]
    [InlineData("obama_wh_closeup.mp4", null, "")]
    [InlineData("testsrc2", "bt709", "-colorspace bt709 -color_primaries bt709 -color_trc bt709")] // saturated colours: the matrix shows
    [InlineData("testsrc2", "smpte170m", "-colorspace smpte170m")]
    [InlineData("testsrc2", null, "")]
    public void Converting_the_4_2_0_planes_gives_ffmpegs_RGB24_of_the_frame_to_within_its_rounding(string clip, string? colorSpace, string tags)
    {
        var (width, height) = clip switch { "testsrc2" => (320, 240), "grid_lbbc2a.mp4" => (360, 288), _ => (1280, 720) };
        var path = clip == "testsrc2" ? Path.Combine(RepoPaths.NewScratchFolder("tagged"), "testsrc2.mp4") : RepoPaths.MediaFile(clip);
        if (clip == "testsrc2")
        {
            Ffmpeg($"-f lavfi -i testsrc2=size={width}x{height}:rate=25 -frames:v 3 -c:v libx264 -crf 16 -pix_fmt yuv420p {tags} \"{path}\"");
        }

        var expected = RgbImage.DecodeFrames(path, width, height)[0].Pixels;
        var planes = RgbImage.DecodeYuv420Frames(path, width, height)[0];

        var (mean, worst) = Difference(planes, YuvMatrix.FromColorSpace(colorSpace), expected, width, height);
        var (otherMean, _) = Difference(planes, colorSpace == "bt709" ? YuvMatrix.Bt601 : YuvMatrix.Bt709, expected, width, height);

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{clip} {colorSpace ?? "untagged"}: mean {mean:F3} levels, largest {worst}; with the other matrix, mean {otherMean:F3}"));
        Assert.True(mean < 1.5, $"mean difference {mean:F3} levels");
        Assert.True(worst <= 4, $"largest difference {worst} levels");
        Assert.True(otherMean > mean + 1, "the matrix is the one ffmpeg used: the other one is further off");
    }

    private static (double Mean, int Worst) Difference(byte[] planes, YuvMatrix matrix, byte[] expected, int width, int height)
    {
        var frame = new Yuv420RgbFrame(width, height, matrix);
        planes.CopyTo(frame.Planes, 0);
        frame.NewFrame();
        frame.ConvertAll();
        var (sum, worst) = (0L, 0);
        for (var i = 0; i < expected.Length; i++)
        {
            var d = Math.Abs(expected[i] - frame.Rgb24[i]);
            sum += d;
            worst = Math.Max(worst, d);
        }

        return ((double)sum / expected.Length, worst);
    }

    private static void Ffmpeg(string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo("ffmpeg", "-v error -y " + arguments) { RedirectStandardError = true, UseShellExecute = false })!;
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, errors);
    }
}
