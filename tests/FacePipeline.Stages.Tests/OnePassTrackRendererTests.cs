using System.Diagnostics;
using System.Runtime.CompilerServices;
using FacePipeline.Face;
using FacePipeline.Geometry;
using FacePipeline.Media;
using FacePipeline.TestSupport;

namespace FacePipeline.Stages.Tests;

/// <summary>
/// The single-decode track pass (<see cref="OnePassTrackRenderer"/>), checked against the staged path's own parts: its raw
/// records against a chunk tracked from the first frame, the landmarks it draws against the sequence
/// <see cref="FaceSequenceBuilder"/> builds from those records, and its QC clip against the source's frames drawn with
/// that sequence and encoded one after another with no overlap (the same x264 settings give the same pictures).
/// </summary>
public sealed class OnePassTrackRendererTests : IDisposable
{
    private static readonly ModelPaths Models = new(RepoPaths.Models);
    private readonly string _scratch = RepoPaths.NewScratchFolder("one-pass");

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    [Fact]
    public async Task One_pass_tracks_as_a_chunk_from_the_first_frame_and_its_QC_clip_shows_the_sequence_built_from_its_records_frame_for_frame()
    {
        var path = RepoPaths.MediaFile("grid_lbbc2a.mp4");
        var (timeline, w, h, rate) = await ExtractAsync(path);
        var n = timeline.FrameCount;
        using var detector = new BlazeFaceDetector(Models.FaceDetector);
        using var landmarker = Models.OpenLandmarkModel(refined: true);
        var mesh = CanonicalFaceMesh.Load(Models.FaceGeometry);
        int[] triangles = mesh.TriangleIndices();
        var (raw, drawn) = (new List<FrameRecord>(), new List<FrameRecord>());
        var qc = Path.Combine(_scratch, "qc.mp4");

        var summary = await new OnePassTrackRenderer(detector, landmarker, triangles).RunAsync(
            path, timeline, w, h, 0, n, null, new FaceTrackerOptions(), Mp4(qc, w, h, rate), raw.Add, drawn.Add, CancellationToken.None);

        Assert.Equal(n, summary.FrameCount);
        Assert.Equal(n, summary.FramesWithFaces);
        var chunk = await new ChunkFaceTracking(detector, landmarker).TrackAsync(path, timeline, w, h, 0, n, new FaceTrackerOptions(), CancellationToken.None);
        Assert.Equal(n, raw.Count);
        for (var i = 0; i < n; i++)
        {
            Assert.Equal(chunk[i].Index, raw[i].Index);
            Assert.Equal(chunk[i].Time, raw[i].Time);
            var (a, b) = (chunk[i].Faces.Single(), raw[i].Faces.Single());
            Assert.Equal(a.Landmarks.SelectMany(p => p), b.Landmarks.SelectMany(p => p));
            Assert.Equal(a.Irises!.SelectMany(p => p), b.Irises!.SelectMany(p => p));
        }

        var sequence = new FaceSequenceBuilder(new MetricLandmarks(mesh)).Build([raw], w, h, FaceSequenceOptions.Default);
        Assert.Equal(n, drawn.Count);
        for (var i = 0; i < n; i++)
        {
            var (a, b) = (sequence[i].Faces.Single(), drawn[i].Faces.Single());
            Assert.Equal(a.Box, b.Box);
            Assert.Equal(a.Landmarks.SelectMany(p => p), b.Landmarks.SelectMany(p => p));
            Assert.NotEqual(raw[i].Faces[0].Landmarks.SelectMany(p => p), b.Landmarks.SelectMany(p => p)); // filtered, not the raw points
        }

        var reference = Path.Combine(_scratch, "reference.mp4");
        await H264ClipEncoder.EncodeAsync(DrawnOneByOne(path, timeline, w, h, sequence, triangles), w, h, rate, null, reference, new H264EncodeOptions { Input = QcOverlay.Pixels });
        var pictures = FrameMd5(qc);
        Assert.Equal(n, pictures.Count);
        Assert.Equal(FrameMd5(reference), pictures);
    }

    [Fact]
    public async Task An_upload_that_stops_decoding_is_refused_as_corrupt_with_no_QC_clip_and_no_ffmpeg_left()
    {
        var whole = Path.Combine(_scratch, "whole.ts");
        Ffmpeg($"-i \"{RepoPaths.MediaFile("grid_lbbc2a.mp4")}\" -map 0:v:0 -c copy -f mpegts \"{whole}\"");
        var (timeline, w, h, rate) = await ExtractAsync(whole);
        var cut = Path.Combine(_scratch, "cut.ts");
        var bytes = await File.ReadAllBytesAsync(whole);
        await File.WriteAllBytesAsync(cut, bytes.AsMemory(0, bytes.Length / 2).ToArray()); // the upload lost its second half since
        using var detector = new BlazeFaceDetector(Models.FaceDetector);
        using var landmarker = Models.OpenLandmarkModel(refined: false);
        var qc = Path.Combine(_scratch, "qc.mp4");
        var tracked = 0;

        var refused = await Assert.ThrowsAsync<MediaRejectedException>(() => new OnePassTrackRenderer(detector, landmarker, []).RunAsync(
            cut, timeline, w, h, 0, timeline.FrameCount, null, new FaceTrackerOptions(), Mp4(qc, w, h, rate), _ => tracked++, null, CancellationToken.None));

        Assert.Equal(MediaRejectionKind.Corrupt, refused.Kind);
        Assert.InRange(tracked, 1, timeline.FrameCount - 1); // it got part-way
        Assert.Empty(Directory.GetFiles(_scratch, "qc.mp4*"));
        Assert.DoesNotContain(ProcessTable.WithCommandLine(_scratch), p => p.Name == "ffmpeg" && p.IsAlive());
    }

    [Fact]
    public async Task An_encoder_that_stops_taking_frames_early_fails_the_run_at_once_and_leaves_no_decoder_behind()
    {
        var path = Path.Combine(_scratch, "stops-early.mp4"); // a path of its own: no other test's ffmpeg reads it
        File.Copy(RepoPaths.MediaFile("obama_wh_closeup.mp4"), path);
        var (timeline, w, h, _) = await ExtractAsync(path);
        using var detector = new BlazeFaceDetector(Models.FaceDetector);
        using var landmarker = Models.OpenLandmarkModel(refined: false);

        async Task TakeFive(IAsyncEnumerable<ReadOnlyMemory<byte>> frames, CancellationToken ct)
        {
            var taken = 0;
            await foreach (var _ in frames.WithCancellation(ct))
            {
                if (++taken == 5)
                {
                    return; // the decoder is some frames ahead, blocked on the full ring
                }
            }
        }

        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => new OnePassTrackRenderer(detector, landmarker, []).RunAsync(
            path, timeline, w, h, 0, timeline.FrameCount, null, new FaceTrackerOptions(), TakeFive, _ => { }, null, CancellationToken.None)
            .WaitAsync(TimeSpan.FromMinutes(2))); // a run that waited for its blocked decoder would hang here, and time out as a failure

        Assert.Contains($"Only 5 of frames 0..+{timeline.FrameCount}", failed.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(ProcessTable.WithCommandLine(path), p => p.Name == "ffmpeg" && p.IsAlive());
    }

    [Fact]
    public async Task A_clip_that_does_not_decode_as_exact_4_2_0_planes_is_refused_before_anything_runs()
    {
        var path = RepoPaths.MediaFile("grid_lbbc2a.mp4");
        var (timeline, w, h, rate) = await ExtractAsync(path);
        using var detector = new BlazeFaceDetector(Models.FaceDetector);
        using var landmarker = Models.OpenLandmarkModel(refined: false);

        await Assert.ThrowsAsync<NotSupportedException>(() => new OnePassTrackRenderer(detector, landmarker, []).RunAsync(
            path, timeline with { PlanesMatrix = null }, w, h, 0, timeline.FrameCount, null, new FaceTrackerOptions(), Mp4(Path.Combine(_scratch, "qc.mp4"), w, h, rate), _ => { }, null,
            CancellationToken.None));
        Assert.Empty(Directory.GetFiles(_scratch, "qc.mp4*"));
    }

    [Fact]
    public async Task A_clip_run_in_pieces_with_the_state_handed_from_each_to_the_next_gives_the_records_of_one_run_through_it()
    {
        var path = RepoPaths.MediaFile("obama_wh_closeup.mp4");
        var (timeline, w, h, rate) = await ExtractAsync(path);
        var n = timeline.FrameCount;
        using var detector = new BlazeFaceDetector(Models.FaceDetector);
        using var landmarker = Models.OpenLandmarkModel(refined: true);
        var renderer = new OnePassTrackRenderer(detector, landmarker, []);
        var options = new FaceTrackerOptions { RedetectInterval = 7 }; // the tracker's frame count matters across the cuts
        var (raw, drawn) = (new List<FrameRecord>(), new List<FrameRecord>());
        await renderer.RunAsync(path, timeline, w, h, 0, n, null, options, Mp4(Path.Combine(_scratch, "whole.mp4"), w, h, rate), raw.Add, drawn.Add, CancellationToken.None);

        var (pieceRaw, pieceDrawn) = (new List<FrameRecord>(), new List<FrameRecord>());
        TrackPassState? state = null;
        int[] cuts = [0, 40, 41, 90, n];
        for (var k = 0; k + 1 < cuts.Length; k++)
        {
            var summary = await renderer.RunAsync(
                path, timeline, w, h, cuts[k], cuts[k + 1] - cuts[k], state, options, Mp4(Path.Combine(_scratch, $"piece{k}.mp4"), w, h, rate), pieceRaw.Add, pieceDrawn.Add,
                CancellationToken.None);
            using var file = new MemoryStream();
            summary.End.Write(file); // handed on as a worker would: through the store
            file.Position = 0;
            state = TrackPassState.Read(file);
        }

        Assert.Equal(n, pieceRaw.Count);
        Assert.True(raw.All(f => f.Faces.Count == 1), "a face on every frame of the close-up");
        for (var i = 0; i < n; i++)
        {
            Assert.Equal(raw[i].Index, pieceRaw[i].Index);
            Assert.Equal(raw[i].Faces.Select(f => f.TrackId), pieceRaw[i].Faces.Select(f => f.TrackId));
            Assert.Equal(raw[i].Faces.SelectMany(f => f.Landmarks).SelectMany(p => p), pieceRaw[i].Faces.SelectMany(f => f.Landmarks).SelectMany(p => p));
            Assert.Equal(drawn[i].Faces.Select(f => f.Box), pieceDrawn[i].Faces.Select(f => f.Box));
            Assert.Equal(drawn[i].Faces.SelectMany(f => f.Landmarks).SelectMany(p => p), pieceDrawn[i].Faces.SelectMany(f => f.Landmarks).SelectMany(p => p));
        }

        // Without the state, the second piece starts afresh: its first frame's filtered face is the raw one, not the run's.
        var fresh = new List<FrameRecord>();
        await renderer.RunAsync(path, timeline, w, h, 40, 10, null, options, Mp4(Path.Combine(_scratch, "fresh.mp4"), w, h, rate), _ => { }, fresh.Add, CancellationToken.None);
        Assert.NotEqual(drawn[40].Faces[0].Landmarks.SelectMany(p => p), fresh[0].Faces[0].Landmarks.SelectMany(p => p));
    }

    [Fact]
    public void A_cut_or_foreign_state_file_is_refused_as_invalid_data()
    {
        var state = new TrackPassState(
            new FaceTrackerState([new FollowedFaceRoi(3, new RotatedRect(0.5f, 0.4f, 0.3f, 0.3f, 0.1f))], 4, 120),
            new Dictionary<int, OneEuroState[]> { [3] = [new(true, 1.5, 1.25, -0.5, 4.04), new(true, 2, 2, 0, 4.04), new(false, 0, 0, 0, 0)] });
        using var file = new MemoryStream();
        state.Write(file);
        var bytes = file.ToArray();

        var back = TrackPassState.Read(new MemoryStream(bytes));
        Assert.Equal(state.Tracker.Tracks, back.Tracker.Tracks);
        Assert.Equal((4, 120), (back.Tracker.NextId, back.Tracker.Frame));
        Assert.Equal(state.Filters[3], back.Filters[3]);
        Assert.Throws<InvalidDataException>(() => TrackPassState.Read(new MemoryStream(bytes[..^9])));
        Assert.Throws<InvalidDataException>(() => TrackPassState.Read(new MemoryStream("FPTK0001 not a state"u8.ToArray())));
    }

    private static Func<IAsyncEnumerable<ReadOnlyMemory<byte>>, CancellationToken, Task> Mp4(string path, int w, int h, Rational rate) =>
        (frames, ct) => H264ClipEncoder.EncodeAsync(frames, w, h, rate, null, path, new H264EncodeOptions { Input = QcOverlay.Pixels }, ct);

    private async Task<(FrameTimeline Timeline, int Width, int Height, Rational Rate)> ExtractAsync(string path)
    {
        var extraction = await FrameExtractor.ExtractAsync(path, Path.Combine(_scratch, "clip-" + Path.GetFileNameWithoutExtension(path)), new FrameExtractionOptions { ExtractAudio = false });
        return (FrameTimeline.Load(extraction.TimelinePath), extraction.Width, extraction.Height, extraction.FrameRate);
    }

    /// <summary>The source's frames as 4:2:0 planes, each drawn with its sequence record, one after another (no buffers in flight).</summary>
    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> DrawnOneByOne(
        string path, FrameTimeline timeline, int w, int h, IReadOnlyList<FrameRecord> sequence, int[] triangles, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var i = 0;
        await foreach (var frame in FrameRangeReader.ReadAllAsync(path, timeline, w, h, 0, timeline.FrameCount, pixels: QcOverlay.Pixels, cancellationToken: ct))
        {
            var planes = frame.ToArray();
            QcOverlay.Draw(planes, w, h, sequence[i++], triangles);
            yield return planes;
        }
    }

    /// <summary>Each decoded picture's MD5, in order (ffmpeg's framemd5).</summary>
    private static List<string> FrameMd5(string path) =>
        [.. Ffmpeg($"-i \"{path}\" -map 0:v:0 -f framemd5 -").Split('\n').Where(l => l.Length > 0 && l[0] != '#').Select(l => l.Split(',')[^1].Trim())];

    private static string Ffmpeg(string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo("ffmpeg", "-v error -nostdin -y " + arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"ffmpeg {arguments}: {error}");
        return output.Result;
    }
}
