using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FacePipeline.Media;
using FacePipeline.Persistence;
using FacePipeline.TestSupport;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace FacePipeline.EndToEnd.Tests;

/// <summary>
/// Issue 15, orphans after a crash: the real FrameExtraction worker (its own process, on the real PostgreSQL and RabbitMQ,
/// fed by the real Ingest) is killed with SIGKILL in the middle of extracting a real clip. No ffmpeg of it may survive, and
/// the staging folder it left is swept once a worker runs again, while that worker's own extraction of the redelivered
/// job completes.
/// </summary>
public sealed class ExtractionCrashTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _media = RepoPaths.NewScratchFolder("crash-media");
    private readonly string _logs = RepoPaths.NewScratchFolder("crash-logs");
    private readonly string _clips = RepoPaths.NewScratchFolder("crash-clip");
    private TestDatabase? _database;
    private ServiceProcess? _ingest;
    private readonly List<WorkerProcess> _workers = [];
    private Dictionary<string, string> _environment = [];

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync("crash");
        var vhost = $"facepipe-crash-{Guid.NewGuid():N}";
        MediaCli.Run(Path.Combine(RepoPaths.RepoRoot, "scripts", "infra.sh"), ["vhost", vhost]);
        _environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Jobs"] = _database.ConnectionString,
            ["RabbitMq__Host"] = TestServers.RabbitHost,
            ["RabbitMq__Port"] = TestServers.RabbitPort.ToString(CultureInfo.InvariantCulture),
            ["RabbitMq__Username"] = TestServers.RabbitUser,
            ["RabbitMq__Password"] = TestServers.RabbitPassword,
            ["RabbitMq__VirtualHost"] = vhost,
            ["Media__Root"] = _media,
            ["Models__Root"] = RepoPaths.Models,
            ["Ingest__ChunkSize"] = "16",
            // Sweep every second; a folder unwritten for 3 s is a dead extraction's (production: 10 min, every 5 min).
            ["Extraction__Staging__MaxAge"] = "00:00:03",
            ["Extraction__Staging__SweepInterval"] = "00:00:01",
            ["MASSTRANSIT_USAGE_TELEMETRY"] = "false",
        };
        _ingest = new ServiceProcess("Ingest", PipelineFixture.FreePort(), _environment, _logs);
        _ingest.Start();
        await _ingest.WaitReadyAsync(TimeSpan.FromSeconds(90));
    }

    public async Task DisposeAsync()
    {
        foreach (var worker in _workers)
        {
            worker.Dispose();
        }

        _ingest?.Dispose();
        if (_database is not null)
        {
            await _database.DisposeAsync();
        }

        Directory.Delete(_media, recursive: true);
        Directory.Delete(_clips, recursive: true);
    }

    [Fact]
    public async Task A_worker_killed_mid_extraction_leaves_no_ffmpeg_running_and_its_staging_folder_is_swept()
    {
        // A real clip long enough that killing the worker lands mid-extraction: new_face_video-90.mp4 played twelve times
        // (stream copy), 6132 frames of 480x640, seconds of decoding (extraction decodes once, to nothing: no frames are stored).
        var clip = Path.Combine(_clips, "long.mp4");
        MediaCli.Ffmpeg("-stream_loop", "11", "-i", RepoPaths.MediaFile("new_face_video-90.mp4"), "-c", "copy", clip);
        const int Frames = 12 * 511;

        var first = StartWorker();
        await first.WaitReadyAsync(TimeSpan.FromSeconds(90));
        using var studio = await NewStudio();
        var jobId = await Submit(studio, clip);
        var measured = Path.Combine(_media, "jobs", jobId.ToString("N"), "clips", "source");

        // Mid-extraction: the attempt's staging folder exists and the worker's ffmpeg runs.
        string staging = string.Empty;
        List<ProcessEntry> children = [];
        await Eventually.UntilAsync(() =>
        {
            staging = Directory.Exists(measured) ? Directory.GetDirectories(measured, StagingSweeper.StagingPrefix + "*").FirstOrDefault() ?? string.Empty : string.Empty;
            children = [.. ProcessTable.ChildrenOf(first.Id).Where(p => p.Name == "ffmpeg")];
            return Task.FromResult(staging.Length > 0 && children.Count > 0);
        }, TimeSpan.FromSeconds(60), "the worker's ffmpeg decoding, with its staging folder");

        var killedAt = Stopwatch.StartNew();
        first.KillParentOnly(); // SIGKILL to the worker alone, as the kernel's OOM killer or `kill -9` would
        Assert.True(Directory.Exists(staging), "killed mid-extraction: the staging folder was not collected yet");

        // No ffmpeg of it survives: the parent-death signal kills it with the worker (polled, with a deadline shorter than
        // what an orphan would need to finish the clip).
        await Eventually.UntilAsync(
            () => Task.FromResult(children.All(c => !c.IsAlive())),
            TimeSpan.FromSeconds(2),
            $"the killed worker's ffmpeg ({string.Join(", ", children.Select(c => c.Id))}) to die");
        output.WriteLine($"ffmpeg {string.Join(", ", children.Select(c => c.Id))} gone {killedAt.Elapsed.TotalMilliseconds:F0} ms after the kill");
        Assert.False(File.Exists(Path.Combine(measured, FrameTimeline.FileName)), "killed mid-extraction: no timeline was published");

        // A worker starts again: the dead attempt's folder goes (it is unwritten, and older than MaxAge soon), while the
        // redelivered job's own extraction, in a staging folder of its own, completes untouched.
        var second = StartWorker();
        await second.WaitReadyAsync(TimeSpan.FromSeconds(90));
        await Eventually.UntilAsync(() => Task.FromResult(!Directory.Exists(staging)), TimeSpan.FromSeconds(60), "the dead attempt's staging folder to be swept");
        output.WriteLine($"swept {killedAt.Elapsed.TotalSeconds:F1} s after the kill (MaxAge 3 s, sweep every 1 s)");
        const string Removed = "Removed the staging folder of a dead extraction";
        await Eventually.UntilAsync(() => Task.FromResult(second.Log().Contains(Removed, StringComparison.Ordinal)), TimeSpan.FromSeconds(10), "the sweep's log line");
        Assert.Contains(Path.GetFileName(staging), second.Log().Split('\n').Single(l => l.Contains(Removed, StringComparison.Ordinal)), StringComparison.Ordinal);

        await Eventually.UntilAsync(async () => await ExtractStage(studio, jobId) is "completed" or "failed", TimeSpan.FromSeconds(120), "the redelivered extraction to end");
        Assert.Equal("completed", await ExtractStage(studio, jobId));
        Assert.Equal(Frames, FrameTimeline.Load(Path.Combine(measured, FrameTimeline.FileName)).FrameCount);
        Assert.Empty(Directory.GetDirectories(measured, StagingSweeper.StagingPrefix + "*"));
        Assert.DoesNotContain(ProcessTable.ChildrenOf(second.Id), p => p.Name == "ffmpeg" && p.IsAlive());
    }

    private WorkerProcess StartWorker()
    {
        var worker = new WorkerProcess("FrameExtraction", PipelineFixture.FreePort(), _environment, Path.Combine(_logs, $"FrameExtraction-{_workers.Count}.log"));
        _workers.Add(worker);
        worker.Start();
        return worker;
    }

    private async Task<HttpClient> NewStudio()
    {
        await using var db = new JobsDbContext(new DbContextOptionsBuilder<JobsDbContext>().UseNpgsql(_database!.ConnectionString).Options);
        var key = (await TenantKeys.CreateTenantAsync(db, "crash studio", TimeProvider.System, default)).ApiKey;
        return PipelineFixture.StudioClient(_ingest!, key);
    }

    private static async Task<Guid> Submit(HttpClient studio, string path)
    {
        await using var file = File.OpenRead(path);
        using var form = new MultipartFormDataContent
        {
            { new StringContent("track"), "kind" },
            { new StreamContent(file), "clip", Path.GetFileName(path) },
        };
        using var response = await studio.PostAsync("v1/jobs", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = await response.Content.ReadFromJsonAsync<JsonElement>(PipelineFixture.Json);
        return job.GetProperty("id").GetGuid();
    }

    private static async Task<string?> ExtractStage(HttpClient studio, Guid jobId)
    {
        var job = await studio.GetFromJsonAsync<JsonElement>($"v1/jobs/{jobId}", PipelineFixture.Json);
        return job.GetProperty("stages").EnumerateArray().FirstOrDefault(s => s.GetProperty("name").GetString() == "extract") is { ValueKind: JsonValueKind.Object } stage
            ? stage.GetProperty("state").GetString()
            : null;
    }
}

/// <summary>
/// A service as its own process whose id the test knows, so it can be killed alone (SIGKILL to it, not to its children:
/// <see cref="ServiceProcess.Kill"/> kills the whole tree, which would hide an orphan).
/// </summary>
internal sealed class WorkerProcess(string name, int port, IReadOnlyDictionary<string, string> environment, string logPath) : IDisposable
{
    private Process? _process;

    public int Id => _process?.Id ?? throw new InvalidOperationException($"{name} is not running.");

    public void Start()
    {
        var info = new ProcessStartInfo("dotnet", [ServiceProcess.Dll(name)]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        info.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        var log = new StreamWriter(logPath, append: true) { AutoFlush = true };
        _process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {name}.");
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (log) { log.WriteLine(e.Data); } } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(5) };
        await Eventually.UntilAsync(async () =>
        {
            if (_process is { HasExited: true })
            {
                throw new InvalidOperationException($"{name} exited with {_process.ExitCode}: {Log()}");
            }

            try
            {
                return (await http.GetAsync("health/ready")).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, timeout, $"{name} ready");
    }

    /// <summary>SIGKILL to the process itself only; waits until it is gone.</summary>
    public void KillParentOnly()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: false);
            _process.WaitForExit();
        }
    }

    public string Log() => File.Exists(logPath) ? File.ReadAllText(logPath) : string.Empty;

    public void Dispose()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process?.Dispose();
    }
}
