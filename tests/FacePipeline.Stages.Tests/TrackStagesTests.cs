using System.Diagnostics;
using System.Globalization;
using FacePipeline.Contracts;
using FacePipeline.Face;
using FacePipeline.Media;
using FacePipeline.Storage;
using FacePipeline.TestSupport;

namespace FacePipeline.Stages.Tests;

/// <summary>The three stages of a track job chained by hand on a real clip (no broker), and the renderer's refusals.</summary>
public sealed class TrackStagesTests : IDisposable
{
    private readonly MediaStore _store = new(RepoPaths.NewScratchFolder("stages"));
    private readonly BlazeFaceDetector _detector = new(new ModelPaths(RepoPaths.Models).BlazeFace);
    private readonly Guid _jobId = Guid.NewGuid();

    public void Dispose()
    {
        _detector.Dispose();
        Directory.Delete(_store.Root, recursive: true);
    }

    [Fact]
    public async Task Extract_detect_render_gives_every_frame_once_and_a_QC_clip_like_the_input()
    {
        var (extracted, render) = await RunUpToRender("grid_lbbc2a.mp4", chunkSize: 20);

        var rendered = await new TrackRenderStage(_store).RunAsync(render, CancellationToken.None);

        Assert.Equal(75, extracted.Video.FrameCount);
        Assert.Equal(4, extracted.Chunks.Count);
        await using var stream = _store.OpenRead(rendered.TrackingKey);
        var tracking = await TrackingJson.ReadAsync(stream, CancellationToken.None);
        Assert.Equal(Enumerable.Range(0, 75), tracking.Frames.Select(f => f.Index));
        Assert.All(tracking.Frames, f => Assert.Single(f.Faces));
        Assert.Equal("25/1", tracking.Video.FrameRate);
        Assert.Equal(0.04, tracking.Frames[1].Time - tracking.Frames[0].Time, 6);
        var qc = Probe(_store.PathFor(rendered.QcClipKey));
        Assert.Equal("75 25/1 360 288 h264 audio", qc);
    }

    [Fact]
    public async Task The_renderer_refuses_a_missing_chunk_instead_of_skipping_frames()
    {
        var (_, render) = await RunUpToRender("grid_lbbc2a.mp4", chunkSize: 20);
        var gap = render with { Chunks = [.. render.Chunks.Where(c => c.Frames.Index != 1)] };

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => new TrackRenderStage(_store).RunAsync(gap, CancellationToken.None));
        Assert.Contains("frame 40 where frame 20 was expected", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_renderer_refuses_a_chunk_given_twice()
    {
        var (_, render) = await RunUpToRender("grid_lbbc2a.mp4", chunkSize: 20);
        var twice = render with { Chunks = [.. render.Chunks, render.Chunks[0]] };

        await Assert.ThrowsAsync<InvalidDataException>(() => new TrackRenderStage(_store).RunAsync(twice, CancellationToken.None));
    }

    [Fact]
    public async Task Analyze_reports_the_face_of_a_still_in_image_pixels()
    {
        var document = await ClipAnalyzer.AnalyzeAsync(RepoPaths.MediaFile("astronaut.png"), new ModelPaths(RepoPaths.Models), CancellationToken.None);

        var frame = Assert.Single(document.Frames);
        var face = Assert.Single(frame.Faces);
        Assert.Equal((512, 512), (document.Video.Width, document.Video.Height));
        Assert.InRange(face.Box.X, 0, 512 - face.Box.Width);
        Assert.True(face.Keypoints.RightEye.X < face.Keypoints.LeftEye.X, "the subject's right eye is on the image's left");
        Assert.InRange(face.Keypoints.NoseTip.Y, face.Keypoints.RightEye.Y, face.Keypoints.MouthCenter.Y);
    }

    private async Task<(FramesExtracted Extracted, RenderTrackOutputs Render)> RunUpToRender(string clip, int chunkSize)
    {
        var inputKey = MediaKeys.Input(_jobId, ClipNames.Source, ".mp4");
        Directory.CreateDirectory(Path.GetDirectoryName(_store.PathFor(inputKey))!);
        File.Copy(RepoPaths.MediaFile(clip), _store.PathFor(inputKey));
        var extracted = await new FrameExtractionStage(_store, MediaLimits.Default)
            .RunAsync(new ExtractFrames(_jobId, ClipNames.Source, inputKey, chunkSize), CancellationToken.None);

        var detection = new FaceDetectionStage(_store, _detector);
        var chunks = new List<TrackChunk>();
        foreach (var chunk in extracted.Chunks)
        {
            var key = MediaKeys.Detections(_jobId, ClipNames.Source, chunk.Index);
            var detected = await detection.RunAsync(
                new DetectFaces(_jobId, ClipNames.Source, chunk, extracted.Video.Width, extracted.Video.Height, extracted.TimelineKey, key), CancellationToken.None);
            Assert.Equal(chunk.FrameCount, detected.FrameCount);
            chunks.Add(new TrackChunk(chunk, key));
        }

        return (extracted, new RenderTrackOutputs(
            _jobId, clip, extracted.Video, chunks, extracted.TimelineKey, extracted.AudioKey,
            MediaKeys.Output(_jobId, OutputNames.QcClip), MediaKeys.Output(_jobId, OutputNames.Tracking)));
    }

    /// <summary>"frames rate width height codec audio?" from ffprobe, counting decoded frames.</summary>
    private static string Probe(string path)
    {
        var info = new ProcessStartInfo("ffprobe", ["-v", "error", "-count_frames", "-show_entries", "stream=codec_type,nb_read_frames,r_frame_rate,width,height,codec_name", "-of", "csv=p=0", path])
        {
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(info)!;
        var lines = process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        process.WaitForExit();
        var video = lines.Single(l => l.Contains("video", StringComparison.Ordinal)).Split(',');
        // csv order: codec_name,codec_type,width,height,r_frame_rate,nb_read_frames
        var audio = lines.Any(l => l.Contains("audio", StringComparison.Ordinal)) ? " audio" : string.Empty;
        return string.Create(CultureInfo.InvariantCulture, $"{video[5]} {video[4]} {video[2]} {video[3]} {video[0]}{audio}");
    }
}
