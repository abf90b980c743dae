using System.Text.Json;
using FacePipeline.TestSupport;

namespace FacePipeline.Media.Tests;

public sealed class FrameExtractorTests : IDisposable
{
    private readonly ScratchFolders _folders = new();

    [Fact]
    public async Task Obama_closeup_is_cut_into_exact_chunks_with_timeline_and_audio_and_no_frames_are_stored()
    {
        var input = RepoPaths.MediaFile("obama_wh_closeup.mp4");
        var output = _folders.New("extract-obama");
        var result = await FrameExtractor.ExtractAsync(input, output, new FrameExtractionOptions { ChunkSize = 32 });

        var expectedFrames = Ffprobe.CountFrames(input);
        Assert.Equal(115, expectedFrames);
        Assert.Equal(expectedFrames, result.FrameCount);
        Assert.Equal((1280, 720), (result.Width, result.Height));
        Assert.Equal(new Rational(2997, 100), result.FrameRate);

        // 32 + 32 + 32 + 19 frames: runs of the clip, no frame files (the folder holds the timeline and the audio only).
        Assert.Equal([32, 32, 32, 19], result.Chunks.Select(c => c.FrameCount));
        Assert.Equal([0L, 32L, 64L, 96L], result.Chunks.Select(c => c.FirstFrame));
        Assert.Equal([FrameExtractor.AudioFileName, FrameTimeline.FileName], Directory.GetFiles(output).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(Path.GetFullPath(input), result.SourcePath);

        Assert.Empty(Directory.GetFiles(output, "*.partial"));
        Assert.Empty(Directory.GetDirectories(output)); // the staging folder is gone

        // Timeline: one time per frame, strictly increasing by exactly one frame (100/2997 s).
        var timeline = FrameTimeline.Load(result.TimelinePath);
        Assert.Equal("packets", timeline.Source);
        Assert.Equal(0, timeline.StreamIndex);
        Assert.Equal("2997/100", timeline.FrameRate);
        Assert.Equal(115, timeline.Seconds.Count);
        Assert.Equal(0.0, timeline.Seconds[0]);
        for (var i = 1; i < timeline.Seconds.Count; i++)
        {
            Assert.Equal(100.0 / 2997.0, timeline.Seconds[i] - timeline.Seconds[i - 1], 9);
        }

        using (var json = JsonDocument.Parse(File.ReadAllText(result.TimelinePath)))
        {
            Assert.Equal(115, json.RootElement.GetProperty("frameCount").GetInt32());
        }

        // Audio: the source AAC, stream-copied into Matroska.
        Assert.True(result.HasAudio);
        Assert.Equal("audio.mka", result.AudioFileName);
        Assert.Equal("aac", Ffprobe.Stream(result.AudioPath!, "a:0", "codec_name").GetProperty("codec_name").GetString());
    }

    [Fact]
    public async Task Extracted_frames_are_the_pixels_ffmpeg_decodes()
    {
        var input = RepoPaths.MediaFile("grid_bbaf2n.mp4");
        var result = await FrameExtractor.ExtractAsync(input, _folders.New("extract-grid"), new FrameExtractionOptions { ChunkSize = 16 });

        Assert.Equal(75, result.FrameCount);
        var frame = new byte[result.FrameSizeBytes];
        Assert.Equal((2, 32L, 16), (result.Chunks[2].Index, result.Chunks[2].FirstFrame, result.Chunks[2].FrameCount));
        await using (var chunk = FrameRangeReader.Open(result.SourcePath, FrameTimeline.Load(result.TimelinePath), result.Width, result.Height, 32, 16))
        {
            for (var i = 0; i <= 5; i++)
            {
                Assert.True(await chunk.ReadNextAsync(frame, CancellationToken.None)); // clip frame 37 last
            }
        }

        Assert.Equal(Ffprobe.DecodeFrame(input, 37), frame);

        var streamed = 0;
        await foreach (var f in result.ReadAllFramesAsync())
        {
            Assert.Equal(result.FrameSizeBytes, f.Length);
            streamed++;
        }

        Assert.Equal(75, streamed);
    }

    [Fact]
    public async Task Rotated_phone_clip_comes_out_upright_as_640x480()
    {
        var input = RepoPaths.MediaFile("new_face_video-90.mp4");

        var result = await FrameExtractor.ExtractAsync(input, _folders.New("extract-rotated"), new FrameExtractionOptions { ChunkSize = 128 });

        Assert.Equal((640, 480), (result.Width, result.Height));
        Assert.Equal(new Rational(30000, 1001), result.FrameRate);
        Assert.Equal(Ffprobe.CountFrames(input), result.FrameCount);

        // Display matrix -90 means "turn 90 degrees clockwise": the first frame equals the stored picture
        // decoded without autorotation and transposed clockwise.
        var frame = new byte[result.FrameSizeBytes];
        await using (var first = FrameRangeReader.Open(result.SourcePath, FrameTimeline.Load(result.TimelinePath), result.Width, result.Height, 0, 1))
        {
            Assert.True(await first.ReadNextAsync(frame, CancellationToken.None));
        }

        Assert.Equal(Ffprobe.DecodeFrame(input, 0, "-noautorotate", "transpose=clock,scale=640:480"), frame);
        Assert.NotEqual(Ffprobe.DecodeFrame(input, 0, "-noautorotate", "transpose=cclock,scale=640:480"), frame);
    }

    [Fact]
    public async Task Clip_without_audio_writes_no_audio_file()
    {
        var input = RepoPaths.MediaFile("intel_headpose_male.mp4");
        var output = _folders.New("extract-silent");

        var result = await FrameExtractor.ExtractAsync(input, output, new FrameExtractionOptions { ChunkSize = 50 });

        Assert.Equal(62, result.FrameCount);
        Assert.Equal(new Rational(12, 1), result.FrameRate);
        Assert.False(result.HasAudio);
        Assert.Null(result.AudioFileName);
        Assert.False(File.Exists(Path.Combine(output, FrameExtractor.AudioFileName)));
        Assert.Equal([50, 12], result.Chunks.Select(c => c.FrameCount));
    }

    [Fact]
    public async Task Late_starting_video_keeps_its_offset_in_the_timeline()
    {
        // video_01.mp4: video starts at 1001/30000 s, audio at 0.
        var result = await FrameExtractor.ExtractAsync(RepoPaths.MediaFile("video_01.mp4"), _folders.New("extract-offset"));

        var timeline = FrameTimeline.Load(result.TimelinePath);
        Assert.Equal(90, result.FrameCount);
        Assert.Equal(new Rational(30000, 1001), result.FrameRate);
        Assert.Equal(1001.0 / 30000.0, timeline.Seconds[0], 9);
        Assert.Equal(1001L, timeline.Pts[0]);
        Assert.Equal("1/30000", timeline.TimeBase);
    }

    [Fact]
    public async Task Still_image_is_one_frame_when_allowed()
    {
        var options = new FrameExtractionOptions { Limits = new MediaLimits { AllowStillImages = true } };

        var result = await FrameExtractor.ExtractAsync(RepoPaths.MediaFile("astronaut.png"), _folders.New("extract-png"), options);

        Assert.Equal(1, result.FrameCount);
        Assert.Single(result.Chunks);
        var frames = 0;
        await foreach (var frame in FrameRangeReader.ReadAllAsync(result.SourcePath, FrameTimeline.Load(result.TimelinePath), result.Width, result.Height, 0, 1, options.Limits))
        {
            Assert.Equal(result.FrameSizeBytes, frame.Length);
            frames++;
        }

        Assert.Equal(1, frames);
        Assert.False(result.HasAudio);
    }

    [Fact]
    public async Task Cancellation_stops_ffmpeg_and_leaves_nothing_behind()
    {
        var output = _folders.New("extract-cancel");
        using var cts = new CancellationTokenSource();
        var options = new FrameExtractionOptions { ChunkSize = 8 };

        // Cancel once ffmpeg is decoding: the staging folder holds the audio it is copying (a condition, not a delay). A
        // long clip (the phone clip played eight times) so the decode is still running.
        var input = Path.Combine(output, "..", Path.GetFileName(output) + "-long.mp4");
        Ffprobe.Ffmpeg($"-stream_loop 7 -i \"{RepoPaths.MediaFile("new_face_video-90.mp4")}\" -c copy \"{input}\"");
        var extraction = FrameExtractor.ExtractAsync(input, output, options, cts.Token);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!Directory.EnumerateFiles(output, "*.partial", SearchOption.AllDirectories).Any(f => new FileInfo(f).Length > 0) && !extraction.IsCompleted && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }

        Assert.False(extraction.IsCompleted, "extraction finished before it could be cancelled");
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => extraction);

        Assert.Empty(Directory.GetFiles(output, "*", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetDirectories(output));
        File.Delete(input);
    }

    public void Dispose() => _folders.Dispose();
}
