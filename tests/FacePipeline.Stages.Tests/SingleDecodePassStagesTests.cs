using System.Diagnostics;
using FacePipeline.Contracts;
using FacePipeline.Media;
using FacePipeline.Storage;
using FacePipeline.TestSupport;

namespace FacePipeline.Stages.Tests;

/// <summary>
/// A track job's single-decode pass as the services run it (issue 16), the stages chained by hand on a real clip: the
/// chunks tracked one after another as <see cref="TrackPass"/> pieces (each drawing and encoding its QC segment, the
/// state handed on through the media store), the sequence built from their records without re-linking, and the render
/// step only joining. Its QC clip is checked against the staged path's render of the same sequence.
/// </summary>
public sealed class SingleDecodePassStagesTests : IDisposable
{
    private readonly FootageJob _job = new("single-decode-pass");
    private readonly MediaStore _store;
    private readonly Guid _jobId;

    public SingleDecodePassStagesTests() => (_store, _jobId) = (_job.Store, _job.JobId);

    public void Dispose() => _job.Dispose();

    [Fact]
    public async Task Pieces_run_one_after_another_give_a_QC_clip_showing_the_clips_sequence_on_every_frame_with_the_one_piece_clips_times_and_audio()
    {
        var inputKey = MediaKeys.Input(_jobId, ClipNames.Source, ".mp4");
        Directory.CreateDirectory(Path.GetDirectoryName(_store.PathFor(inputKey))!);
        File.Copy(RepoPaths.MediaFile("grid_bbaf2n.mp4"), _store.PathFor(inputKey)); // 75 frames, AAC audio
        var extracted = await new FrameExtractionStage(_store, MediaLimits.Default).RunAsync(
            new ExtractFrames(_jobId, ClipNames.Source, inputKey, ChunkSize: 10, PassChunkSize: 25), CancellationToken.None);
        Assert.True(extracted.ExactPlanes, "an 8-bit 4:2:0 H.264 clip decodes as exact planes");
        Assert.Equal([(0, 0, 25), (1, 25, 25), (2, 50, 25)], extracted.Chunks.Select(c => (c.Index, c.FirstFrame, c.FrameCount))); // the pass's chunks
        Assert.False(FrameTimeline.Load(_store.PathFor(extracted.TimelineKey)).DecodeCounted, "its packets are its frames: counted from them, the pass decodes it");
        var video = extracted.Video;

        var reconstruction = new FaceReconstructionStage(_store, _job.Detector, _job.Landmarker, _job.Mesh.TriangleIndices());
        var commands = extracted.Chunks.Select(chunk => new ReconstructFaces(
            _jobId, ClipNames.Source, inputKey, chunk, video.Width, video.Height, extracted.TimelineKey, MediaKeys.Faces(_jobId, ClipNames.Source, chunk.Index), MaxFaces: 1,
            Pass: new TrackPass(
                chunk.Index == 0 ? null : MediaKeys.TrackPassState(_jobId, ClipNames.Source, chunk.Index - 1),
                MediaKeys.TrackPassState(_jobId, ClipNames.Source, chunk.Index),
                MediaKeys.Segment(_jobId, "qc", chunk.Index, ".nut"),
                video))).ToList();
        foreach (var command in commands)
        {
            var done = await reconstruction.RunAsync(command, CancellationToken.None);
            Assert.Equal((command.Chunk.Index, command.Chunk.FrameCount, command.Chunk.FrameCount), (done.ChunkIndex, done.FrameCount, done.FramesWithFaces));
            Assert.True(_store.Exists(command.Pass!.QcSegmentKey));
            Assert.True(_store.Exists(command.Pass.StateOutKey));
        }

        // A piece delivered again (its worker died before its result went out) rewrites the same three files.
        string[] written = [commands[1].FacesKey, commands[1].Pass!.QcSegmentKey, commands[1].Pass!.StateOutKey];
        var before = written.Select(k => File.ReadAllBytes(_store.PathFor(k))).ToList();
        await reconstruction.RunAsync(commands[1], CancellationToken.None);
        Assert.Equal(before, written.Select(k => File.ReadAllBytes(_store.PathFor(k))));

        var chunks = commands.Select(c => new TrackChunk(c.Chunk, c.FacesKey)).ToList();
        var clip = new ClipTrack(ClipNames.Source, "grid_bbaf2n.mp4", inputKey, video, chunks, extracted.TimelineKey, extracted.AudioKey);
        var sequenceKey = MediaKeys.FaceSequence(_jobId, ClipNames.Source);
        var built = await new FaceSequenceStage(_store, _job.Mesh).RunAsync(new BuildFaceSequence(_jobId, clip, null, sequenceKey, ContinuousTracks: true), CancellationToken.None);
        Assert.Equal((75, 75), (built.FrameCount, built.FramesWithFaces));

        // The staged path's render of the same sequence, cut at the same frames: x264 on the same pictures gives the same clip.
        var render = new RenderTrackOutputs(
            _jobId, clip.FileName, inputKey, video, chunks, extracted.TimelineKey, extracted.AudioKey,
            MediaKeys.Output(_jobId, OutputNames.QcClip), MediaKeys.Output(_jobId, OutputNames.Tracking), MediaKeys.Output(_jobId, OutputNames.TrackingBinary), NeutralFrame: null, sequenceKey);
        var staged = new List<RenderedSegment>();
        foreach (var chunk in extracted.Chunks)
        {
            var key = MediaKeys.Segment(_jobId, "staged", chunk.Index, ".nut");
            await new QcSegmentRenderStage(_store, _job.Mesh).RunAsync(
                new RenderQcSegment(_jobId, chunk.Index, chunk.FirstFrame, chunk.FrameCount, inputKey, video, extracted.TimelineKey, sequenceKey, key), CancellationToken.None);
            staged.Add(new RenderedSegment(chunk.Index, chunk.FirstFrame, chunk.FrameCount, key));
        }

        var stagedKey = MediaKeys.Output(_jobId, "staged.mp4");
        await new TrackRenderStage(_store, _job.Mesh).RunAsync(render with { QcClipKey = stagedKey, QcSegments = staged }, CancellationToken.None);
        var onePieceKey = MediaKeys.Output(_jobId, "one-piece.mp4");
        await new TrackRenderStage(_store, _job.Mesh).RunAsync(render with { QcClipKey = onePieceKey }, CancellationToken.None);

        var rendered = await new TrackRenderStage(_store, _job.Mesh).RunAsync(
            render with { QcSegments = [.. commands.Select(c => new RenderedSegment(c.Chunk.Index, c.Chunk.FirstFrame, c.Chunk.FrameCount, c.Pass!.QcSegmentKey))] },
            CancellationToken.None);

        var joined = _store.PathFor(rendered.QcClipKey);
        var pictures = FrameMd5(joined);
        Assert.Equal(75, pictures.Count);
        Assert.Equal(FrameMd5(_store.PathFor(stagedKey)), pictures);
        var onePiece = _store.PathFor(onePieceKey);
        Assert.Equal(PacketTimes(onePiece, "v:0"), PacketTimes(joined, "v:0"));
        Assert.Equal(PacketTimes(onePiece, "a:0"), PacketTimes(joined, "a:0"));
        Assert.All(commands, c => Assert.False(_store.Exists(c.Pass!.QcSegmentKey))); // joined: the segments are gone
    }

    [Fact]
    public async Task A_clip_that_does_not_decode_as_exact_planes_is_cut_into_the_jobs_chunks_whatever_the_pass_asks()
    {
        var inputKey = MediaKeys.Input(_jobId, ClipNames.Source, ".mov");
        Directory.CreateDirectory(Path.GetDirectoryName(_store.PathFor(inputKey))!);
        Tool("ffmpeg", ["-v", "error", "-i", RepoPaths.MediaFile("grid_bbaf2n.mp4"), "-an", "-c:v", "prores_ks", "-profile:v", "3", "-pix_fmt", "yuv422p10le", _store.PathFor(inputKey)]);

        var extracted = await new FrameExtractionStage(_store, MediaLimits.Default).RunAsync(
            new ExtractFrames(_jobId, ClipNames.Source, inputKey, ChunkSize: 30, PassChunkSize: 60), CancellationToken.None);

        Assert.False(extracted.ExactPlanes, "10-bit 4:2:2 ProRes does not decode as exact 8-bit 4:2:0 planes");
        Assert.Equal([(0, 0, 30), (1, 30, 30), (2, 60, 15)], extracted.Chunks.Select(c => (c.Index, c.FirstFrame, c.FrameCount)));
    }

    /// <summary>Each decoded picture's MD5 (the video stream only).</summary>
    private static List<string> FrameMd5(string path) =>
        [.. Tool("ffmpeg", ["-v", "error", "-i", path, "-map", "0:v:0", "-f", "framemd5", "-"]).Split('\n').Where(l => l.Length > 0 && l[0] != '#').Select(l => l.Split(',')[^1].Trim())];

    /// <summary>Every packet's pts and duration of a stream, in presentation order.</summary>
    private static List<string> PacketTimes(string path, string stream) =>
        [.. Tool("ffprobe", ["-v", "error", "-select_streams", stream, "-show_entries", "packet=pts,duration", "-of", "csv=p=0", path])
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .OrderBy(l => long.Parse(l.Split(',')[0], System.Globalization.CultureInfo.InvariantCulture))];

    private static string Tool(string name, string[] arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(name, arguments) { RedirectStandardOutput = true })!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return output;
    }
}
