using System.Diagnostics;
using FacePipeline.Face.Tests.Support;
using FacePipeline.TestSupport;

namespace FacePipeline.Face.Tests;

/// <summary>
/// <see cref="Yuv420RgbFrame"/> against ffmpeg's own RGB24 of the same frames (the independent reference, and what the
/// tracker is fed on the RGB24 path): byte for byte, on real clips, on clips tagged with each matrix, and on random planes
/// that hold every luma and chroma value, so the faces tracked from the planes are the faces tracked from RGB24.
/// </summary>
public sealed class Yuv420ConversionTests
{
    [Theory]
    [InlineData("grid_lbbc2a.mp4", "bt601", "")]
    [InlineData("obama_wh_closeup.mp4", "bt601", "")]
    [InlineData("testsrc2", "bt709", "-colorspace bt709 -color_primaries bt709 -color_trc bt709")] // saturated colours: the matrix shows
    [InlineData("testsrc2", "bt601", "-colorspace smpte170m")]
    [InlineData("testsrc2", "bt601", "")]
    public void Converting_a_clips_4_2_0_planes_gives_ffmpegs_RGB24_of_the_frame_byte_for_byte(string clip, string matrix, string tags)
    {
        var (width, height) = clip switch { "testsrc2" => (320, 240), "grid_lbbc2a.mp4" => (360, 288), _ => (1280, 720) };
        var path = clip == "testsrc2" ? Path.Combine(RepoPaths.NewScratchFolder("tagged"), "testsrc2.mp4") : RepoPaths.MediaFile(clip);
        if (clip == "testsrc2")
        {
            Ffmpeg($"-f lavfi -i testsrc2=size={width}x{height}:rate=25 -frames:v 3 -c:v libx264 -crf 16 -pix_fmt yuv420p {tags} \"{path}\"");
        }

        var expected = RgbImage.DecodeFrames(path, width, height)[0].Pixels;
        var planes = RgbImage.DecodeYuv420Frames(path, width, height)[0];

        Assert.Equal(0, Differing(planes, YuvMatrix.FromName(matrix), expected, width, height));
        Assert.True(
            Differing(planes, matrix == "bt709" ? YuvMatrix.Bt601 : YuvMatrix.Bt709, expected, width, height) > expected.Length / 100,
            "the matrix is the one ffmpeg used: the other one differs");
    }

    [Theory]
    [InlineData("bt601", "", 1024, 1024)]
    [InlineData("bt709", "-colorspace bt709", 1024, 1024)]
    [InlineData("bt601", "-colorspace smpte170m", 641, 64)] // an odd width: the last chroma column covers one pixel
    public void Random_planes_holding_every_value_convert_as_ffmpeg_converts_them(string matrix, string tags, int width, int height)
    {
        var scratch = RepoPaths.NewScratchFolder("yuv-random");
        var frame = new Yuv420RgbFrame(width, height, YuvMatrix.FromName(matrix));
        new Random(2).NextBytes(frame.Planes);
        var input = Path.Combine(scratch, "in.yuv");
        var output = Path.Combine(scratch, "out.rgb");
        File.WriteAllBytes(input, frame.Planes);
        Ffmpeg($"-f rawvideo -pix_fmt yuv420p {tags} -s {width}x{height} -i \"{input}\" -vf scale={width}:{height} -pix_fmt rgb24 -f rawvideo \"{output}\"");

        frame.NewFrame();
        frame.ConvertAll();

        var expected = File.ReadAllBytes(output);
        Assert.Equal(expected.Length, frame.Rgb24.Length);
        var differing = Enumerable.Range(0, expected.Length).Count(i => expected[i] != frame.Rgb24[i]);
        Assert.True(differing == 0, $"{differing} of {expected.Length} bytes differ from ffmpeg's");
    }

    private static int Differing(byte[] planes, YuvMatrix matrix, byte[] expected, int width, int height)
    {
        var frame = new Yuv420RgbFrame(width, height, matrix);
        planes.CopyTo(frame.Planes, 0);
        frame.NewFrame();
        frame.ConvertAll();
        var differing = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            differing += expected[i] != frame.Rgb24[i] ? 1 : 0;
        }

        return differing;
    }

    private static void Ffmpeg(string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo("ffmpeg", "-v error -y " + arguments) { RedirectStandardError = true, UseShellExecute = false })!;
        var errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, errors);
    }
}
