using FacePipeline.Geometry;
using FacePipeline.Stages;
using FacePipeline.Storage;

namespace FacePipeline.MemoryProbe;

/// <summary>
/// The record path's retained heap, measured deterministically: a synthetic take's sequence built from its chunks
/// (Reconstruction), then tracking.json, tracking.fptk and the curves' scan from the sequence (Rendering), with the heap
/// read after a full collection at the same relative points of every take (every 1/18 of a pass over the chunks or the
/// sequence). What is measured is what the path keeps, not garbage or timing. Run in a process of its own
/// (<c>facepipe-memprobe record-heap &lt;frames&gt; &lt;dir&gt;</c>), so nothing else the process did is in the figure.
/// </summary>
public static class RecordPathHeap
{
    /// <summary>The peak retained heap in bytes and how many times it was read.</summary>
    public static async Task<(long Peak, int Samples)> MeasureAsync(CanonicalFaceMesh mesh, int frames, string scratch, TextWriter? trace = null)
    {
        var peak = 0L;
        var samples = 0;
        var seen = 0;
        var every = Math.Max(1, frames / 18);
        var phase = "chunks";
        void Sample()
        {
            if (++seen % every == 0)
            {
                var heap = GC.GetTotalMemory(forceFullCollection: true);
                trace?.WriteLine($"{phase} {seen} {heap}");
                peak = Math.Max(peak, heap);
                samples++;
            }
        }

        IEnumerable<IEnumerable<FrameRecord>> Chunks()
        {
            foreach (var chunk in Synthetic.Chunks(mesh, frames))
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
        var path = Path.Combine(scratch, $"sequence-{frames}.fptk");
        await using (var file = File.Create(path))
        {
            using var writer = new TrackingBinaryWriter(file, frames, leaveOpen: true);
            new FaceSequenceBuilder(new MetricLandmarks(mesh)).Build(Chunks, Synthetic.Width, Synthetic.Height, FaceSequenceOptions.Default, frame =>
            {
                phase = "sequence";
                Sample();
                writer.Write(frame);
            }, scratch);
            writer.Complete();
        }

        // The rendering service's track outputs from it: the curves' scan, tracking.json and tracking.fptk, frame by frame.
        using var sequence = FaceSequence.FromFile(path);
        phase = "scan";
        var scan = TrackCurvesSource.Scan(Sampled(sequence.Frames()), "clip.mp4", Synthetic.Width, Synthetic.Height, 25, 1, null);
        if (!scan.AnyIrises)
        {
            throw new InvalidOperationException("The synthetic take's irises were not found by the curves' scan.");
        }

        phase = "json";
        await TrackingJson.WriteAsync(
            Stream.Null, TrackingDocument.SchemaV2, "clip.mp4", new TrackedVideo(Synthetic.Width, Synthetic.Height, "25/1", frames, frames / 25.0), TrackingModels.Refined,
            Sampled(sequence.Frames()), CancellationToken.None);
        phase = "binary";
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
