using FacePipeline.Contracts;
using FacePipeline.Face;
using FacePipeline.Media;
using FacePipeline.Reconstruction;
using FacePipeline.Storage;
using FacePipeline.TestSupport;

namespace FacePipeline.Stages.Tests;

/// <summary>
/// A Reconstruction process tracking several chunks at once (<see cref="FaceReconstructionSlots"/>): the records are those
/// of one chunk after another, a failed chunk frees its slot, and the settings give one slot per core by default.
/// </summary>
public sealed class FaceReconstructionSlotsTests : IDisposable
{
    private static readonly ModelPaths Models = new(RepoPaths.Models);
    private static readonly InferenceSettings OneThread = new(IntraOpNumThreads: 1);
    private readonly MediaStore _store = new(RepoPaths.NewScratchFolder("reconstruction-slots"));
    private readonly Guid _jobId = Guid.NewGuid();

    [Fact]
    public async Task Chunks_tracked_at_once_in_two_slots_record_byte_for_byte_what_one_slot_records_one_chunk_after_another()
    {
        var (extracted, inputKey) = await ExtractAsync("grid_lbbc2a.mp4", chunkSize: 16);
        Assert.True(extracted.Chunks.Count >= 4, $"only {extracted.Chunks.Count} chunks");

        using var one = FaceReconstructionSlots.Open(_store, Models, refinedLandmarks: true, count: 1, OneThread);
        foreach (var chunk in extracted.Chunks)
        {
            await one.RunAsync(Command(extracted, inputKey, chunk, "one"), CancellationToken.None);
        }

        using var two = FaceReconstructionSlots.Open(_store, Models, refinedLandmarks: true, count: 2, OneThread);
        Assert.Equal(2, two.Count);
        var done = await Task.WhenAll(extracted.Chunks.Select(chunk => Task.Run(() => two.RunAsync(Command(extracted, inputKey, chunk, "two"), CancellationToken.None))));

        Assert.Equal(extracted.Chunks.Select(c => c.FrameCount), done.Select(d => d.FrameCount));
        Assert.True(done.Sum(d => d.FramesWithFaces) > extracted.Video.FrameCount / 2, "the speaker's face was lost in most frames");
        foreach (var chunk in extracted.Chunks)
        {
            var alone = await File.ReadAllBytesAsync(_store.PathFor(FacesKey(chunk, "one")));
            var together = await File.ReadAllBytesAsync(_store.PathFor(FacesKey(chunk, "two")));
            Assert.True(alone.AsSpan().SequenceEqual(together), $"chunk {chunk.Index}: the records differ when chunks are tracked at once");
        }
    }

    [Fact]
    public async Task A_chunk_that_fails_gives_its_slot_back_for_the_next()
    {
        var (extracted, inputKey) = await ExtractAsync("grid_lbbc2a.mp4", chunkSize: 16);
        using var slots = FaceReconstructionSlots.Open(_store, Models, refinedLandmarks: true, count: 1, OneThread);
        var broken = Command(extracted, inputKey, extracted.Chunks[0], "broken") with { TimelineKey = "no/such/timeline.json" };
        await Assert.ThrowsAnyAsync<IOException>(() => slots.RunAsync(broken, CancellationToken.None));

        // With the slot lost, this would wait for ever: the timeout turns that into a failure.
        var done = await slots.RunAsync(Command(extracted, inputKey, extracted.Chunks[0], "after"), CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(extracted.Chunks[0].FrameCount, done.FrameCount);
    }

    [Fact]
    public async Task A_chunk_waiting_for_a_slot_can_be_cancelled()
    {
        var (extracted, inputKey) = await ExtractAsync("grid_lbbc2a.mp4", chunkSize: 64);
        using var slots = FaceReconstructionSlots.Open(_store, Models, refinedLandmarks: true, count: 1, OneThread);
        using var cancel = new CancellationTokenSource();
        var running = slots.RunAsync(Command(extracted, inputKey, extracted.Chunks[0], "running"), CancellationToken.None);
        var waiting = slots.RunAsync(Command(extracted, inputKey, extracted.Chunks[0], "waiting"), cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        await running;
        Assert.False(_store.Exists(FacesKey(extracted.Chunks[0], "waiting")));
    }

    [Theory]
    [InlineData(0, 0, 1, 1, 0)] // one core, one slot: ONNX Runtime's own default
    [InlineData(0, 0, 2, 2, 1)]
    [InlineData(0, 0, 8, 4, 2)]
    [InlineData(0, 0, 32, 4, 8)]
    [InlineData(3, 0, 2, 3, 1)]
    [InlineData(1, 0, 2, 1, 0)] // one slot asked for: ONNX Runtime's own default, as before slots
    [InlineData(2, 4, 2, 2, 4)]
    [InlineData(1, 3, 2, 1, 3)]
    public void The_settings_give_one_slot_per_core_up_to_four_and_share_the_cores_among_the_slots(int concurrentChunks, int inferenceThreads, int cores, int slots, int threads)
    {
        var options = new ReconstructionOptions { ConcurrentChunks = concurrentChunks, InferenceThreads = inferenceThreads };
        Assert.Equal(slots, options.Slots(cores));
        Assert.Equal(threads, options.ThreadsPerSession(cores));
    }

    public void Dispose() => Directory.Delete(_store.Root, recursive: true);

    private async Task<(FramesExtracted Extracted, string InputKey)> ExtractAsync(string clip, int chunkSize)
    {
        var inputKey = MediaKeys.Input(_jobId, ClipNames.Source, ".mp4");
        if (!_store.Exists(inputKey))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_store.PathFor(inputKey))!);
            File.Copy(RepoPaths.MediaFile(clip), _store.PathFor(inputKey));
        }

        var extracted = await new FrameExtractionStage(_store, MediaLimits.Default).RunAsync(new ExtractFrames(_jobId, ClipNames.Source, inputKey, chunkSize), CancellationToken.None);
        return (extracted, inputKey);
    }

    private string FacesKey(Contracts.FrameChunk chunk, string run) => MediaKeys.Faces(_jobId, run, chunk.Index);

    private ReconstructFaces Command(FramesExtracted extracted, string inputKey, Contracts.FrameChunk chunk, string run) =>
        new(_jobId, run, inputKey, chunk, extracted.Video.Width, extracted.Video.Height, extracted.TimelineKey, FacesKey(chunk, run), MaxFaces: 1);
}
