using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using FacePipeline.Contracts;
using FacePipeline.Face;
using FacePipeline.Geometry;
using FacePipeline.Media;
using FacePipeline.Stages;
using FacePipeline.Storage;

namespace FacePipeline.MemoryProbe;

/// <summary>
/// A track job's single-decode pass on a real clip in one process, as one Reconstruction worker runs it: extraction with
/// the pass's chunk size, every piece (<see cref="FaceReconstructionStage"/> with a <see cref="TrackPass"/>: records, QC
/// segment, state) one after another, then the clip's sequence (<see cref="FaceSequenceStage"/>, continuous tracks). Prints,
/// after each piece and after the build, RSS, the peak RSS of that step alone (VmHWM reset before it through
/// /proc/self/clear_refs), the GC's heap and committed bytes, and RSS minus committed (native). MEMPROBE_REUSE=1 keeps the
/// pieces a run before left in the folder (delete the last piece's records to run one piece, then the build).
/// </summary>
public static class PassProbe
{
    public static async Task<int> RunAsync(ModelPaths models, string clip, string root, int pieceFrames)
    {
        var store = new MediaStore(root);
        var reuse = Environment.GetEnvironmentVariable("MEMPROBE_REUSE") == "1"; // keep the pieces a run before left in root

        var jobId = Guid.Empty;
        var inputKey = MediaKeys.Input(jobId, ClipNames.Source, Path.GetExtension(clip));
        Directory.CreateDirectory(Path.GetDirectoryName(store.PathFor(inputKey))!);
        if (!File.Exists(store.PathFor(inputKey)))
        {
            File.CreateSymbolicLink(store.PathFor(inputKey), Path.GetFullPath(clip));
        }

        var extracted = await new FrameExtractionStage(store, MediaLimits.Default).RunAsync(
            new ExtractFrames(jobId, ClipNames.Source, inputKey, ChunkSize: pieceFrames, PassChunkSize: pieceFrames), CancellationToken.None);
        if (!extracted.ExactPlanes)
        {
            Console.Error.WriteLine($"{clip} does not decode as exact 4:2:0 planes: a track job would take the staged path.");
            return 2;
        }

        var video = extracted.Video;
        var mesh = CanonicalFaceMesh.Load(CanonicalFaceMesh.DefaultPath(models.Root));
        using var detector = new BlazeFaceDetector(models.FaceDetector);
        using var landmarker = models.OpenLandmarkModel(refined: true);
        var reconstruction = new FaceReconstructionStage(store, detector, landmarker, mesh.TriangleIndices());
        Console.WriteLine($"GC: server {GCSettings.IsServerGC}, latency {GCSettings.LatencyMode}; clip {video.Width}x{video.Height}, {video.FrameCount} frames, {extracted.Chunks.Count} pieces");
        var gc = GC.GetConfigurationVariables();
        Console.WriteLine("GC settings: " + string.Join(", ", new[] { "GCgen0size", "GCGen0MaxBudget", "GCConserveMemory" }.Where(gc.ContainsKey).Select(k => $"{k} {gc[k]}")));
        Console.WriteLine("| step | s | RSS MiB | step's peak RSS MiB | GC heap MiB | GC committed MiB | RSS − committed MiB |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        var chunks = new List<TrackChunk>();
        foreach (var chunk in extracted.Chunks)
        {
            var command = new ReconstructFaces(
                jobId, ClipNames.Source, inputKey, chunk, video.Width, video.Height, extracted.TimelineKey, MediaKeys.Faces(jobId, ClipNames.Source, chunk.Index), MaxFaces: 1,
                Pass: new TrackPass(
                    chunk.Index == 0 ? null : MediaKeys.TrackPassState(jobId, ClipNames.Source, chunk.Index - 1),
                    MediaKeys.TrackPassState(jobId, ClipNames.Source, chunk.Index),
                    MediaKeys.Segment(jobId, "qc", chunk.Index, ".nut"),
                    video));
            if (!(reuse && store.Exists(command.FacesKey)))
            {
                await Step($"piece {chunk.Index}", () => reconstruction.RunAsync(command, CancellationToken.None));
            }

            chunks.Add(new TrackChunk(chunk, command.FacesKey));
        }

        var track = new ClipTrack(ClipNames.Source, Path.GetFileName(clip), inputKey, video, chunks, extracted.TimelineKey, extracted.AudioKey);
        var build = new BuildFaceSequence(jobId, track, null, MediaKeys.FaceSequence(jobId, ClipNames.Source), ContinuousTracks: true);
        await Step("sequence", () => new FaceSequenceStage(store, mesh).RunAsync(build, CancellationToken.None));
        return 0;
    }

    /// <summary>
    /// Runs one step and prints its row: RSS after it, its own peak RSS (VmHWM reset before it), the GC's heap and committed
    /// bytes after it; on stderr its sampled peaks of both, and with MEMPROBE_TRACE=1 the sequence build every 100 ms.
    /// </summary>
    private static async Task Step(string name, Func<Task> run)
    {
        File.WriteAllText("/proc/self/clear_refs", "5"); // resets VmHWM to the RSS now
        var clock = Stopwatch.StartNew();
        var probe = new Probe();
        using (name == "sequence" && Environment.GetEnvironmentVariable("MEMPROBE_TRACE") == "1" ? new Timer(_ => Trace(clock), null, 0, 100) : null)
        {
            await run();
            clock.Stop();
        }

        probe.Dispose();
        Console.Error.WriteLine($"{name}: peak GC heap {Probe.Mb(probe.PeakHeapBytes)} MiB, peak committed {Probe.Mb(probe.PeakCommittedBytes)} MiB");
        var info = GC.GetGCMemoryInfo();
        var rss = Probe.ResidentBytes();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {name} | {clock.Elapsed.TotalSeconds:F1} | {Probe.Mb(rss)} | {Probe.Mb(Probe.PeakResidentBytes())} | {Probe.Mb(GC.GetTotalMemory(false))} | {Probe.Mb(info.TotalCommittedBytes)} | {Probe.Mb(rss - info.TotalCommittedBytes)} |"));
    }

    private static void Trace(Stopwatch clock) =>
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {clock.Elapsed.TotalSeconds:F2}s RSS {Probe.Mb(Probe.ResidentBytes())} heap {Probe.Mb(GC.GetTotalMemory(false))} committed {Probe.Mb(GC.GetGCMemoryInfo().TotalCommittedBytes)} gc0 {GC.CollectionCount(0)} gc1 {GC.CollectionCount(1)} gc2 {GC.CollectionCount(2)}"));
}
