using System.Diagnostics;
using System.Globalization;
using FacePipeline.Contracts;
using FacePipeline.Geometry;
using FacePipeline.MemoryProbe;
using FacePipeline.Morphable;
using FacePipeline.Stages;
using FacePipeline.Storage;

// Issue 16 (memory flat in length): peak memory of each service's record path on a synthetic take of any length (landmark
// records only: the frame pixels are not what grows). Each path runs in a process of its own, on the files the one before
// wrote: gen (the chunks' records) -> sequence (Reconstruction's BuildFaceSequence) -> track (Rendering's track outputs:
// tracking.json, tracking.fptk, the curves) -> transfer (ExpressionTransfer, the clip onto itself) -> retarget (Rendering's
// retarget records: transfer.json, the renderer's set-up, what each frame reads, the QC, the performer, the curves).
//
// dotnet run -c Release --project tools/FacePipeline.MemoryProbe -- all [frames...]   (default 1000 36000; a markdown table)
// facepipe-memprobe <path> <frames> <dir>      one path in this process (MEMPROBE_STAGES=1: the retarget path's retained heap per step;
//                                               MEMPROBE_CHUNK=512: frames per chunk record, as the pipeline cuts them; 64 by default;
//                                               MEMPROBE_CONTINUOUS=1: the sequence built as from a single-decode pass's chunks)
// facepipe-memprobe extract <clip> <dir>        FrameExtraction's work on a real clip (probe, validation, the one decode, the timeline)
// facepipe-memprobe segment-setup [frames...]   a retarget segment's set-up (transfer.json opened, output timing, QC identity
//                                               frames, renderer) with the frames located by a walk and by the transfer's index,
//                                               after gen, sequence and transfer (default 1000 36000; a markdown table)
// facepipe-memprobe record-heap <frames> <dir>   the record path's retained heap (the sequence build, the curves' scan,
//                                               tracking.json, tracking.fptk) read after full collections: "bytes samples"
// facepipe-memprobe chunks <clip> <chunks> <dir> [frames per chunk]
//                                               Reconstruction's chunk work on a real clip with the real models, one chunk after
//                                               another in this process (512 frames each unless given), a line per chunk: RSS, GC heap, committed
// facepipe-memprobe pass <clip> <dir> [frames per piece]
//                                               a track job's single-decode pass on a real clip, piece after piece (2048 frames
//                                               each unless given), then the clip's sequence: a line per step, with its own peak
var models = ModelPaths.FromSetting(null);
if (args.Length == 0 || args[0] is "all" or "segment-setup")
{
    var setup = args.Length > 0 && args[0] == "segment-setup";
    var lengths = args.Length > 1 ? args[1..].Select(int.Parse).ToArray() : [1000, 36000];
    Console.WriteLine(setup
        ? "| path | frames | transfer.json MB | walked ms | indexed ms | walked / indexed |"
        : "| path | frames | peak RSS MB | peak managed heap MB (sampled) | peak GC committed MB | seconds |");
    Console.WriteLine("|---|---|---|---|---|---|");
    foreach (var frames in lengths)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"memprobe-{frames}-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        try
        {
            foreach (var path in setup ? ["gen", "sequence", "transfer", "setup"] : new[] { "gen", "sequence", "track", "transfer", "retarget" })
            {
                var child = Process.Start(new ProcessStartInfo(Environment.ProcessPath!, [path, frames.ToString(CultureInfo.InvariantCulture), dir]) { RedirectStandardOutput = true })!;
                var line = child.StandardOutput.ReadToEnd().Trim();
                child.WaitForExit();
                if (child.ExitCode != 0)
                {
                    throw new InvalidOperationException($"{path} {frames} failed ({child.ExitCode}): {line}");
                }

                if (path == "setup" || (!setup && path != "gen"))
                {
                    Console.WriteLine(line);
                }
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    return 0;
}

if (args[0] == "extract")
{
    GC.Collect();
    using var extractProbe = new Probe();
    var clock = Stopwatch.StartNew();
    var extracted = await FacePipeline.Media.FrameExtractor.ExtractAsync(args[1], args[2], new FacePipeline.Media.FrameExtractionOptions { ChunkSize = 64 });
    clock.Stop();
    extractProbe.Dispose();
    Console.WriteLine($"| extract {Path.GetFileName(args[1])} | {extracted.FrameCount} | {Probe.Mb(Probe.PeakResidentBytes())} | {Probe.Mb(extractProbe.PeakHeapBytes)} | {Probe.Mb(extractProbe.PeakCommittedBytes)} | {clock.Elapsed.TotalSeconds:F1} |");
    return 0;
}

if (args[0] == "record-heap")
{
    var heap = await RecordPathHeap.MeasureAsync(
        CanonicalFaceMesh.Load(CanonicalFaceMesh.DefaultPath(models.Root)), int.Parse(args[1], CultureInfo.InvariantCulture), args[2],
        Environment.GetEnvironmentVariable("MEMPROBE_TRACE") == "1" ? Console.Error : null);
    Console.WriteLine($"{heap.Peak} {heap.Samples}");
    return 0;
}

if (args[0] == "chunks")
{
    return await ChunkProbe.RunAsync(
        models, args[1], int.Parse(args[2], CultureInfo.InvariantCulture), args[3],
        args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : ChunkProbe.DefaultChunkFrames);
}

if (args[0] == "pass")
{
    return await PassProbe.RunAsync(models, args[1], args[2], args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 2048);
}

var (which, count, root) = (args[0], int.Parse(args[1], CultureInfo.InvariantCulture), args[2]);
var mesh = CanonicalFaceMesh.Load(CanonicalFaceMesh.DefaultPath(models.Root));
var store = new MediaStore(root);
var video = new VideoInfo(Synthetic.Width, Synthetic.Height, 25, 1, count, count / 25.0, false);
var chunkSize = int.Parse(Environment.GetEnvironmentVariable("MEMPROBE_CHUNK") ?? "64", CultureInfo.InvariantCulture); // frames per chunk record
var chunks = Enumerable.Range(0, (count + chunkSize - 1) / chunkSize)
    .Select(c => new TrackChunk(new FrameChunk(c, c * chunkSize, Math.Min(chunkSize, count - (c * chunkSize))), $"faces/source/{c:D5}.fptk")).ToList();
var clip = new ClipTrack("source", "synthetic.mp4", "input/synthetic.mp4", video, chunks, "none/timeline.json", null, "faces/source/sequence.fptk");
var jobId = Guid.Empty;
GC.Collect();
using var probe = new Probe();
var watch = Stopwatch.StartNew();
switch (which)
{
    case "gen":
        var index = 0;
        foreach (var chunk in Synthetic.Chunks(mesh, count, chunkSize))
        {
            store.Write(chunks[index++].FacesKey, stream => TrackingBinary.Write(stream, chunk));
        }

        break;
    case "sequence":
        await new FaceSequenceStage(store, mesh).RunAsync(
            new BuildFaceSequence(jobId, clip with { SequenceKey = null }, null, clip.SequenceKey!, ContinuousTracks: Environment.GetEnvironmentVariable("MEMPROBE_CONTINUOUS") == "1"),
            CancellationToken.None);
        break;
    case "track":
        await Paths.TrackOutputsAsync(store, mesh, models, clip, CancellationToken.None);
        break;
    case "transfer":
        await new ExpressionTransferStage(store, mesh).RunAsync(new TransferExpressions(jobId, clip, clip with { Clip = "target" }, RetargetSettings.Default, "out/transfer.json"), CancellationToken.None);
        break;
    case "retarget":
        await Paths.RetargetRecordsAsync(store, mesh, models, clip, CancellationToken.None);
        break;
    case "setup":
        Console.WriteLine(Paths.SegmentSetup(store, mesh, clip, runs: 3));
        return 0;
    default:
        throw new ArgumentException($"Unknown path {which}.");
}

watch.Stop();
probe.Dispose();
Console.WriteLine($"| {which} | {count} | {Probe.Mb(Probe.PeakResidentBytes())} | {Probe.Mb(probe.PeakHeapBytes)} | {Probe.Mb(probe.PeakCommittedBytes)} | {watch.Elapsed.TotalSeconds:F1} |");
return 0;
