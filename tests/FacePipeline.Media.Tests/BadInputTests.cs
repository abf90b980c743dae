using FacePipeline.TestSupport;

namespace FacePipeline.Media.Tests;

/// <summary>Hostile or broken uploads, built at test time in a scratch folder. Each must be refused with a reason a person can act on.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly ScratchFolders _folders = new();

    private readonly string _scratch;

    public BadInputTests() => _scratch = _folders.New("bad-input");

    private async Task<MediaRejectedException> RejectAsync(string input, FrameExtractionOptions? options = null)
    {
        var output = Path.Combine(_scratch, "out-" + Path.GetFileNameWithoutExtension(input));
        var ex = await Assert.ThrowsAsync<MediaRejectedException>(() => FrameExtractor.ExtractAsync(input, output, options));

        // A rejected upload leaves no half-written outputs behind.
        Assert.True(!Directory.Exists(output) || Directory.GetFiles(output).Length == 0, "outputs left after rejection");
        Assert.DoesNotContain(_scratch, ex.Reason, StringComparison.Ordinal); // never show server paths
        return ex;
    }

    [Fact]
    public async Task Empty_file()
    {
        var path = Path.Combine(_scratch, "empty.mp4");
        await File.WriteAllBytesAsync(path, []);

        var ex = await RejectAsync(path);

        Assert.Equal(MediaRejectionKind.Empty, ex.Kind);
        Assert.Equal("The upload could not be read as media: it is empty.", ex.Reason);
    }

    [Fact]
    public async Task Png_renamed_to_mp4()
    {
        var path = Path.Combine(_scratch, "photo.mp4");
        File.Copy(RepoPaths.MediaFile("astronaut.png"), path);

        var ex = await RejectAsync(path);

        Assert.Equal(MediaRejectionKind.StillImage, ex.Kind);
        Assert.Equal("The upload is a still image (png), not a video.", ex.Reason);
    }

    [Fact]
    public async Task First_half_of_an_mp4_with_its_index_at_the_end()
    {
        // obama_wh_closeup.mp4 has its moov (index) after the media data: half the file has no index at all.
        var path = Path.Combine(_scratch, "truncated.mp4");
        var bytes = await File.ReadAllBytesAsync(RepoPaths.MediaFile("obama_wh_closeup.mp4"));
        await File.WriteAllBytesAsync(path, bytes[..(bytes.Length / 2)]);

        var ex = await RejectAsync(path);

        Assert.Equal(MediaRejectionKind.Corrupt, ex.Kind);
        Assert.StartsWith("The file is truncated or corrupt: moov atom not found.", ex.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task First_half_of_a_faststart_mp4_decodes_part_way_and_is_refused(bool passClip)
    {
        // With the index at the front (+faststart) the first ~51 of 115 frames decode, then ffmpeg reports
        // "partial file" (and still exits 0). That is refused too: the upload was cut off. A track job's pass clip, which
        // is counted from its packets when they are its frames, is refused the same way: the index lists 115 packets, the
        // file holds fewer, so it is decoded.
        var faststart = Path.Combine(_scratch, "faststart.mp4");
        Ffprobe.Ffmpeg($"-i \"{RepoPaths.MediaFile("obama_wh_closeup.mp4")}\" -c copy -movflags +faststart \"{faststart}\"");
        var path = Path.Combine(_scratch, "faststart-truncated.mp4");
        var bytes = await File.ReadAllBytesAsync(faststart);
        await File.WriteAllBytesAsync(path, bytes[..(bytes.Length / 2)]);

        var ex = await RejectAsync(path, passClip ? new FrameExtractionOptions { PassChunkSize = 64 } : null);

        Assert.Equal(MediaRejectionKind.Corrupt, ex.Kind);
        Assert.Matches(@"^The file is truncated or corrupt: decoding stopped after \d+ of about 115 frames \(.*partial file\)", ex.Reason);
    }

    [Fact]
    public async Task Audio_only_file_renamed_to_mp4()
    {
        var m4a = Path.Combine(_scratch, "voice.m4a");
        Ffprobe.Ffmpeg($"-i \"{RepoPaths.MediaFile("obama_wh_closeup.mp4")}\" -vn -c:a copy \"{m4a}\"");
        var path = Path.Combine(_scratch, "voice.mp4");
        File.Move(m4a, path);

        var ex = await RejectAsync(path);

        Assert.Equal(MediaRejectionKind.NoVideo, ex.Kind);
        Assert.Equal("The upload has no video stream (audio only: aac).", ex.Reason);
    }

    [Theory]
    [InlineData("notes.mp4")]
    [InlineData("notes.txt")]
    public async Task Text_file(string name)
    {
        var path = Path.Combine(_scratch, name);
        await File.WriteAllTextAsync(path, "This is not a video, it is a shopping list: eggs, milk.\n");

        var ex = await RejectAsync(path);

        Assert.Equal(MediaRejectionKind.Unreadable, ex.Kind);
        Assert.Equal("The upload could not be read as media: it is not a recognised video format.", ex.Reason);
    }

    [Fact]
    public async Task Hls_playlist_pointing_elsewhere_is_never_opened()
    {
        var secret = Path.Combine(_scratch, "secret.ts");
        File.Copy(RepoPaths.MediaFile("obama_wh_closeup.mp4"), secret);
        var path = Path.Combine(_scratch, "playlist.mp4");
        await File.WriteAllTextAsync(path, $"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nhttp://169.254.169.254/latest\n#EXTINF:10,\n{secret}\n#EXT-X-ENDLIST\n");

        var ex = await RejectAsync(path);

        Assert.Equal(MediaRejectionKind.UnsupportedContainer, ex.Kind);
        Assert.StartsWith("Unsupported container 'hls'", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concat_script_is_refused()
    {
        var path = Path.Combine(_scratch, "list.mp4");
        await File.WriteAllTextAsync(path, $"ffconcat version 1.0\nfile '{RepoPaths.MediaFile("obama_wh_closeup.mp4")}'\n");

        var ex = await RejectAsync(path);

        Assert.Equal(MediaRejectionKind.UnsupportedContainer, ex.Kind);
        Assert.StartsWith("Unsupported container 'concat'", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Clip_longer_than_the_limit()
    {
        var options = new FrameExtractionOptions { Limits = new MediaLimits { MaxDuration = TimeSpan.FromSeconds(2) } };

        var ex = await RejectAsync(RepoPaths.MediaFile("obama_wh_closeup.mp4"), options);

        Assert.Equal(MediaRejectionKind.TooLong, ex.Kind);
        Assert.StartsWith("Duration 0:04 exceeds the limit of 0:02", ex.Reason, StringComparison.Ordinal);
    }

    public void Dispose() => _folders.Dispose();
}
