using System.Runtime.CompilerServices;
using FacePipeline.TestSupport;

namespace FacePipeline.Media.Tests;

/// <summary>Encode synthetic and extracted frames to ProRes 422 HQ and check the result with ffprobe.</summary>
public sealed class ProResClipEncoderTests : IDisposable
{
    private readonly ScratchFolders _folders = new();

    [Theory]
    [InlineData(ProResAudioFormat.Pcm24, "pcm_s24le")]
    [InlineData(ProResAudioFormat.Pcm16, "pcm_s16le")]
    public async Task Synthetic_frames_become_prores_hq_with_exact_count_rate_and_pcm_audio(ProResAudioFormat format, string audioCodec)
    {
        const int Width = 160, Height = 90, Frames = 12;
        var scratch = _folders.New("prores-" + audioCodec);
        var audio = Path.Combine(scratch, "tone.wav");
        Ffprobe.Ffmpeg($"-f lavfi -i sine=frequency=440:sample_rate=48000:duration=0.5 -c:a pcm_s16le \"{audio}\"");
        var output = Path.Combine(scratch, "out.mov");

        var encoded = await ProResClipEncoder.EncodeAsync(
            Bars(Width, Height, Frames), Width, Height, new Rational(30000, 1001), audio, output, new ProResEncodeOptions { AudioFormat = format });

        Assert.Equal(new EncodedClip(output, Frames, Width, Height, new Rational(30000, 1001), HasAudio: true), encoded);
        Assert.Empty(Directory.GetFiles(scratch, "*.partial"));
        var video = Ffprobe.Stream(
            output, "v:0", "codec_name,profile,pix_fmt,width,height,r_frame_rate,nb_read_frames,color_space,color_primaries,color_transfer,color_range", countFrames: true);
        Assert.Equal("prores", video.GetProperty("codec_name").GetString());
        Assert.Equal("HQ", video.GetProperty("profile").GetString());
        Assert.Equal("yuv422p10le", video.GetProperty("pix_fmt").GetString());
        Assert.Equal(Width, video.GetProperty("width").GetInt32());
        Assert.Equal(Height, video.GetProperty("height").GetInt32());
        Assert.Equal("30000/1001", video.GetProperty("r_frame_rate").GetString());
        Assert.Equal("12", video.GetProperty("nb_read_frames").GetString());
        Assert.Equal("bt709", video.GetProperty("color_space").GetString());
        Assert.Equal("bt709", video.GetProperty("color_primaries").GetString());
        Assert.Equal("bt709", video.GetProperty("color_transfer").GetString());
        Assert.Equal("tv", video.GetProperty("color_range").GetString());

        var sound = Ffprobe.Stream(output, "a:0", "codec_name,sample_rate");
        Assert.Equal(audioCodec, sound.GetProperty("codec_name").GetString());
        Assert.Equal("48000", sound.GetProperty("sample_rate").GetString());
        Assert.Equal("qt", Ffprobe.Run("ffprobe", $"-v error -show_entries format_tags=major_brand -of default=nw=1:nk=1 \"{output}\"").Trim());
    }

    [Fact]
    public async Task Pixels_survive_the_round_trip_and_an_odd_width_is_padded_but_not_the_height()
    {
        const int Width = 101, Height = 75, Frames = 3;
        var output = Path.Combine(_folders.New("prores-odd"), "odd.mov");

        var encoded = await ProResClipEncoder.EncodeAsync(Gradient(Width, Height, Frames), Width, Height, new Rational(25, 1), audioPath: null, output);

        Assert.Equal((102, 75), (encoded.Width, encoded.Height));
        Assert.False(Ffprobe.HasStream(output, "a"));
        Assert.Equal(Frames, Ffprobe.CountFrames(output));

        // Decoded (accurately) with the BT.709 limited-range matrix it is tagged with, frame 2 is the frame that went
        // in, to a tenth of a level on average; the last column shares its chroma with the black padding, so it is left out.
        var decoded = Ffprobe.DecodeFrame(
            output, 2, filter: "scale=in_color_matrix=bt709:in_range=tv:out_range=pc:flags=accurate_rnd+full_chroma_int,format=rgb24,crop=100:75:0:0");
        var input = new byte[Width * Height * 3];
        await foreach (var frame in Gradient(Width, Height, Frames))
        {
            frame.CopyTo(input);
        }

        Assert.Equal(100 * Height * 3, decoded.Length);
        long error = 0;
        for (var y = 0; y < Height; y++)
        {
            for (var i = 0; i < 100 * 3; i++)
            {
                error += Math.Abs(input[(y * Width * 3) + i] - decoded[(y * 100 * 3) + i]);
            }
        }

        Assert.InRange((double)error / decoded.Length, 0, 0.5);
    }

    [Fact]
    public async Task An_extraction_round_trips_with_its_frame_count_rate_and_audio()
    {
        var input = RepoPaths.MediaFile("video_01.mp4");
        var scratch = _folders.New("prores-extraction");
        var extraction = await FrameExtractor.ExtractAsync(input, Path.Combine(scratch, "frames"), new FrameExtractionOptions { ChunkSize = 32 });

        var encoded = await ProResClipEncoder.EncodeAsync(extraction, Path.Combine(scratch, "out.mov"));

        Assert.Equal(extraction.FrameCount, encoded.FrameCount);
        var video = Ffprobe.Stream(encoded.OutputPath, "v:0", "codec_name,profile,r_frame_rate,nb_read_frames", countFrames: true);
        Assert.Equal(("prores", "HQ"), (video.GetProperty("codec_name").GetString(), video.GetProperty("profile").GetString()));
        Assert.Equal(extraction.FrameRate.ToString(), video.GetProperty("r_frame_rate").GetString());
        Assert.Equal(Ffprobe.CountFrames(input), long.Parse(video.GetProperty("nb_read_frames").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("pcm_s24le", Ffprobe.Stream(encoded.OutputPath, "a:0", "codec_name").GetProperty("codec_name").GetString());
    }

    [Fact]
    public async Task A_failing_frame_source_leaves_no_file()
    {
        var output = Path.Combine(_folders.New("prores-bad"), "bad.mov");

        await Assert.ThrowsAsync<InvalidDataException>(() => ProResClipEncoder.EncodeAsync(Failing(), 64, 48, new Rational(24, 1), null, output));

        Assert.False(File.Exists(output));
        Assert.False(File.Exists(output + ".partial"));
    }

    /// <summary>Vertical colour bars that shift by one bar per frame; the buffer is reused.</summary>
    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Bars(int width, int height, int frames, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        byte[][] colours = [[235, 235, 235], [200, 190, 30], [30, 180, 190], [40, 170, 40], [180, 40, 170], [190, 40, 40], [40, 40, 190], [16, 16, 16]];
        var buffer = new byte[width * height * 3];
        for (var f = 0; f < frames; f++)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    colours[((x * colours.Length / width) + f) % colours.Length].CopyTo(buffer, ((y * width) + x) * 3);
                }
            }

            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            yield return buffer;
        }
    }

    /// <summary>Smooth colour ramps that change with the frame (the buffer is reused).</summary>
    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Gradient(int width, int height, int frames)
    {
        var buffer = new byte[width * height * 3];
        for (var f = 0; f < frames; f++)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    var k = ((y * width) + x) * 3;
                    (buffer[k], buffer[k + 1], buffer[k + 2]) = ((byte)(30 + (2 * x)), (byte)(40 + (2 * y) + (10 * f)), (byte)(200 - x - y));
                }
            }

            await Task.Yield();
            yield return buffer;
        }
    }

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Failing()
    {
        await Task.Yield();
        yield return new byte[64 * 48 * 3];
        throw new InvalidDataException("the renderer failed");
    }

    public void Dispose() => _folders.Dispose();
}
