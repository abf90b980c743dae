using System.Text;
using System.Text.Json;
using FacePipeline.Contracts;
using FacePipeline.Geometry;
using FacePipeline.Retarget;
using FacePipeline.TestSupport;

namespace FacePipeline.Stages.Tests;

/// <summary>
/// The records of a clip written and read a frame at a time (issue 16: memory flat in length): the same bytes and the
/// same values as the whole-clip documents and builds they replace.
/// </summary>
public sealed class StreamedRecordsTests
{
    private static readonly Lazy<CanonicalFaceMesh> Mesh = new(() => CanonicalFaceMesh.Load(new ModelPaths(RepoPaths.Models).FaceGeometry));

    /// <summary>Frames of records with every kind of face: with and without geometry and irises, none at all.</summary>
    private static List<FrameRecord> Records(int count, int seed = 3)
    {
        var random = new Random(seed);
        float F() => (float)Math.Round((random.NextDouble() * 600) - 20, 2);
        float[][] Points(int n) => [.. Enumerable.Range(0, n).Select(_ => new[] { F(), F(), F() })];
        return [.. Enumerable.Range(0, count).Select(f => new FrameRecord(f, Math.Round(f / 29.97, 6), f % 7 == 3 ? [] : [
            new FaceRecord(f / 10, (float)random.NextDouble(), new BoxRecord(F(), F(), F(), F()), Points(468),
                f % 5 == 0 ? null : new PoseRecord(random.NextDouble(), -random.NextDouble(), 0.5, [.. Enumerable.Range(0, 9).Select(k => k * 0.1)], [1, 2, -50.1234], 1.05),
                f % 5 == 0 ? null : Points(468),
                f % 3 == 0 ? null : Points(FaceRecord.IrisPointCount)),
            .. f % 4 == 0 ? new[] { new FaceRecord(99, 0.5f, new BoxRecord(1, 2, 3, 4), Points(468), null, null) } : [],
        ]))];
    }

    private static byte[] Json<T>(T value, JsonSerializerOptions options) => JsonSerializer.SerializeToUtf8Bytes(value, options);

    [Fact]
    [Trait("Lane", "Fast")]
    public async Task Tracking_json_written_by_streaming_equals_the_one_piece_document()
    {
        var frames = Records(60); // about 3 MB: written in many pieces
        var document = new TrackingDocument(TrackingDocument.SchemaV2, "clip \"1\".mp4", new TrackedVideo(640, 480, "30000/1001", 60, 2.002), TrackingModels.Refined, frames);
        using var onePiece = new MemoryStream();
        await JsonSerializer.SerializeAsync(onePiece, document, TrackingJson.Options);

        using var streamed = new MemoryStream();
        await TrackingJson.WriteAsync(streamed, document.Schema, document.Source, document.Video, document.Models, frames.Select(f => f), CancellationToken.None);

        Assert.True(streamed.Length > 4 * TrackingJson.FlushBytes);
        Assert.Equal(Encoding.UTF8.GetString(onePiece.ToArray()), Encoding.UTF8.GetString(streamed.ToArray()));
        streamed.Position = 0;
        var read = await TrackingJson.ReadAsync(streamed, CancellationToken.None); // the readers still take it
        Assert.Equal(Json(frames, TrackingJson.Options), Json(read.Frames, TrackingJson.Options));
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void Tracking_binary_written_frame_by_frame_is_the_whole_file_and_is_read_back_a_frame_or_a_range_at_a_time()
    {
        var frames = Records(40);
        using var whole = new MemoryStream();
        TrackingBinary.Write(whole, frames);

        using var streamed = new MemoryStream();
        using (var writer = new TrackingBinaryWriter(streamed, frames.Count, leaveOpen: true))
        {
            foreach (var frame in frames)
            {
                writer.Write(frame);
            }

            writer.Complete();
        }

        Assert.Equal(whole.ToArray(), streamed.ToArray());
        streamed.Position = 0;
        using (var reader = new TrackingBinaryReader(streamed, leaveOpen: true))
        {
            Assert.Equal(40, reader.FrameCount);
            Assert.Equal(Json(frames, TrackingJson.Options), Json(reader.ReadAll().ToList(), TrackingJson.Options));
            Assert.Null(reader.ReadNext());
        }

        streamed.Position = 0;
        Assert.Equal(Json(frames.GetRange(17, 9), TrackingJson.Options), Json(TrackingBinary.ReadRange(streamed, 17, 9), TrackingJson.Options));
        using var short_ = new TrackingBinaryWriter(new MemoryStream(), 3);
        short_.Write(frames[0]);
        Assert.Throws<InvalidOperationException>(short_.Complete);
    }

    [Fact]
    public void The_sequence_built_from_chunks_read_one_at_a_time_equals_the_whole_clip_build()
    {
        var geometry = new MetricLandmarks(Mesh.Value);
        List<IReadOnlyList<FrameRecord>> chunks = [.. SyntheticClip.Chunks(Mesh.Value, 1300, chunkSize: 40, secondFace: true)];
        foreach (var options in new[] { FaceSequenceOptions.Default, new FaceSequenceOptions(NeutralFrame: 333) })
        {
            var expected = new ReferenceSequenceBuilder(geometry).Build(chunks, SyntheticClip.Width, SyntheticClip.Height, options);

            var streamed = new List<FrameRecord>();
            var passes = 0;
            var summary = new FaceSequenceBuilder(geometry).Build(
                () =>
                {
                    passes++;
                    return chunks;
                },
                SyntheticClip.Width,
                SyntheticClip.Height,
                options,
                streamed.Add);

            Assert.Equal(2, passes);
            Assert.Equal((1300, expected.Count(f => f.Faces.Count > 0), true), (summary.FrameCount, summary.FramesWithFaces, summary.Irises));
            Assert.True(expected.Select(f => f.Faces.Select(x => x.TrackId).Distinct().Count()).Max() > 1);
            Assert.Equal(Encoding.UTF8.GetString(Json(expected, TrackingJson.Options)), Encoding.UTF8.GetString(Json(streamed, TrackingJson.Options)));
        }
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void The_sequence_built_from_stored_chunks_read_a_frame_at_a_time_equals_the_one_built_from_whole_chunks()
    {
        var geometry = new MetricLandmarks(Mesh.Value);
        List<IReadOnlyList<FrameRecord>> chunks = [.. SyntheticClip.Chunks(Mesh.Value, 700, chunkSize: 64, secondFace: true)];
        var root = RepoPaths.NewScratchFolder("stream-chunks");
        try
        {
            var store = new Storage.MediaStore(root);
            var stored = chunks.Select((c, i) => new TrackChunk(new FrameChunk(i, i * 64, c.Count), $"faces/chunk-{i:D5}.fptk")).ToList();
            foreach (var (chunk, records) in stored.Zip(chunks))
            {
                store.Write(chunk.FacesKey, stream => TrackingBinary.Write(stream, records));
            }

            var whole = new List<FrameRecord>();
            var streamed = new List<FrameRecord>();
            var builder = new FaceSequenceBuilder(geometry);
            var wholeSummary = builder.Build(() => ClipRecords.ReadChunks(store, stored, 700, CancellationToken.None), SyntheticClip.Width, SyntheticClip.Height, FaceSequenceOptions.Default, whole.Add);
            var streamedSummary = builder.Build(() => ClipRecords.StreamChunks(store, stored, 700, CancellationToken.None), SyntheticClip.Width, SyntheticClip.Height, FaceSequenceOptions.Default, streamed.Add);

            Assert.Equal(wholeSummary, streamedSummary);
            Assert.Equal(700, streamed.Count);
            Assert.True(streamed.Select(f => f.Faces.Select(x => x.TrackId).Distinct().Count()).Max() > 1); // tracks linked across chunks
            Assert.Equal(Encoding.UTF8.GetString(Json(whole, TrackingJson.Options)), Encoding.UTF8.GetString(Json(streamed, TrackingJson.Options)));

            // A chunk missing from the list, or one given twice, is refused where it is reached, never skipped.
            var gap = Assert.Throws<InvalidDataException>(() => ClipRecords.StreamChunks(store, [stored[0], stored[2]], 700, CancellationToken.None).SelectMany(c => c).Count());
            Assert.Contains("where frame 64 was expected", gap.Message, StringComparison.Ordinal);
            Assert.Throws<InvalidDataException>(() => ClipRecords.StreamChunks(store, stored.Take(3).ToList(), 700, CancellationToken.None).SelectMany(c => c).Count());
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void The_performers_faces_read_from_the_sequence_file_are_the_faces_the_whole_clip_gives_in_one_pass_when_read_in_order()
    {
        var geometry = new MetricLandmarks(Mesh.Value);
        var frames = new List<FrameRecord>();
        new FaceSequenceBuilder(geometry).Build(
            () => SyntheticClip.Chunks(Mesh.Value, 700, chunkSize: 64, secondFace: true), SyntheticClip.Width, SyntheticClip.Height, FaceSequenceOptions.Default, frames.Add);
        var expected = ClipRecords.ToRetargetClip(frames, geometry, SyntheticClip.Width, SyntheticClip.Height, new FrameRate(25, 1), null).Frames;
        var path = Path.Combine(RepoPaths.NewScratchFolder("sequence-faces"), "sequence.fptk");
        try
        {
            using (var file = File.Create(path))
            {
                TrackingBinary.Write(file, frames);
            }

            using var faces = SequenceClipFaces.Open(FaceSequence.FromFile(path), geometry, SyntheticClip.Width, SyntheticClip.Height);
            Assert.True(frames.Count(f => f.Faces.Count > 1) > 100); // the followed face is a choice on these frames
            Assert.Equal(expected.Count, faces.Count);
            Assert.Equal(expected.Count(f => f is not null), faces.FaceCount);
            Assert.Equal(Enumerable.Range(0, expected.Count).Select(f => expected[f] is not null), Enumerable.Range(0, faces.Count).Select(faces.HasFace));
            Assert.Equal(0, faces.Passes); // which frames have a face is known without building any

            void AssertSame(ClipFace? want, ClipFace? got, int frame)
            {
                Assert.True((want is null) == (got is null), $"frame {frame}");
                if (want is not null)
                {
                    Assert.Equal(want.Screen, got!.Screen);
                    Assert.Equal(want.Pose, got.Pose);
                    Assert.Equal(want.PoseFree, got.PoseFree);
                    Assert.Equal(want.Irises, got.Irises);
                }
            }

            for (var f = 0; f < expected.Count; f += f % 3 == 0 ? 1 : 2) // in order, some frames skipped, some asked twice
            {
                AssertSame(expected[f], faces[f], f);
                AssertSame(expected[f], faces[f], f);
            }

            Assert.Equal(1, faces.Passes);
            var all = faces.ToList(); // an enumeration is a pass of its own
            Assert.Equal(expected.Count, all.Count);
            for (var f = 0; f < expected.Count; f++)
            {
                AssertSame(expected[f], all[f], f);
            }

            AssertSame(expected[401], faces[401], 401); // an earlier frame than the last is read again from the start
            AssertSame(expected[640], faces[640], 640);
            Assert.Equal(2, faces.Passes);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [Fact]
    public async Task Transfer_json_written_by_streaming_equals_the_one_piece_document()
    {
        var (command, source, target) = TransferOf(1100, 700, lostFrom: 300);
        var stage = new ExpressionTransferStage(null!, Mesh.Value);
        var held = stage.Plan(source, target, command.Settings);
        using var onePiece = new MemoryStream();
        await ExpressionTransferStage.Document(command, held).WriteAsync(onePiece, CancellationToken.None);

        using var sourceFaces = SpilledClipFaces.Write(source.Frames);
        using var targetFaces = SpilledClipFaces.Write(target.Frames);
        var lazy = stage.PlanLazily(source with { Frames = sourceFaces }, target with { Frames = targetFaces }, command.Settings);
        using var streamed = new MemoryStream();
        var heldFrames = await ExpressionTransferStage.WriteDocumentAsync(streamed, command, lazy, CancellationToken.None);

        Assert.Equal(held.Frames.Count(f => f.Source == SourceState.Held), heldFrames);
        Assert.True(heldFrames > 0);
        Assert.Equal(onePiece.Length, streamed.Length);
        Assert.True(onePiece.ToArray().AsSpan().SequenceEqual(streamed.ToArray()), "the streamed transfer.json differs from the one-piece document");
    }

    [Fact]
    public async Task The_transfer_index_locates_every_frame_a_walk_of_the_document_finds_and_summarises_each_as_its_frame_does()
    {
        var folder = RepoPaths.NewScratchFolder("transfer-index");
        try
        {
            var (path, indexPath) = await WriteTransferWithIndexAsync(folder);

            using var walked = RetargetDocumentFile.Open(path);
            using var indexed = RetargetDocumentFile.Open(path, indexPath);

            Assert.False(walked.Indexed);
            Assert.True(indexed.Indexed);
            var options = RetargetDocument.JsonOptions;
            Assert.Equal(walked.Document.Frames.Count, indexed.Document.Frames.Count);
            Assert.Equal(walked.Document.TargetFrames.Count, indexed.Document.TargetFrames.Count);
            Assert.Equal(Json(walked.Document, options), Json(indexed.Document, options)); // every property and every frame
            Assert.Equal(Json(walked.Document.Frames[333], options), Json(indexed.Document.Frames[333], options)); // any frame, in any order
            Assert.Equal(walked.Document.FrameSummaries, indexed.Document.FrameSummaries); // the walk's made from the frames, the index's from the transfer
            Assert.Equal(walked.Document.TargetSummaries, indexed.Document.TargetSummaries);
            Assert.Equal(indexed.Document.Frames.Select(OutputFrameSummary.Of), indexed.Document.FrameSummaries);
            Assert.Contains(indexed.Document.FrameSummaries, f => f.State == RetargetQc.FrameState.Driven);
            Assert.Contains(indexed.Document.FrameSummaries, f => f.State == RetargetQc.FrameState.PerformerLost);
            Assert.Contains(indexed.Document.TargetSummaries, t => t.Opening is not null);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_transfer_index_made_for_another_document_is_passed_over_and_one_cut_short_is_refused()
    {
        var folder = RepoPaths.NewScratchFolder("transfer-index-stale");
        try
        {
            var (path, indexPath) = await WriteTransferWithIndexAsync(folder);
            var original = await File.ReadAllBytesAsync(path);
            byte[] expected;
            using (var indexed = RetargetDocumentFile.Open(path, indexPath))
            {
                Assert.True(indexed.Indexed);
                expected = Json(indexed.Document, RetargetDocument.JsonOptions);
            }

            await File.WriteAllBytesAsync(path, [.. original, (byte)'\n']); // the document written again, one byte longer
            using (var stale = RetargetDocumentFile.Open(path, indexPath))
            {
                Assert.False(stale.Indexed); // located by the walk instead
                Assert.Equal(expected, Json(stale.Document, RetargetDocument.JsonOptions));
            }

            await File.WriteAllBytesAsync(path, original);
            var index = await File.ReadAllBytesAsync(indexPath);
            await File.WriteAllBytesAsync(indexPath, index[..(index.Length - 7)]);
            var refused = Assert.Throws<InvalidDataException>(() => RetargetDocumentFile.Open(path, indexPath));
            Assert.Contains("ends early", refused.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// A synthetic performer of <paramref name="sourceFrames"/> frames (lost for long, 60 frames from <paramref name="lostFrom"/>:
    /// the neutral held) onto a synthetic actor of <paramref name="targetFrames"/>, at 25 fps, and the command transferring it.
    /// </summary>
    private static (TransferExpressions Command, RetargetClip Source, RetargetClip Target) TransferOf(int sourceFrames, int targetFrames, int lostFrom)
    {
        var geometry = new MetricLandmarks(Mesh.Value);
        RetargetClip Clip(int frames, int chunk) => ClipRecords.ToRetargetClip(
            new FaceSequenceBuilder(geometry).Build([.. SyntheticClip.Chunks(Mesh.Value, frames, chunk)], SyntheticClip.Width, SyntheticClip.Height, FaceSequenceOptions.Default),
            geometry, SyntheticClip.Width, SyntheticClip.Height, new FrameRate(25), null);
        var (source, target) = (Clip(sourceFrames, 64), Clip(targetFrames, 50));
        source = source with { Frames = [.. source.Frames.Select((f, k) => k >= lostFrom && k < lostFrom + 60 ? null : f)] };
        var video = new VideoInfo(SyntheticClip.Width, SyntheticClip.Height, 25, 1, sourceFrames, sourceFrames / 25.0, false);
        var command = new TransferExpressions(
            Guid.NewGuid(), new ClipTrack("source", "a.mp4", "a.mp4", video, [], "s", null),
            new ClipTrack("target", "b.mp4", "b.mp4", video with { FrameCount = targetFrames, DurationSeconds = targetFrames / 25.0 }, [], "t", null),
            RetargetSettings.Default, "transfer.json");
        return (command, source, target);
    }

    /// <summary>A transfer of 420 performer frames (60 of them lost for long) onto 150 actor frames, written as the transfer stage writes it: the document and its index.</summary>
    private static async Task<(string Path, string IndexPath)> WriteTransferWithIndexAsync(string folder)
    {
        var (command, source, target) = TransferOf(420, 150, lostFrom: 200);
        var stage = new ExpressionTransferStage(null!, Mesh.Value);
        using var sourceFaces = SpilledClipFaces.Write(source.Frames);
        using var targetFaces = SpilledClipFaces.Write(target.Frames);
        var plan = stage.PlanLazily(source with { Frames = sourceFaces }, target with { Frames = targetFaces }, command.Settings);
        var (path, indexPath) = (Path.Combine(folder, "transfer.json"), Path.Combine(folder, "transfer.index"));
        var index = new TransferIndex.Builder();
        await using (var file = File.Create(path))
        {
            await ExpressionTransferStage.WriteDocumentAsync(file, command, plan, CancellationToken.None, index);
        }

        await using (var file = File.Create(indexPath))
        {
            index.WriteTo(file);
        }

        return (path, indexPath);
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public async Task The_transfer_document_read_from_its_file_gives_the_frames_of_the_whole_document()
    {
        var random = new Random(9);
        float[][] Points(int n, int dims) => [.. Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, dims).Select(_ => (float)Math.Round(random.NextDouble() * 100, 3)).ToArray())];
        var video = new TrackedVideo(640, 480, "25/1", 90, 3.6);
        var document = new RetargetDocument(
            RetargetDocument.SchemaV1, new RetargetInput("a.mp4", video), new RetargetInput("b.mp4", video), video, RetargetSettings.Default, Points(468, 3), Points(468, 3),
            [.. Enumerable.Range(0, 70).Select(t => new RetargetTargetFrame(t, t % 9 == 0 ? "untracked" : "tracked", t % 9 == 0 ? null : Points(468, 2), t % 9 == 0 ? null : Points(468, 3), t % 2 == 0 ? Points(10, 2) : null))],
            [.. Enumerable.Range(0, 90).Select(i => new RetargetOutputFrame(i, i / 25.0, i * 0.97, i % 70, "tracked", i % 9 == 0 ? "untracked" : "tracked", null, Points(468, 3), Points(468, 2), [0.1f, -0.2f]))],
            3,
            4,
            [4, 17, 30],
            [[0.1f, 0.2f], [0.3f, 0.4f]]);
        var path = Path.Combine(RepoPaths.NewScratchFolder("transfer-file"), "transfer.json");
        await using (var file = File.Create(path))
        {
            await document.WriteAsync(file, CancellationToken.None);
        }

        using var read = RetargetDocumentFile.Open(path);

        var options = RetargetDocument.JsonOptions;
        Assert.Equal(Json(document, options), Json(read.Document, options));
        Assert.Equal(Json(document.Frames[77], options), Json(read.Document.Frames[77], options)); // any frame, in any order
        Assert.Equal(Json(document.TargetFrames[5], options), Json(read.Document.TargetFrames[5], options));
        Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
    }
}
