using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using FacePipeline.Contracts;
using FacePipeline.Face;
using FacePipeline.Media;
using FacePipeline.Stages;
using FacePipeline.Storage;

namespace FacePipeline.MemoryProbe;

/// <summary>
/// Reconstruction's chunk work (<see cref="FaceReconstructionStage"/>, the refined landmark model) on a real clip, chunk after
/// chunk in one process as a worker takes them from its queue: where a worker's memory goes as the chunks pass. Prints, after
/// each chunk, the process's RSS and peak, the GC's heap and committed bytes, and RSS minus committed (native: ONNX Runtime,
/// the runtime itself, code). Run it under the GC settings to compare (the services run the workstation GC, concurrent:
/// services/Directory.Build.props, as this tool). <c>ChunkTrackingMemoryTests</c> reads its GC heap column.
/// </summary>
public static class ChunkProbe
{
    /// <summary>Frames per chunk unless asked otherwise: the pipeline's default chunk size.</summary>
    public const int DefaultChunkFrames = 512;

    public static async Task<int> RunAsync(ModelPaths models, string clip, int chunkCount, string root, int chunkFrames = DefaultChunkFrames)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkFrames, 1);
        var store = new MediaStore(root);
        var extracted = await FrameExtractor.ExtractAsync(clip, store.PathFor("clip"), new FrameExtractionOptions { ChunkSize = chunkFrames, ExtractAudio = false });
        var frames = (int)extracted.FrameCount;
        File.CreateSymbolicLink(store.PathFor("clip/" + Path.GetFileName(clip)), Path.GetFullPath(clip));
        using var detector = new BlazeFaceDetector(models.FaceDetector);
        using var landmarker = models.OpenLandmarkModel(refined: true);
        var stage = new FaceReconstructionStage(store, detector, landmarker);
        Console.WriteLine($"GC: server {GCSettings.IsServerGC}, latency {GCSettings.LatencyMode}, conserve {AppContext.GetData("GCConserveMemory") ?? Environment.GetEnvironmentVariable("DOTNET_GCConserveMemory") ?? "0"}; clip {frames} frames");
        Console.WriteLine("| chunk | s | RSS MiB | peak RSS MiB | GC heap MiB | GC committed MiB | RSS − committed MiB |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
        var chunksInClip = (frames + chunkFrames - 1) / chunkFrames;
        for (var c = 0; c < chunkCount; c++)
        {
            var index = c % chunksInClip;
            var first = index * chunkFrames;
            var command = new ReconstructFaces(
                Guid.Empty, "source", "clip/" + Path.GetFileName(clip), new FacePipeline.Contracts.FrameChunk(index, first, Math.Min(chunkFrames, frames - first)),
                extracted.Width, extracted.Height, "clip/" + extracted.TimelineFileName, $"faces/{c:D5}.fptk", 1);
            var clock = Stopwatch.StartNew();
            await stage.RunAsync(command, CancellationToken.None);
            clock.Stop();
            if (c == 0)
            {
                // One full collection after the first chunk, once the worker's own buffers exist: the heap figures from here
                // on start from what it keeps, and any growth after is garbage the GC let pile up (nothing forces it again).
                GC.Collect();
                GC.WaitForPendingFinalizers();
                GC.Collect();
            }

            var info = GC.GetGCMemoryInfo();
            var rss = Probe.ResidentBytes();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {c} | {clock.Elapsed.TotalSeconds:F1} | {Probe.Mb(rss)} | {Probe.Mb(Probe.PeakResidentBytes())} | {Probe.Mb(info.HeapSizeBytes)} | {Probe.Mb(info.TotalCommittedBytes)} | {Probe.Mb(rss - info.TotalCommittedBytes)} |"));
        }

        return 0;
    }
}
