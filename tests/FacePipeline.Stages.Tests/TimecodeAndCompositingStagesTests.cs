using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FacePipeline.Contracts;
using FacePipeline.Geometry;
using FacePipeline.Media;
using FacePipeline.Rendering;
using FacePipeline.Retarget;
using FacePipeline.Storage;
using FacePipeline.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace FacePipeline.Stages.Tests;

/// <summary>
/// Issue 18 on real footage, the stages chained by hand (no broker): a clip's start timecode reaches its outputs (the QC
/// clip joined from segments, the retarget's every clip, the curves), and a retarget's compositing outputs (the matte,
/// ProRes 4444 with alpha, DNxHR HQ) are frame for frame with result.mp4; and (issue 16) a retarget's clips rendered in
/// segments by several workers join into the one-piece render's, and its donor frames are read without restarting the
/// decoder of the frames it renders on. Checked with ffprobe and ffmpeg.
/// </summary>
public sealed class TimecodeAndCompositingStagesTests : IDisposable
{
    private readonly FootageJob _job = new("stages-timecode");
    private readonly MediaStore _store;
    private readonly CanonicalFaceMesh _mesh;
    private readonly Guid _jobId;

    public TimecodeAndCompositingStagesTests() => (_store, _mesh, _jobId) = (_job.Store, _job.Mesh, _job.JobId);

    public void Dispose() => _job.Dispose();

    [Fact]
    public async Task A_29_97_drop_frame_clip_gets_a_qc_clip_joined_from_segments_and_curves_that_start_at_its_timecode()
    {
        // grid_bbaf2n's first 12 frames as 29.97 fps footage whose first frame is 00:00:59;25: frame 5 is 00:01:00;02.
        var clip = await ExtractAndTrackAsync(ClipNames.Source, "grid_bbaf2n.mp4", "-vf setpts=N*1001/30000/TB -r 30000/1001 -frames:v 12 -an -timecode 00:00:59;25");
        Assert.Equal("00:00:59;25", FrameTimeline.Load(_store.PathFor(clip.TimelineKey)).StartTimecode);
        var sequenceKey = MediaKeys.FaceSequence(_jobId, ClipNames.Source);
        await new FaceSequenceStage(_store, _mesh).RunAsync(new BuildFaceSequence(_jobId, clip, null, sequenceKey), CancellationToken.None);
        var segments = new List<RenderedSegment>();
        foreach (var (index, first, count) in new[] { (0, 0, 5), (1, 5, 7) })
        {
            var key = MediaKeys.Segment(_jobId, "qc", index, ".nut");
            await new QcSegmentRenderStage(_store, _mesh).RunAsync(
                new RenderQcSegment(_jobId, index, first, count, clip.SourceKey, clip.Video, clip.TimelineKey, sequenceKey, key), CancellationToken.None);
            segments.Add(new RenderedSegment(index, first, count, key));
        }

        var curves = new IctTrackCurvesWriter(FootageJob.Models, _mesh, NullLogger<IctTrackCurvesWriter>.Instance);
        var rendered = await new TrackRenderStage(_store, _mesh, curves).RunAsync(
            new RenderTrackOutputs(
                _jobId, clip.FileName, clip.SourceKey, clip.Video, clip.Chunks, clip.TimelineKey, clip.AudioKey,
                MediaKeys.Output(_jobId, OutputNames.QcClip), MediaKeys.Output(_jobId, OutputNames.Tracking), MediaKeys.Output(_jobId, OutputNames.TrackingBinary),
                NeutralFrame: null, SequenceKey: sequenceKey, QcSegments: segments),
            CancellationToken.None);

        var qc = _store.PathFor(rendered.QcClipKey);
        Assert.Equal(12, CountFrames(qc));
        Assert.Equal("00:00:59;25", TimecodeTrack(qc));
        var rows = CsvTimecodes(rendered.BlendshapesCsvKey!);
        Assert.Equal(12, rows.Count);
        Assert.Equal("00:00:59:25.000", rows[0]);
        Assert.Equal("00:00:59:29.000", rows[4]);
        Assert.Equal("00:01:00:02.000", rows[5]); // drop-frame: ;00 and ;01 of minute 1 do not exist
        using var json = JsonDocument.Parse(File.ReadAllBytes(_store.PathFor(rendered.BlendshapesJsonKey!)));
        Assert.Equal("00:00:59;25", json.RootElement.GetProperty("startTimecode").GetString());
        Assert.Equal("00:01:00;02", json.RootElement.GetProperty("frames")[5].GetProperty("timecode").GetString());
    }

    [Fact]
    public async Task A_retarget_writes_a_matte_prores_4444_with_alpha_and_dnxhr_frame_for_frame_with_the_result_from_the_performers_timecode()
    {
        // The performer: grid_lbbc2a's first 10 frames (25 fps, with its audio) starting at 10:00:00:00; the actor: grid_bbaf2n's.
        var source = await ExtractAndTrackAsync(ClipNames.Source, "grid_lbbc2a.mp4", "-frames:v 10 -t 0.4 -c:a aac -timecode 10:00:00:00");
        var target = await ExtractAndTrackAsync(ClipNames.Target, "grid_bbaf2n.mp4", "-frames:v 10 -an");
        var settings = RetargetSettings.Default with { ProRes = true, ProRes4444 = true, Dnxhr = true };
        var transferKey = MediaKeys.Output(_jobId, OutputNames.Transfer);
        await new ExpressionTransferStage(_store, _mesh).RunAsync(new TransferExpressions(_jobId, source, target, settings, transferKey), CancellationToken.None);
        var curves = new IctTrackCurvesWriter(FootageJob.Models, _mesh, NullLogger<IctTrackCurvesWriter>.Instance);

        var rendered = await new RetargetRenderStage(_store, _mesh, curves: curves).RunAsync(
            new RenderRetargetOutputs(
                _jobId, source, target, settings, transferKey,
                MediaKeys.Output(_jobId, OutputNames.Result), MediaKeys.Output(_jobId, OutputNames.Review), MediaKeys.Output(_jobId, OutputNames.ResultProRes),
                MatteKey: MediaKeys.Output(_jobId, OutputNames.Matte),
                ProRes4444Key: MediaKeys.Output(_jobId, OutputNames.ResultProRes4444),
                DnxhrKey: MediaKeys.Output(_jobId, OutputNames.ResultDnxhr)),
            CancellationToken.None);

        Assert.Equal(MediaKeys.Output(_jobId, OutputNames.Matte), rendered.MatteKey);
        Assert.Equal(MediaKeys.Output(_jobId, OutputNames.ResultProRes4444), rendered.ProRes4444Key);
        Assert.Equal(MediaKeys.Output(_jobId, OutputNames.ResultDnxhr), rendered.DnxhrKey);
        var result = _store.PathFor(rendered.ResultKey);
        var matte = _store.PathFor(rendered.MatteKey!);
        var alpha = _store.PathFor(rendered.ProRes4444Key!);
        var dnxhr = _store.PathFor(rendered.DnxhrKey!);

        // Every clip: 10 frames at the result's times, starting at the performer's 10:00:00:00.
        var times = FrameTimes(result);
        Assert.Equal(10, times.Count);
        foreach (var path in new[] { result, _store.PathFor(rendered.ReviewKey), _store.PathFor(rendered.ProResKey!), matte, alpha, dnxhr })
        {
            Assert.Equal(times, FrameTimes(path));
            Assert.Equal("25/1", Entry(path, "v:0", "r_frame_rate"));
            Assert.Equal("10:00:00:00", TimecodeTrack(path));
        }

        Assert.Equal(("png", "gray"), (Entry(matte, "v:0", "codec_name"), Entry(matte, "v:0", "pix_fmt")));
        Assert.Equal(("prores", "4444", "yuva444p12le"), (Entry(alpha, "v:0", "codec_name"), Entry(alpha, "v:0", "profile"), Entry(alpha, "v:0", "pix_fmt")));
        Assert.Equal(("dnxhd", "DNXHR HQ", "yuv422p"), (Entry(dnxhr, "v:0", "codec_name"), Entry(dnxhr, "v:0", "profile"), Entry(dnxhr, "v:0", "pix_fmt")));
        Assert.Equal("10:00:00:00.000", CsvTimecodes(rendered.BlendshapesCsvKey!)[0]);

        // The matte of frame 4: 255 at the face's centre (the transferred face's landmarks), 0 far from it (the frame's
        // corner), in between on the feathered edge along the row through the centre; the 4444's alpha is the matte.
        RetargetDocument document;
        await using (var stream = _store.OpenRead(transferKey))
        {
            document = await RetargetDocument.ReadAsync(stream, CancellationToken.None);
        }

        var (width, height) = (target.Video.Width, target.Video.Height);
        var destination = document.Frames[4].Destination!;
        var (cx, cy) = ((int)Math.Round(destination.Average(p => p[0])), (int)Math.Round(destination.Average(p => p[1])));
        var values = DecodeGrey(matte, 4, string.Empty, width, height);
        Assert.Equal(255, values[(cy * width) + cx]);
        Assert.Equal(0, values[0]);
        Assert.Equal(0, values[(height * width) - 1]);
        var row = values.AsSpan(cy * width, width).ToArray();
        Assert.Contains(row, v => v is > 0 and < 255);
        Assert.True(row.Count(v => v is > 0 and < 255) <= 40, "a feathered edge, not a blur over the row");
        var alphaValues = DecodeGrey(alpha, 4, "alphaextract,", width, height);
        Assert.All(Enumerable.Range(0, values.Length), i => Assert.InRange(alphaValues[i] - values[i], -1, 1));
    }

    [Fact]
    public async Task A_retargets_donor_frames_far_along_the_actors_clip_never_restart_the_decoder_of_the_frames_it_renders_on()
    {
        // The actor: grid_bbaf2n's first 10 frames (mouth closed), its first frame held for 140 more, then 20 frames of
        // speech (mouth open) far beyond the decoder's forward reach. The performer: grid_lbbc2a's frame 57 (lips closed,
        // named as the performer's neutral), then its frames 40..48 (its widest syllable): the output frames (on target frames 0..9)
        // open the mouth wider than the actor's resting face, so they take it from a donor frame among the last 20. (With
        // speech on every frame, the performer's neutral is a speaking face and no frame opens the mouth beyond it.)
        var source = await ExtractAndTrackAsync(
            ClipNames.Source, "grid_lbbc2a.mp4",
            "-filter_complex \"[0:v]trim=start_frame=57:end_frame=58,setpts=PTS-STARTPTS[a];[0:v]trim=start_frame=40:end_frame=49,setpts=PTS-STARTPTS[b];[a][b]concat=n=2:v=1:a=0[v]\" -map [v] -an");
        var target = await ExtractAndTrackAsync(
            ClipNames.Target, "grid_bbaf2n.mp4",
            "-filter_complex \"[0:v]trim=end_frame=10,setpts=PTS-STARTPTS,tpad=stop_mode=clone:stop=140[a];[0:v]trim=start_frame=30:end_frame=50,setpts=PTS-STARTPTS[b];[a][b]concat=n=2:v=1:a=0[v]\" -map [v] -an");
        Assert.Equal(170, target.Video.FrameCount);
        Assert.True(150 - 10 > ClipFrameReader.ForwardSkipLimit, "the donors must be out of the target decoder's forward reach");
        var transferKey = MediaKeys.Output(_jobId, OutputNames.Transfer);
        var settings = RetargetSettings.Default with { SourceNeutralFrame = 0 };
        await new ExpressionTransferStage(_store, _mesh).RunAsync(new TransferExpressions(_jobId, source, target, settings, transferKey), CancellationToken.None);
        RetargetDocument document;
        await using (var stream = _store.OpenRead(transferKey))
        {
            document = await RetargetDocument.ReadAsync(stream, CancellationToken.None);
        }

        Assert.Equal(Enumerable.Range(0, 10), document.Frames.Select(f => f.TargetFrame));
        var command = new RenderRetargetOutputs(
            _jobId, source, target, settings, transferKey,
            MediaKeys.Output(_jobId, OutputNames.Result), MediaKeys.Output(_jobId, OutputNames.Review), null);
        // Once frame by frame as each output frame wants its textures, once with the segment's textures planned (as the
        // stage renders): the plan changes when donors are decoded, never the picture.
        using var onDemand = new RetargetFrameRenderer(_store, command, document, new WarpRenderer(_mesh));
        using var planned = new RetargetFrameRenderer(_store, command, document, new WarpRenderer(_mesh));
        planned.PlanTextures(0, document.Frames.Count);
        for (var i = 0; i < document.Frames.Count; i++)
        {
            var expected = (await onDemand.RenderAsync(i, CancellationToken.None)).ToArray();
            var actual = (await planned.RenderAsync(i, CancellationToken.None)).ToArray();
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"output frame {i} differs with its textures planned");
        }

        var donorsFarAlong = Enumerable.Range(0, document.Frames.Count).Count(i => onDemand.TextureFramesOf(i).Any(f => f >= 150));
        Assert.True(donorsFarAlong > 0, "some output frame takes its mouth from the speech far along the actor's clip");
        Assert.Equal(1, onDemand.TargetDecoderStarts);
        Assert.Equal(1, planned.TargetDecoderStarts);
        Assert.True(onDemand.TextureDecoderStarts >= 2, $"the donors far along the clip were read ({onDemand.TextureDecoderStarts} starts of their decoder)");
        // The plan decodes each texture frame once, in ascending order: the resting frame, then one jump to the donors.
        Assert.InRange(planned.TextureDecoderStarts, 1, 2);
        Assert.InRange(planned.TextureFramesDecoded, 2, onDemand.TextureFramesDecoded);
    }

    [Fact]
    public async Task A_retarget_rendered_in_segments_by_several_workers_joins_into_the_one_piece_renders_clips_and_qc()
    {
        // The performer: grid_lbbc2a's first 10 frames (25 fps, with its audio); the actor: grid_bbaf2n's. Every clip asked
        // for, the QC with its re-tracking and identity check: once in one piece, once as segments of 4, 1 and 5 frames
        // rendered out of order by separate stage instances (separate workers), then joined.
        var source = await ExtractAndTrackAsync(ClipNames.Source, "grid_lbbc2a.mp4", "-frames:v 10 -t 0.4 -c:a aac");
        var target = await ExtractAndTrackAsync(ClipNames.Target, "grid_bbaf2n.mp4", "-frames:v 10 -an");
        var settings = RetargetSettings.Default with { ProRes = true, ProRes4444 = true, Dnxhr = true };
        var transferKey = MediaKeys.Output(_jobId, OutputNames.Transfer);
        await new ExpressionTransferStage(_store, _mesh).RunAsync(new TransferExpressions(_jobId, source, target, settings, transferKey), CancellationToken.None);
        using (var indexed = RetargetDocumentFile.Open(_store.PathFor(transferKey), _store.PathFor(MediaKeys.TransferIndex(_jobId))))
        {
            Assert.True(indexed.Indexed, "the transfer wrote no index of its document: every segment would read all of it");
        }

        RetargetRenderStage Worker() => new(
            _store, _mesh, feedback: new LandmarkRenderedFaceTrackerFactory(FootageJob.Models), identities: new ModelIdentityEmbedderFactory(FootageJob.Models));
        RenderRetargetOutputs Outputs(string folder) => new(
            _jobId, source, target, settings, transferKey, $"{folder}/result.mp4", $"{folder}/review.mp4", $"{folder}/result.mov",
            QcKey: $"{folder}/qc.json", MatteKey: $"{folder}/matte.mov", ProRes4444Key: $"{folder}/result_4444.mov", DnxhrKey: $"{folder}/result_dnxhr.mov");

        var onePiece = await Worker().RunAsync(Outputs("one-piece"), CancellationToken.None);

        var outputs = Outputs("joined");
        var segments = new[] { (0, 0, 4), (1, 4, 1), (2, 5, 5) }.Select(s => new RenderedSegment(s.Item1, s.Item2, s.Item3, MediaKeys.Segment(_jobId, "retarget", s.Item1, string.Empty))).ToList();
        foreach (var segment in Enumerable.Reverse(segments))
        {
            var done = await Worker().RunSegmentAsync(new RenderRetargetSegment(_jobId, segment.Index, segment.FirstFrame, segment.FrameCount, outputs, segment.Key), CancellationToken.None);
            Assert.Equal((segment.Index, segment.FrameCount, segment.Key), (done.Segment, done.FrameCount, done.SegmentKey));
        }

        var joined = await Worker().RunAsync(outputs with { Segments = segments }, CancellationToken.None);

        // Every clip: the one-piece clip's frame times, stream description and audio; the intra-frame ones (ProRes, the
        // matte, ProRes 4444, DNxHR) bit for bit, so every segment rendered exactly the frames the one-piece render did.
        var pairs = new[]
        {
            (onePiece.ResultKey, joined.ResultKey), (onePiece.ReviewKey, joined.ReviewKey), (onePiece.ProResKey!, joined.ProResKey!),
            (onePiece.MatteKey!, joined.MatteKey!), (onePiece.ProRes4444Key!, joined.ProRes4444Key!), (onePiece.DnxhrKey!, joined.DnxhrKey!),
        };
        foreach (var (one, two) in pairs)
        {
            var (a, b) = (_store.PathFor(one), _store.PathFor(two));
            Assert.Equal(10, FrameTimes(a).Count);
            Assert.Equal(FrameTimes(a), FrameTimes(b));
            Assert.Equal(Entry(a, "v:0", "codec_name,profile,pix_fmt,width,height,r_frame_rate,time_base,nb_frames"), Entry(b, "v:0", "codec_name,profile,pix_fmt,width,height,r_frame_rate,time_base,nb_frames"));
            Assert.Equal(PacketHashes(a, "a:0"), PacketHashes(b, "a:0"));
        }

        foreach (var (one, two) in pairs.Skip(2))
        {
            Assert.Equal(PacketHashes(_store.PathFor(one), "v:0"), PacketHashes(_store.PathFor(two), "v:0"));
        }

        Assert.Equal(PacketHashes(_store.PathFor(onePiece.ResultKey), "a:0").Count, PacketHashes(_store.PathFor(joined.ResultKey), "a:0").Count);
        Assert.NotEmpty(PacketHashes(_store.PathFor(joined.ResultKey), "a:0"));

        // The QC from the segments' re-tracking: the one-piece report's verdict, frames and identity check.
        var (qcOne, qcJoined) = (await ReadQc(onePiece.QcKey!), await ReadQc(joined.QcKey!));
        Assert.Equal((qcOne.Verdict, qcOne.OutputFrames, qcOne.MeasuredFrames), (qcJoined.Verdict, qcJoined.OutputFrames, qcJoined.MeasuredFrames));
        Assert.NotNull(qcJoined.Identity);
        Assert.Equal((qcOne.Identity!.Frames, qcOne.Identity.Kept), (qcJoined.Identity!.Frames, qcJoined.Identity.Kept));
        Assert.Equal(qcOne.Identity.ResultDistance, qcJoined.Identity.ResultDistance, 2);

        // The segments are gone once joined; a join delivered again finds the clips written and leaves them.
        Assert.All(segments, s => Assert.False(Directory.Exists(_store.PathFor(s.Key)), $"{s.Key} should be gone."));
        var written = File.GetLastWriteTimeUtc(_store.PathFor(joined.ResultKey));
        var again = await Worker().RunAsync(outputs with { Segments = segments }, CancellationToken.None);
        Assert.Equal(joined, again);
        Assert.Equal(written, File.GetLastWriteTimeUtc(_store.PathFor(joined.ResultKey)));
    }

    [Fact]
    public async Task A_retarget_join_that_finds_a_segment_consumed_by_a_join_that_died_renders_that_segment_again()
    {
        var source = await ExtractAndTrackAsync(ClipNames.Source, "grid_lbbc2a.mp4", "-frames:v 8 -an");
        var target = await ExtractAndTrackAsync(ClipNames.Target, "grid_bbaf2n.mp4", "-frames:v 8 -an");
        var settings = RetargetSettings.Default;
        var transferKey = MediaKeys.Output(_jobId, OutputNames.Transfer);
        await new ExpressionTransferStage(_store, _mesh).RunAsync(new TransferExpressions(_jobId, source, target, settings, transferKey), CancellationToken.None);
        var stage = new RetargetRenderStage(_store, _mesh);
        var outputs = new RenderRetargetOutputs(_jobId, source, target, settings, transferKey, "out/result.mp4", "out/review.mp4", null, MatteKey: "out/matte.mov");
        var segments = new[] { (0, 0, 3), (1, 3, 5) }.Select(s => new RenderedSegment(s.Item1, s.Item2, s.Item3, MediaKeys.Segment(_jobId, "retarget", s.Item1, string.Empty))).ToList();
        foreach (var segment in segments)
        {
            await stage.RunSegmentAsync(new RenderRetargetSegment(_jobId, segment.Index, segment.FirstFrame, segment.FrameCount, outputs, segment.Key), CancellationToken.None);
        }

        // A join killed after it had consumed the first segment's result: no result.mp4, that segment file gone.
        File.Delete(_store.PathFor($"{segments[0].Key}/result.nut"));

        var joined = await stage.RunAsync(outputs with { Segments = segments }, CancellationToken.None);

        Assert.Equal(8, FrameTimes(_store.PathFor(joined.ResultKey)).Count);
        Assert.Equal(FrameTimes(_store.PathFor(joined.ResultKey)), FrameTimes(_store.PathFor(joined.MatteKey!)));
        Assert.Equal(8, FrameTimes(_store.PathFor(joined.ReviewKey)).Count);
    }

    private async Task<RetargetQcReport> ReadQc(string key)
    {
        await using var stream = _store.OpenRead(key);
        return await RetargetQcReport.ReadAsync(stream, CancellationToken.None);
    }

    /// <summary>Every packet's MD5 of a stream (its data only: not the side data a muxer adds), in file order.</summary>
    private static List<string> PacketHashes(string path, string stream) =>
        [.. Run("ffprobe", $"-v error -select_streams {stream} -show_data_hash md5 -show_entries packet=data_hash -of csv=p=0 \"{path}\"")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(',').Single(field => field.StartsWith("MD5:", StringComparison.Ordinal)))];

    /// <summary>A job's clip: <paramref name="media"/> cut by ffmpeg (<paramref name="ffmpegOutputArguments"/>) into the upload, extracted and tracked.</summary>
    private async Task<ClipTrack> ExtractAndTrackAsync(string clip, string media, string ffmpegOutputArguments)
    {
        var inputKey = MediaKeys.Input(_jobId, clip, ".mp4");
        var upload = _store.PathFor(inputKey);
        Directory.CreateDirectory(Path.GetDirectoryName(upload)!);
        Run("ffmpeg", $"-v error -y -i \"{RepoPaths.MediaFile(media)}\" -c:v libx264 -preset veryfast -crf 16 {ffmpegOutputArguments} \"{upload}\"");
        var (extracted, chunks) = await _job.ExtractAndReconstructAsync(clip, inputKey, 16);
        return new ClipTrack(clip, media, inputKey, extracted.Video, chunks, extracted.TimelineKey, extracted.AudioKey);
    }

    private List<string> CsvTimecodes(string key) =>
        [.. File.ReadAllLines(_store.PathFor(key)).Skip(1).Select(line => line.Split(',')[0])];

    private static string TimecodeTrack(string path) =>
        Assert.Single(Run("ffprobe", $"-v error -select_streams d -show_entries stream=codec_tag_string:stream_tags=timecode -of csv=p=0 \"{path}\"")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) is var line && line.StartsWith("tmcd,", StringComparison.Ordinal)
            ? line["tmcd,".Length..]
            : throw new Xunit.Sdk.XunitException($"{Path.GetFileName(path)} has no timecode track: {line}");

    private static string Entry(string path, string stream, string entry) =>
        Run("ffprobe", $"-v error -select_streams {stream} -show_entries stream={entry} -of default=nw=1:nk=1 \"{path}\"").Trim();

    private static int CountFrames(string path) =>
        int.Parse(Run("ffprobe", $"-v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of default=nw=1:nk=1 \"{path}\"").Trim(), CultureInfo.InvariantCulture);

    /// <summary>Every video frame's presentation time, as ffprobe gives it (strings: compared exactly).</summary>
    private static List<string> FrameTimes(string path) =>
        [.. Run("ffprobe", $"-v error -select_streams v:0 -show_entries frame=best_effort_timestamp_time -of csv=p=0 \"{path}\"")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(t => t.TrimEnd(','))];

    /// <summary>Frame <paramref name="index"/> decoded by ffmpeg to 8-bit grey (after <paramref name="filter"/>), cropped to the picture.</summary>
    private static byte[] DecodeGrey(string path, int index, string filter, int width, int height)
    {
        var info = new ProcessStartInfo("ffmpeg", $"-v error -i \"{path}\" -vf {filter}select=eq(n\\,{index}),crop={width}:{height}:0:0 -fps_mode passthrough -frames:v 1 -pix_fmt gray -f rawvideo -")
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info)!;
        using var buffer = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(buffer);
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        Assert.Equal(width * height, buffer.Length);
        return buffer.ToArray();
    }

    private static string Run(string tool, string arguments)
    {
        var info = new ProcessStartInfo(tool, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{tool} {arguments} failed: {error.Result}");
        return output;
    }
}
