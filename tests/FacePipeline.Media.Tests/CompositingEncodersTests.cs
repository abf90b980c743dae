using System.Runtime.CompilerServices;

namespace FacePipeline.Media.Tests;

/// <summary>The compositing deliverables (issue 18): the matte, ProRes 4444 with the matte as alpha, DNxHR HQ; checked with ffprobe and ffmpeg.</summary>
public sealed class CompositingEncodersTests : IDisposable
{
    private const int Width = 258;
    private const int Height = 121;
    private const int Frames = 3;
    private readonly ScratchFolders _folders = new();

    public void Dispose() => _folders.Dispose();

    [Fact]
    public async Task The_matte_comes_back_value_for_value_as_lossless_grey_png_in_a_mov()
    {
        var output = Path.Combine(_folders.New("matte"), "matte.mov");

        var encoded = await MatteClipEncoder.EncodeAsync(Mattes(), Width, Height, new Rational(24000, 1001), output);

        Assert.Equal((258, 122), (encoded.Width, encoded.Height)); // the H.264 result's size: the odd height padded with 0
        var video = Ffprobe.Stream(output, "v:0", "codec_name,pix_fmt,color_range,r_frame_rate,nb_read_frames", countFrames: true);
        Assert.Equal("png", video.GetProperty("codec_name").GetString());
        Assert.Equal("gray", video.GetProperty("pix_fmt").GetString());
        Assert.Equal("pc", video.GetProperty("color_range").GetString());
        Assert.Equal("24000/1001", video.GetProperty("r_frame_rate").GetString());
        Assert.Equal("3", video.GetProperty("nb_read_frames").GetString());
        for (var frame = 0; frame < Frames; frame++)
        {
            var decoded = Ffprobe.RunToBytes("ffmpeg", $"-v error -i \"{output}\" -vf select=eq(n\\,{frame}) -fps_mode passthrough -frames:v 1 -pix_fmt gray -f rawvideo -");
            Assert.Equal(258 * 122, decoded.Length);
            for (var y = 0; y < Height; y++)
            {
                for (var x = 0; x < Width; x++)
                {
                    Assert.Equal(MatteValue(frame, x, y), decoded[(y * 258) + x]);
                }
            }

            Assert.All(decoded[(Height * 258)..], v => Assert.Equal(0, v)); // the padding row
        }
    }

    [Fact]
    public async Task Prores_4444_carries_the_matte_as_its_alpha_channel()
    {
        var output = Path.Combine(_folders.New("prores4444"), "result_4444.mov");

        var encoded = await ProResClipEncoder.EncodeWithAlphaAsync(PicturesWithMattes(), Width, Height, new Rational(25, 1), null, output);

        Assert.Equal(new EncodedClip(output, Frames, 258, 121, new Rational(25, 1), HasAudio: false), encoded);
        var video = Ffprobe.Stream(output, "v:0", "codec_name,profile,pix_fmt,width,height,nb_read_frames,color_space", countFrames: true);
        Assert.Equal("prores", video.GetProperty("codec_name").GetString());
        Assert.Equal("4444", video.GetProperty("profile").GetString());
        Assert.Equal("yuva444p12le", video.GetProperty("pix_fmt").GetString()); // what ffmpeg's ProRes decoder gives 4444 with alpha
        Assert.Equal("bt709", video.GetProperty("color_space").GetString());
        Assert.Equal("3", video.GetProperty("nb_read_frames").GetString());

        // The alpha of frame 1, 8-bit: the matte that went in (0, 255 exactly; the ramp within one level).
        var alpha = Ffprobe.RunToBytes("ffmpeg", $"-v error -i \"{output}\" -vf select=eq(n\\,1),alphaextract -fps_mode passthrough -frames:v 1 -pix_fmt gray -f rawvideo -");
        Assert.Equal(Width * Height, alpha.Length);
        for (var y = 0; y < Height; y += 7)
        {
            for (var x = 0; x < Width; x++)
            {
                var expected = MatteValue(1, x, y);
                Assert.InRange(alpha[(y * Width) + x], Math.Max(0, expected - 1), Math.Min(255, expected + 1));
                if (expected is 0 or 255)
                {
                    Assert.Equal(expected, alpha[(y * Width) + x]);
                }
            }
        }

        // The picture: frame 1's flat colour, BT.709 limited range, back within two levels.
        var rgb = Ffprobe.DecodeFrame(output, 1, filter: "scale=in_color_matrix=bt709:in_range=tv");
        Assert.InRange(rgb[(60 * Width * 3) + 30], 118, 122);
    }

    [Fact]
    public async Task Dnxhr_hq_is_8_bit_4_2_2_in_a_mov_with_the_frame_count_and_rate()
    {
        var output = Path.Combine(_folders.New("dnxhr"), "result_dnxhr.mov");

        var encoded = await DnxhrClipEncoder.EncodeAsync(Pictures(), Width, Height, new Rational(30000, 1001), null, output);

        Assert.Equal((258, 122), (encoded.Width, encoded.Height));
        var video = Ffprobe.Stream(output, "v:0", "codec_name,profile,pix_fmt,r_frame_rate,nb_read_frames,color_space", countFrames: true);
        Assert.Equal("dnxhd", video.GetProperty("codec_name").GetString());
        Assert.Equal("DNXHR HQ", video.GetProperty("profile").GetString());
        Assert.Equal("yuv422p", video.GetProperty("pix_fmt").GetString());
        Assert.Equal("30000/1001", video.GetProperty("r_frame_rate").GetString());
        Assert.Equal("bt709", video.GetProperty("color_space").GetString());
        Assert.Equal("3", video.GetProperty("nb_read_frames").GetString());
        Assert.Equal("qt", Ffprobe.Run("ffprobe", $"-v error -show_entries format_tags=major_brand -of default=nw=1:nk=1 \"{output}\"").Trim());
    }

    [Fact]
    public async Task A_matte_of_the_wrong_size_is_refused_and_leaves_no_file()
    {
        var scratch = _folders.New("matte-wrong");

        await Assert.ThrowsAsync<ArgumentException>(() => MatteClipEncoder.EncodeAsync(Mattes(), Width + 1, Height, new Rational(25, 1), Path.Combine(scratch, "matte.mov")));

        Assert.Empty(Directory.GetFiles(scratch));
    }

    /// <summary>Frame f's matte: 0 on the left third, a ramp 0..255 across the middle third (shifted by f), 255 on the right.</summary>
    private static byte MatteValue(int frame, int x, int y)
    {
        _ = y;
        var third = Width / 3;
        return x < third ? (byte)0 : x >= 2 * third ? (byte)255 : (byte)Math.Clamp(((x - third) * 255 / third) + frame, 0, 255);
    }

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Mattes([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var matte = new byte[Width * Height];
        for (var f = 0; f < Frames; f++)
        {
            FillMatte(matte, f);
            await Task.Yield();
            cancellationToken.ThrowIfCancellationRequested();
            yield return matte;
        }
    }

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Pictures()
    {
        var picture = new byte[Width * Height * 3];
        for (var f = 0; f < Frames; f++)
        {
            Array.Fill(picture, (byte)(80 + (f * 40)));
            await Task.Yield();
            yield return picture;
        }
    }

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> PicturesWithMattes()
    {
        var frame = new byte[Width * Height * 4];
        for (var f = 0; f < Frames; f++)
        {
            Array.Fill(frame, (byte)(80 + (f * 40)), 0, Width * Height * 3);
            FillMatte(frame.AsSpan(Width * Height * 3), f);
            await Task.Yield();
            yield return frame;
        }
    }

    private static void FillMatte(Span<byte> matte, int frame)
    {
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                matte[(y * Width) + x] = MatteValue(frame, x, y);
            }
        }
    }
}
