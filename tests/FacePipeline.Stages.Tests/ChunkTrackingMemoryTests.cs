using System.Diagnostics;
using System.Globalization;
using FacePipeline.TestSupport;

namespace FacePipeline.Stages.Tests;

/// <summary>
/// Issue 16, memory flat in length, on Reconstruction's chunk work (<see cref="FaceReconstructionStage"/>): a worker takes
/// chunk after chunk from its queue, and what it holds must not grow with their number. Measured by
/// <c>facepipe-memprobe chunks</c> in a process of its own (the services' workstation GC, nothing else running in it) on a
/// 1080p clip (8 frames a chunk): the GC heap after each chunk. Before the tracker kept one frame buffer, each chunk's
/// 6.2 MB buffer went to the large object heap and stayed there until a full collection: the heap went 7.8, 37.5, 61.3 and
/// 91.2 MiB over sixteen chunks (and a 36,000-frame 1080p job peaked at 1.78 × the 1,000-frame job's RSS).
/// </summary>
public sealed class ChunkTrackingMemoryTests : IDisposable
{
    private const int Width = 1920;
    private const int Height = 1080;
    private readonly string _scratch = RepoPaths.NewScratchFolder("chunk-memory");

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    [Theory]
    [InlineData("yuv420p")] // limited range: the chunks come as 4:2:0 planes
    [InlineData("yuvj420p")] // full range: as RGB24 from ffmpeg
    public async Task Fifteen_more_1080p_chunks_leave_the_GC_heap_within_one_frame_of_its_size_after_the_first(string pixelFormat)
    {
        var clip = Path.Combine(_scratch, $"grid-1080p-{pixelFormat}.mp4");
        await RunAsync("ffmpeg", [
            "-nostdin", "-v", "error", "-y", "-i", RepoPaths.MediaFile("grid_lbbc2a.mp4"), "-map", "0:v:0", "-frames:v", "32",
            "-vf", $"scale=-2:{Height}:flags=bicubic,pad={Width}:{Height}:(ow-iw)/2:0,setsar=1",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", pixelFormat, clip,
        ]);

        var probe = Path.Combine(AppContext.BaseDirectory, "facepipe-memprobe.dll");
        var table = await RunAsync("dotnet", [probe, "chunks", clip, "16", Path.Combine(_scratch, "store-" + pixelFormat), "8"]);

        // | chunk | s | RSS MiB | peak RSS MiB | GC heap MiB | GC committed MiB | RSS − committed MiB |
        var heaps = table.Split('\n')
            .Select(line => line.Split('|', StringSplitOptions.TrimEntries))
            .Where(cells => cells.Length == 9 && int.TryParse(cells[1], CultureInfo.InvariantCulture, out _))
            .Select(cells => double.Parse(cells[5], CultureInfo.InvariantCulture))
            .ToList();
        Assert.Equal(16, heaps.Count);

        // The figure is the heap as the last collection left it. The probe collects fully once after the first chunk, when
        // the worker's own buffers (a frame, or the planes and their RGB) exist: from there the heap must not grow by a frame.
        var heapsText = string.Join(", ", heaps);
        Assert.True(heaps[0] > 0, $"no collection after the first chunk; GC heap after each chunk, MiB: {heapsText}");
        const double frameMiB = Width * Height * 3 / 1048576.0;
        Assert.True(
            heaps.Skip(1).Max() - heaps[0] < frameMiB,
            $"GC heap after each chunk, MiB: {heapsText}; it grew by more than a frame ({frameMiB:F1} MiB) over its size after the first chunk");
    }

    private static async Task<string> RunAsync(string program, string[] arguments)
    {
        var info = new ProcessStartInfo(program, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["FACEPIPE_MODELS"] = RepoPaths.Models },
        };
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{program} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {await error}");
        return await output;
    }
}
