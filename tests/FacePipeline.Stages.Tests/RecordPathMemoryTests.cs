using FacePipeline.Geometry;
using FacePipeline.TestSupport;

namespace FacePipeline.Stages.Tests;

/// <summary>Runs alone: the heap it measures is the process's.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasuredCollection
{
    public const string Name = "memory measured";
}

/// <summary>
/// Issue 16, memory flat in length: the record path of a clip (its sequence built from the chunks, then tracking.json and
/// tracking.fptk written from the sequence) holds no more heap for a 36,000-frame take than for a 1,000-frame one, within
/// 20 %. The heap is measured after a full collection at the same relative points of both takes (every 1/18 of a pass
/// over the chunks or the sequence: every 2,000 frames of the long take, every 55 of the short one), so what is measured
/// is what the path keeps, not garbage or timing, and the short take's peak is not missed by sampling it too sparsely:
/// the figure is the same on a loaded machine.
/// </summary>
[Collection(MemoryMeasuredCollection.Name)]
public sealed class RecordPathMemoryTests : IDisposable
{
    private static readonly CanonicalFaceMesh Mesh = CanonicalFaceMesh.Load(new ModelPaths(RepoPaths.Models).FaceGeometry);
    private readonly string _scratch = RepoPaths.NewScratchFolder("record-memory");

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    [Fact]
    public async Task The_record_paths_retained_heap_for_36000_frames_stays_within_1_2x_of_1000_frames()
    {
        var shortTake = await PeakRetainedHeapAsync(1000);
        var longTake = await PeakRetainedHeapAsync(36_000);

        Assert.True(
            longTake.Peak <= 1.2 * shortTake.Peak,
            $"peak retained heap {longTake.Peak / 1048576.0:F1} MB for 36,000 frames, {shortTake.Peak / 1048576.0:F1} MB for 1,000 ({longTake.Samples} and {shortTake.Samples} samples)");
    }

    private async Task<(long Peak, int Samples)> PeakRetainedHeapAsync(int frames)
    {
        var peak = 0L;
        var samples = 0;
        var seen = 0;
        var every = Math.Max(1, frames / 18);
        void Sample()
        {
            if (++seen % every == 0)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true));
                samples++;
            }
        }

        IEnumerable<IReadOnlyList<FrameRecord>> Chunks()
        {
            foreach (var chunk in SyntheticClip.Chunks(Mesh, frames))
            {
                foreach (var _ in chunk)
                {
                    Sample();
                }

                yield return chunk;
            }
        }

        IEnumerable<FrameRecord> Sampled(IEnumerable<FrameRecord> records)
        {
            foreach (var record in records)
            {
                Sample();
                yield return record;
            }
        }

        // The reconstruction service's sequence build, written frame by frame.
        var path = Path.Combine(_scratch, $"sequence-{frames}.fptk");
        await using (var file = File.Create(path))
        {
            using var writer = new TrackingBinaryWriter(file, frames, leaveOpen: true);
            new FaceSequenceBuilder(new MetricLandmarks(Mesh)).Build(Chunks, SyntheticClip.Width, SyntheticClip.Height, FaceSequenceOptions.Default, frame =>
            {
                Sample();
                writer.Write(frame);
            }, _scratch);
            writer.Complete();
        }

        // The rendering service's track outputs from it: tracking.json and tracking.fptk, frame by frame.
        using var sequence = FaceSequence.FromFile(path);
        var scan = TrackCurvesSource.Scan(Sampled(sequence.Frames()), "clip.mp4", SyntheticClip.Width, SyntheticClip.Height, 25, 1, null);
        Assert.True(scan.AnyIrises);
        await TrackingJson.WriteAsync(
            Stream.Null, TrackingDocument.SchemaV2, "clip.mp4", new TrackedVideo(SyntheticClip.Width, SyntheticClip.Height, "25/1", frames, frames / 25.0), TrackingModels.Refined,
            Sampled(sequence.Frames()), CancellationToken.None);
        using (var binary = new TrackingBinaryWriter(Stream.Null, frames))
        {
            foreach (var frame in Sampled(sequence.Frames()))
            {
                binary.Write(frame);
            }

            binary.Complete();
        }

        File.Delete(path);
        return (peak, samples);
    }
}
