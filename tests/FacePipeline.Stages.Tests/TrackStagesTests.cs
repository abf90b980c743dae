using System.Diagnostics;
using System.Globalization;
using FacePipeline.Contracts;
using FacePipeline.Geometry;
using FacePipeline.Media;
using FacePipeline.Storage;
using FacePipeline.TestSupport;

namespace FacePipeline.Stages.Tests;

/// <summary>The three stages of a track job chained by hand on a real clip (no broker), and the renderer's refusals.</summary>
public sealed class TrackStagesTests : IDisposable
{
    private readonly FootageJob _job = new("stages");
    private readonly MediaStore _store;
    private readonly CanonicalFaceMesh _mesh;
    private readonly Guid _jobId;

    public TrackStagesTests() => (_store, _mesh, _jobId) = (_job.Store, _job.Mesh, _job.JobId);

    public void Dispose() => _job.Dispose();

    [Fact]
    public async Task Extract_reconstruct_render_gives_every_frame_once_one_track_and_a_QC_clip_like_the_input()
    {
        var (extracted, render) = await RunUpToRender("grid_lbbc2a.mp4", chunkSize: 20);
        var reported = new List<int>();

        var rendered = await new TrackRenderStage(_store, _mesh).RunAsync(
            render, CancellationToken.None, new RenderProgress((frames, _) => { reported.Add(frames); return Task.CompletedTask; }, TimeSpan.Zero));

        Assert.Equal(Enumerable.Range(1, 75), reported); // progress as the encoder takes each frame

        Assert.Equal(75, extracted.Video.FrameCount);
        Assert.Equal(4, extracted.Chunks.Count);
        await using var stream = _store.OpenRead(rendered.TrackingKey);
        var tracking = await TrackingJson.ReadAsync(stream, CancellationToken.None);
        Assert.Equal(TrackingDocument.SchemaV2, tracking.Schema);
        Assert.Equal(Enumerable.Range(0, 75), tracking.Frames.Select(f => f.Index));
        var faces = tracking.Frames.Select(f => Assert.Single(f.Faces)).ToList();
        Assert.All(faces, f => Assert.Equal(0, f.TrackId)); // one track across the four chunks
        Assert.All(faces, f => Assert.Equal(468, f.Landmarks.Length));
        Assert.All(faces, f => Assert.InRange(Math.Abs(f.Pose!.Yaw), 0, 30)); // a frontal talker
        Assert.All(faces, f => Assert.InRange(f.Pose!.Translation[2], -200, -20)); // in front of the camera, in cm
        Assert.All(faces, f => Assert.Equal(468, f.Expression!.Length));
        await using var binary = _store.OpenRead(rendered.TrackingBinaryKey);
        var fromBinary = TrackingBinary.Read(binary);
        Assert.Equal(75, fromBinary.Count);
        Assert.Equal(faces[10].Landmarks[1], fromBinary[10].Faces[0].Landmarks[1]);
        Assert.Equal(faces[10].Pose!.Yaw, fromBinary[10].Faces[0].Pose!.Yaw);
        Assert.Equal("25/1", tracking.Video.FrameRate);
        Assert.Equal(0.04, tracking.Frames[1].Time - tracking.Frames[0].Time, 6);
        var qc = Probe(_store.PathFor(rendered.QcClipKey));
        Assert.Equal("75 25/1 360 288 h264 audio", qc);
    }

    [Fact]
    public async Task With_a_curves_writer_the_renderer_writes_the_main_faces_blendshape_outputs()
    {
        var (extracted, render) = await RunUpToRender("grid_lbbc2a.mp4", chunkSize: 40);
        var writer = new RecordingCurvesWriter(accept: true);

        var rendered = await new TrackRenderStage(_store, _mesh, writer).RunAsync(render with { NeutralFrame = 3 }, CancellationToken.None);

        Assert.Equal(MediaKeys.Output(_jobId, OutputNames.BlendshapesCsv), rendered.BlendshapesCsvKey);
        Assert.Equal(MediaKeys.Output(_jobId, OutputNames.BlendshapesJson), rendered.BlendshapesJsonKey);
        Assert.Equal("csv 75", File.ReadAllText(_store.PathFor(rendered.BlendshapesCsvKey!)));
        Assert.Equal("json 75", File.ReadAllText(_store.PathFor(rendered.BlendshapesJsonKey!)));
        var input = Assert.Single(writer.Inputs);
        Assert.Equal((360, 288, 25L, 1L, 3), (input.Width, input.Height, input.FrameRateNumerator, input.FrameRateDenominator, input.NeutralFrame));
        Assert.Equal(75, input.Landmarks.Count);
        Assert.All(input.Landmarks, l => Assert.Equal(468, Assert.IsType<Geometry.Vec3[]>(l).Length));
        Assert.Equal(0.04, input.Times[1] - input.Times[0], 6);
        await using var stream = _store.OpenRead(rendered.TrackingKey);
        var tracking = await TrackingJson.ReadAsync(stream, CancellationToken.None);
        Assert.Equal(tracking.Frames[10].Faces[0].Landmarks[1][0], input.Landmarks[10]![1].X, 4); // the filtered landmarks of tracking.json
        Assert.Equal(75, extracted.Video.FrameCount);

        // A writer that cannot make curves (no model installed): the job's other outputs only, no stray files.
        Directory.Delete(Path.GetDirectoryName(_store.PathFor(rendered.BlendshapesCsvKey!))!, recursive: true);
        var declined = await new TrackRenderStage(_store, _mesh, new RecordingCurvesWriter(accept: false)).RunAsync(render, CancellationToken.None);
        Assert.Null(declined.BlendshapesCsvKey);
        Assert.Null(declined.BlendshapesJsonKey);
        Assert.False(File.Exists(_store.PathFor(MediaKeys.Output(_jobId, OutputNames.BlendshapesCsv))));
        Assert.True(File.Exists(_store.PathFor(declined.TrackingKey)));
    }

    private sealed class RecordingCurvesWriter(bool accept) : ITrackCurvesWriter
    {
        public List<TrackCurvesInput> Inputs { get; } = [];

        public bool TryWrite(TrackCurvesInput input, Stream csv, Stream json)
        {
            Inputs.Add(input);
            if (!accept)
            {
                return false;
            }

            csv.Write(System.Text.Encoding.UTF8.GetBytes($"csv {input.Landmarks.Count}"));
            json.Write(System.Text.Encoding.UTF8.GetBytes($"json {input.Landmarks.Count}"));
            return true;
        }

        public bool TryWriteTransferred(TransferredCurvesInput input, Stream csv, Stream json) =>
            throw new InvalidOperationException("a track job writes no transferred curves");
    }

    [Fact]
    public void A_retargets_curves_input_is_the_target_neutral_plus_each_frames_expression_with_its_pose()
    {
        var neutral = Enumerable.Range(0, 468).Select(k => new[] { k * 0.01f, -k * 0.02f, 1f }).ToArray();
        var pose = new FacePose(Matrix3.RotationY(0.3), new Vec3(1, 2, -40), 1.1);
        var record = FaceSequenceBuilder.ToRecord(pose);
        RetargetOutputFrame Frame(int index, bool driven) => new(
            index, index / 25.0, index, index, "tracked", driven ? "tracked" : "untracked",
            driven ? record : null,
            driven ? [.. Enumerable.Range(0, 468).Select(k => new[] { 0.5f, 0f, -0.25f * index })] : null,
            null);
        var video = new VideoInfo(360, 288, 25, 1, 3, 0.12, false);
        var clip = new ClipTrack("target", "actor.mp4", "actor.mp4", video, [], "t", null);
        var source = clip with { Clip = "source", FileName = "performer.mp4" };
        var tracked = new TrackedVideo(360, 288, "25/1", 3, 0.12);
        var document = new RetargetDocument(RetargetDocument.SchemaV1, new RetargetInput("performer.mp4", tracked), new RetargetInput("actor.mp4", tracked), tracked, RetargetSettings.Default, neutral, neutral, [], [Frame(0, true), Frame(1, false), Frame(2, true)]);
        var command = new RenderRetargetOutputs(Guid.NewGuid(), source, clip, RetargetSettings.Default, "transfer.json", "r", "v", null);

        var input = RetargetRenderStage.CurvesInput(command, document)!;

        Assert.Equal("performer.mp4", input.SourceName);
        Assert.Equal((25L, 1L), (input.FrameRateNumerator, input.FrameRateDenominator));
        Assert.Equal([0, 0.04, 0.08], input.Times);
        Assert.Null(input.Faces[1]);
        Assert.Null(input.Poses[1]);
        Assert.Equal(new Vec3(0.5 + 0.1, -0.2, 1 - 0.5), input.Faces[2]![10], new Vec3Comparer(1e-5));
        var back = input.Poses[2]!.Value;
        Assert.Equal(pose.Translation, back.Translation, new Vec3Comparer(1e-3));
        Assert.Equal(pose.Rotation[0, 2], back.Rotation[0, 2], 5);
        Assert.Equal(1.1, back.Scale, 5);

        var undriven = document with { Frames = [Frame(0, false)] };
        Assert.Null(RetargetRenderStage.CurvesInput(command, undriven));
    }

    private sealed class Vec3Comparer(double tolerance) : IEqualityComparer<Vec3>
    {
        public bool Equals(Vec3 a, Vec3 b) => (a - b).Length <= tolerance;

        public int GetHashCode(Vec3 v) => 0;
    }

    [Fact]
    public void Curves_input_follows_the_track_seen_on_most_frames()
    {
        static FaceRecord Face(int track, float x) =>
            new(track, 1, new BoxRecord(0, 0, 1, 1), [.. Enumerable.Range(0, 468).Select(_ => new[] { x, 0f, 0f })], null, null);
        FrameRecord[] frames =
        [
            new(0, 0.0, [Face(1, 10)]),
            new(1, 0.1, [Face(2, 20), Face(1, 11)]),
            new(2, 0.2, [Face(2, 21)]),
            new(3, 0.3, [Face(2, 22)]),
            new(4, 0.4, []),
        ];

        var input = ITrackCurvesWriter.InputFor(frames, "clip.mp4", 640, 480, 30000, 1001, neutralFrame: 0)!;
        Assert.Equal([null, 20.0, 21.0, 22.0, null], input.Landmarks.Select(l => l?[0].X));
        Assert.Null(input.NeutralFrame); // frame 0 does not show track 2
        Assert.Equal(3, ITrackCurvesWriter.InputFor(frames, "clip.mp4", 640, 480, 30000, 1001, neutralFrame: 3)!.NeutralFrame);
        Assert.Null(ITrackCurvesWriter.InputFor([new FrameRecord(0, 0, [])], "clip.mp4", 640, 480, 25, 1, null));
    }

    [Fact]
    public async Task The_renderer_refuses_a_missing_chunk_instead_of_skipping_frames()
    {
        var (_, render) = await RunUpToRender("grid_lbbc2a.mp4", chunkSize: 20);
        var gap = render with { Chunks = [.. render.Chunks.Where(c => c.Frames.Index != 1)] };

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => new TrackRenderStage(_store, _mesh).RunAsync(gap, CancellationToken.None));
        Assert.Contains("frame 40 where frame 20 was expected", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_renderer_refuses_a_chunk_given_twice()
    {
        var (_, render) = await RunUpToRender("grid_lbbc2a.mp4", chunkSize: 20);
        var twice = render with { Chunks = [.. render.Chunks, render.Chunks[0]] };

        await Assert.ThrowsAsync<InvalidDataException>(() => new TrackRenderStage(_store, _mesh).RunAsync(twice, CancellationToken.None));
    }

    [Fact]
    public async Task Analyze_reports_the_face_of_a_still_in_image_pixels()
    {
        var document = await ClipAnalyzer.AnalyzeAsync(RepoPaths.MediaFile("astronaut.png"), FootageJob.Models, CancellationToken.None);

        var frame = Assert.Single(document.Frames);
        var face = Assert.Single(frame.Faces);
        Assert.Equal((512, 512), (document.Video.Width, document.Video.Height));
        Assert.InRange(face.Box.X, 0, 512 - face.Box.Width);
        Assert.True(face.Landmarks[33][0] < face.Landmarks[263][0], "the subject's right eye is on the image's left");
        Assert.InRange(face.Landmarks[1][1], face.Landmarks[33][1], face.Landmarks[13][1]); // nose tip between eye line and lips
        Assert.All(face.Expression!, d => Assert.Equal(0f, d[0])); // a single frame is its own neutral
    }

    [Fact]
    public async Task A_named_neutral_frame_has_no_expression_and_others_do()
    {
        var document = await ClipAnalyzer.AnalyzeAsync(
            RepoPaths.MediaFile("grid_swiz3n.mp4"), FootageJob.Models, CancellationToken.None, sequence: new FaceSequenceOptions(NeutralFrame: 5));

        var magnitudes = document.Frames.Select(f => Assert.Single(f.Faces).Expression!.Sum(d => MathF.Sqrt((d[0] * d[0]) + (d[1] * d[1]) + (d[2] * d[2])))).ToList();
        Assert.Equal(0f, magnitudes[5]);
        Assert.True(magnitudes.Max() > 0.05f * 468, "a talker's mouth moves: some frame is far from the neutral");
    }

    [Fact]
    public void Tracks_are_linked_across_chunks_by_box_overlap_and_new_faces_get_new_ids()
    {
        static FrameRecord Frame(int index, params (int Id, float X)[] faces) =>
            new(index, index / 25.0, [.. faces.Select(f => new FaceRecord(f.Id, 1, new BoxRecord(f.X, 10, 50, 50), [], null, null))]);

        // Chunk 0: local track 0 at x=0; chunk 1: local 0 at x=300 (new face), local 1 at x=2 (the same face).
        var linked = FaceSequenceBuilder.LinkTracks([
            [Frame(0, (0, 0)), Frame(1, (0, 1))],
            [Frame(2, (0, 300), (1, 2)), Frame(3, (1, 3))],
        ]);

        Assert.Equal([0, 0], linked[..2].Select(f => f.Faces[0].TrackId));
        Assert.Equal(1, linked[2].Faces[0].TrackId); // the new face
        Assert.Equal(0, linked[2].Faces[1].TrackId); // continues track 0
        Assert.Equal(0, linked[3].Faces[0].TrackId);
    }

    [Fact]
    public async Task A_QC_clip_rendered_in_segments_and_joined_has_the_one_piece_clips_frames_times_and_audio_and_the_segments_go()
    {
        var (render, sequenceKey, onePieceKey) = await SequencedAndRenderedInOnePiece("grid_bbaf2n.mp4"); // 75 frames, AAC audio


        // Three segments (one of a single frame) rendered apart, as three workers would, then joined.
        var segmentStage = new QcSegmentRenderStage(_store, _mesh);
        var segments = new List<RenderedSegment>();
        foreach (var (index, first, count) in new[] { (0, 0, 30), (1, 30, 1), (2, 31, 44) })
        {
            var key = MediaKeys.Segment(_jobId, "qc", index, ".nut");
            var progress = new List<int>();
            var done = await segmentStage.RunAsync(
                new RenderQcSegment(_jobId, index, first, count, render.SourceKey, render.Video, render.TimelineKey, sequenceKey, key),
                CancellationToken.None,
                new RenderProgress((frames, _) => { progress.Add(frames); return Task.CompletedTask; }, TimeSpan.Zero));
            Assert.Equal((index, count, key), (done.Segment, done.FrameCount, done.SegmentKey));
            Assert.Equal(count, progress.Last()); // the segment's own frames
            segments.Add(new RenderedSegment(index, first, count, key));
        }

        var rendered = await new TrackRenderStage(_store, _mesh).RunAsync(render with { QcSegments = segments }, CancellationToken.None);

        var joined = _store.PathFor(rendered.QcClipKey);
        var onePiece = _store.PathFor(onePieceKey);
        Assert.Equal(Probe(onePiece), Probe(joined));
        Assert.Equal(PacketTimes(onePiece, "v:0"), PacketTimes(joined, "v:0"));
        Assert.Equal(PacketTimes(onePiece, "a:0"), PacketTimes(joined, "a:0"));
        Assert.All(segments, s => Assert.False(_store.Exists(s.Key))); // joined: the segments are gone

        // Delivered again after the join (the worker died before its result went out): the clip stays as it is.
        var before = File.ReadAllBytes(joined);
        await new TrackRenderStage(_store, _mesh).RunAsync(render with { QcSegments = segments }, CancellationToken.None);
        Assert.Equal(before, File.ReadAllBytes(joined));
    }

    [Fact]
    public async Task A_join_that_died_after_deleting_some_segments_renders_them_again_and_joins_the_one_piece_clip()
    {
        var (render, sequenceKey, onePieceKey) = await SequencedAndRenderedInOnePiece("grid_bbaf2n.mp4"); // 75 frames, AAC audio

        var segmentStage = new QcSegmentRenderStage(_store, _mesh);
        var segments = new List<RenderedSegment>();
        foreach (var (index, first, count) in new[] { (0, 0, 25), (1, 25, 25), (2, 50, 25) })
        {
            var key = MediaKeys.Segment(_jobId, "qc", index, ".nut");
            await segmentStage.RunAsync(new RenderQcSegment(_jobId, index, first, count, render.SourceKey, render.Video, render.TimelineKey, sequenceKey, key), CancellationToken.None);
            segments.Add(new RenderedSegment(index, first, count, key));
        }

        // The first join consumed segments 0 and 1, then its worker was killed: no clip, one segment left.
        _store.DeleteTree(segments[0].Key);
        _store.DeleteTree(segments[1].Key);
        Assert.False(_store.Exists(render.QcClipKey));

        var rendered = await new TrackRenderStage(_store, _mesh).RunAsync(render with { QcSegments = segments }, CancellationToken.None);

        var joined = _store.PathFor(rendered.QcClipKey);
        var onePiece = _store.PathFor(onePieceKey);
        Assert.Equal(Probe(onePiece), Probe(joined));
        Assert.Equal(PacketTimes(onePiece, "v:0"), PacketTimes(joined, "v:0"));
        Assert.Equal(PacketTimes(onePiece, "a:0"), PacketTimes(joined, "a:0"));
        Assert.All(segments, s => Assert.False(_store.Exists(s.Key)));
    }

    [Fact]
    public async Task A_sequence_command_delivered_again_after_the_chunk_records_went_answers_with_the_stored_sequence()
    {
        var (_, render) = await RunUpToRender("grid_bbaf2n.mp4", chunkSize: 32);
        var sequenceKey = MediaKeys.FaceSequence(_jobId, ClipNames.Source);
        var clip = new ClipTrack(ClipNames.Source, render.SourceName, render.SourceKey, render.Video, render.Chunks, render.TimelineKey, render.AudioKey);
        var command = new BuildFaceSequence(_jobId, clip, null, sequenceKey);
        var stage = new FaceSequenceStage(_store, _mesh);
        var built = await stage.RunAsync(command, CancellationToken.None);
        var sequence = File.ReadAllBytes(_store.PathFor(sequenceKey));

        // The job recorded the sequence and its chunk records were deleted (MediaRetention.SequenceBuilt); then the
        // command comes again (its worker died before acknowledging it).
        Assert.Equal(3, render.Chunks.Count);
        foreach (var chunk in render.Chunks)
        {
            _store.DeleteTree(chunk.FacesKey);
        }

        var again = await stage.RunAsync(command, CancellationToken.None);

        Assert.Equal(built, again);
        Assert.Equal(75, again.FrameCount);
        Assert.InRange(again.FramesWithFaces, 70, 75);
        Assert.True(sequence.AsSpan().SequenceEqual(File.ReadAllBytes(_store.PathFor(sequenceKey))), "The stored sequence changed.");
    }

    /// <summary>
    /// A clip extracted, reconstructed and sequenced up to its render command, and its QC clip rendered in one piece (as a
    /// renderer without segments does it) under a key of its own: what a segmented render is compared with.
    /// </summary>
    private async Task<(RenderTrackOutputs Render, string SequenceKey, string OnePieceKey)> SequencedAndRenderedInOnePiece(string clipName)
    {
        var (_, render) = await RunUpToRender(clipName, chunkSize: 32);
        var sequenceKey = MediaKeys.FaceSequence(_jobId, ClipNames.Source);
        var clip = new ClipTrack(ClipNames.Source, render.SourceName, render.SourceKey, render.Video, render.Chunks, render.TimelineKey, render.AudioKey);
        await new FaceSequenceStage(_store, _mesh).RunAsync(new BuildFaceSequence(_jobId, clip, null, sequenceKey), CancellationToken.None);
        render = render with { SequenceKey = sequenceKey };
        var onePieceKey = MediaKeys.Output(_jobId, "one-piece.mp4");
        await new TrackRenderStage(_store, _mesh).RunAsync(render with { QcClipKey = onePieceKey }, CancellationToken.None);
        return (render, sequenceKey, onePieceKey);
    }

    /// <summary>Every packet's pts and duration (presentation order) of a stream, from ffprobe.</summary>
    private static List<string> PacketTimes(string path, string stream)
    {
        var info = new ProcessStartInfo("ffprobe", ["-v", "error", "-select_streams", stream, "-show_entries", "packet=pts,duration", "-of", "csv=p=0", path])
        {
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(info)!;
        var lines = process.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        process.WaitForExit();
        Assert.NotEmpty(lines);
        return [.. lines.OrderBy(l => long.Parse(l.Split(',')[0], CultureInfo.InvariantCulture))];
    }

    private async Task<(FramesExtracted Extracted, RenderTrackOutputs Render)> RunUpToRender(string clip, int chunkSize)
    {
        var inputKey = MediaKeys.Input(_jobId, ClipNames.Source, ".mp4");
        Directory.CreateDirectory(Path.GetDirectoryName(_store.PathFor(inputKey))!);
        File.Copy(RepoPaths.MediaFile(clip), _store.PathFor(inputKey));
        var (extracted, chunks) = await _job.ExtractAndReconstructAsync(ClipNames.Source, inputKey, chunkSize);

        return (extracted, new RenderTrackOutputs(
            _jobId, clip, inputKey, extracted.Video, chunks, extracted.TimelineKey, extracted.AudioKey,
            MediaKeys.Output(_jobId, OutputNames.QcClip), MediaKeys.Output(_jobId, OutputNames.Tracking), MediaKeys.Output(_jobId, OutputNames.TrackingBinary), NeutralFrame: null));
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
