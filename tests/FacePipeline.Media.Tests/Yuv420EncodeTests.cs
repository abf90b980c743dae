using FacePipeline.TestSupport;

namespace FacePipeline.Media.Tests;

/// <summary>
/// The QC overlay's frames travel as the decoded 4:2:0 planes (<see cref="RawPixelFormat.Yuv420p"/>): the encoder must
/// take them as they are (no colour conversion), at constant and variable frame times, any size. The reference is
/// ffmpeg's CLI decoding the encoded file back to 4:2:0, independent of the encoder.
/// </summary>
public sealed class Yuv420EncodeTests : IDisposable
{
    private readonly ScratchFolders _folders = new();

    public void Dispose() => _folders.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Planes_of_a_real_clip_are_encoded_as_they_are_at_their_frame_times(bool variableTimes)
    {
        const int Frames = 30;
        var scratch = _folders.New("yuv-encode");
        var extraction = await FrameExtractor.ExtractAsync(RepoPaths.MediaFile("grid_swiz3n.mp4"), Path.Combine(scratch, "source"), new FrameExtractionOptions { ExtractAudio = false });
        var (w, h) = (extraction.Width, extraction.Height);
        var timeline = FrameTimeline.Load(extraction.TimelinePath);
        var source = new List<byte[]>();
        await foreach (var frame in FrameRangeReader.ReadAllAsync(extraction.SourcePath, timeline, w, h, 0, Frames, pixels: RawPixelFormat.Yuv420p))
        {
            source.Add(frame.ToArray());
        }

        double[] seconds = [.. Enumerable.Range(0, Frames).Select(k => variableTimes ? (k * 0.04) + (k % 3 == 2 ? 0.02 : 0) : k * 0.04)];
        var options = new H264EncodeOptions
        {
            Input = RawPixelFormat.Yuv420p,
            Timing = variableTimes ? FrameTiming.FromSeconds(seconds, endSeconds: (Frames * 0.04) + 0.02) : null,
        };
        var encoded = await H264ClipEncoder.EncodeAsync(Replay(source), w, h, new Rational(25, 1), null, Path.Combine(scratch, "planes.mp4"), options);

        Assert.Equal(variableTimes, encoded.VariableFrameRate);
        var colour = Ffprobe.Stream(encoded.OutputPath, "v:0", "color_space,color_primaries,color_range");
        Assert.False(colour.TryGetProperty("color_space", out var matrix), $"the planes keep the source's matrix, yet the file claims {matrix}");
        Assert.False(colour.TryGetProperty("color_primaries", out var primaries), $"the file claims primaries {primaries}");
        Assert.NotEqual("pc", colour.TryGetProperty("color_range", out var range) ? range.GetString() : null); // limited range, as decoded
        Assert.Equal(Frames, encoded.FrameCount);
        Assert.Equal(seconds.Select(t => Math.Round(t, 3)), VariableFrameRateTests.FrameTimes(encoded.OutputPath).Select(t => Math.Round(t, 3)));
        var decoded = DecodeToPlanes(encoded.OutputPath, w, h);
        Assert.Equal(Frames, decoded.Count);
        var lumaBytes = w * h;
        for (var k = 0; k < Frames; k += 7)
        {
            // x264 at CRF 20 loses a little everywhere; a colour conversion would move the chroma planes' means.
            Assert.InRange(MeanAbsoluteDifference(source[k].AsSpan(0, lumaBytes), decoded[k].AsSpan(0, lumaBytes)), 0, 2.5);
            Assert.InRange(Math.Abs(Mean(source[k].AsSpan(lumaBytes)) - Mean(decoded[k].AsSpan(lumaBytes))), 0, 0.5);
        }
    }

    [Fact]
    public async Task Odd_sized_planes_are_padded_to_even_and_keep_their_pixels()
    {
        const int Width = 101, Height = 75, Frames = 5;
        var chroma = ((Width + 1) / 2) * ((Height + 1) / 2);
        var frames = Enumerable.Range(0, Frames).Select(f =>
        {
            var frame = new byte[(Width * Height) + (2 * chroma)];
            for (var y = 0; y < Height; y++)
            {
                for (var x = 0; x < Width; x++)
                {
                    frame[(y * Width) + x] = (byte)(40 + x + (f * 10)); // a horizontal ramp, brighter each frame
                }
            }

            frame.AsSpan(Width * Height, chroma).Fill(100);
            frame.AsSpan((Width * Height) + chroma).Fill(150);
            return frame;
        }).ToList();

        var output = Path.Combine(_folders.New("yuv-odd"), "odd.mp4");
        var encoded = await H264ClipEncoder.EncodeAsync(Replay(frames), Width, Height, new Rational(30000, 1001), null, output, new H264EncodeOptions { Input = RawPixelFormat.Yuv420p, Crf = 10 });

        Assert.Equal((102, 76), (encoded.Width, encoded.Height));
        var decoded = DecodeToPlanes(output, 102, 76);
        Assert.Equal(Frames, decoded.Count);
        for (var f = 0; f < Frames; f++)
        {
            for (var y = 0; y < Height; y += 11)
            {
                for (var x = 0; x < Width; x += 13)
                {
                    Assert.InRange(Math.Abs(decoded[f][(y * 102) + x] - frames[f][(y * Width) + x]), 0, 3);
                }
            }

            Assert.InRange(decoded[f][(102 * 76) + (10 * 51) + 10], 97, 103); // Cb of the picture, where the planes put it
        }
    }

    [Fact]
    public async Task A_frame_of_the_wrong_size_for_its_planes_fails_and_leaves_no_file()
    {
        var output = Path.Combine(_folders.New("yuv-wrong"), "wrong.mp4");
        var error = await Assert.ThrowsAsync<ArgumentException>(() => H264ClipEncoder.EncodeAsync(
            Replay([new byte[64 * 48 * 3]]), 64, 48, new Rational(25, 1), null, output, new H264EncodeOptions { Input = RawPixelFormat.Yuv420p }));

        Assert.Contains("a 64x48 yuv420p frame is 4608 bytes", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
        Assert.False(File.Exists(output + ".partial"));
    }

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Replay(IReadOnlyList<byte[]> frames)
    {
        foreach (var frame in frames)
        {
            await Task.Yield();
            yield return frame;
        }
    }

    private static List<byte[]> DecodeToPlanes(string path, int width, int height)
    {
        var bytes = Ffprobe.RunToBytes("ffmpeg", $"-v error -i \"{path}\" -map 0:v:0 -pix_fmt yuv420p -fps_mode passthrough -f rawvideo -");
        var size = (width * height) + (2 * ((width + 1) / 2) * ((height + 1) / 2));
        Assert.Equal(0, bytes.Length % size);
        return [.. Enumerable.Range(0, bytes.Length / size).Select(i => bytes.AsSpan(i * size, size).ToArray())];
    }

    private static double MeanAbsoluteDifference(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        long sum = 0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += Math.Abs(a[i] - b[i]);
        }

        return (double)sum / a.Length;
    }

    private static double Mean(ReadOnlySpan<byte> values)
    {
        long sum = 0;
        foreach (var v in values)
        {
            sum += v;
        }

        return (double)sum / values.Length;
    }
}
