namespace FacePipeline.Media.Tests;

/// <summary>
/// The sweep of dead extractions' staging folders (issue 15): only folders nothing has written for longer than the age
/// go, wherever a live extraction last wrote (the folder, or a chunk deep inside it), and two sweepers never trip on each other.
/// </summary>
[Trait("Lane", "Fast")]
public sealed class StagingSweeperTests : IDisposable
{
    private readonly ScratchFolders _folders = new();
    private readonly string _root;
    private readonly DateTime _now = DateTime.UtcNow;

    public StagingSweeperTests() => _root = _folders.New("staging-sweep");

    public void Dispose() => _folders.Dispose();

    /// <summary>jobs/{job}/frames/{clip}/.staging-{guid} with a chunk, every time set to <paramref name="age"/> ago.</summary>
    private string Staging(string job, TimeSpan age, string clip = "source")
    {
        var clipFolder = Path.Combine(_root, "jobs", job, "frames", clip);
        var staging = Path.Combine(clipFolder, StagingSweeper.StagingPrefix + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(staging);
        var chunk = Path.Combine(staging, "chunk-00000.rgb24");
        File.WriteAllBytes(chunk, new byte[1024]);
        File.SetLastWriteTimeUtc(chunk, _now - age);
        Directory.SetLastWriteTimeUtc(staging, _now - age);
        return staging;
    }

    [Fact]
    public void Folders_older_than_the_age_go_and_the_rest_stays()
    {
        var dead = Staging("a", TimeSpan.FromMinutes(30));
        var live = Staging("b", TimeSpan.FromSeconds(20));
        var chunks = Path.Combine(_root, "jobs", "c", "frames", "source");
        Directory.CreateDirectory(chunks);
        var finished = Path.Combine(chunks, "chunk-00000.rgb24"); // a finished extraction's chunk, old: never a staging folder
        File.WriteAllBytes(finished, [1, 2, 3]);
        File.SetLastWriteTimeUtc(finished, _now - TimeSpan.FromDays(3));

        var removed = StagingSweeper.Sweep(_root, TimeSpan.FromMinutes(10), nowUtc: _now);

        Assert.Equal([dead], removed);
        Assert.False(Directory.Exists(dead));
        Assert.True(Directory.Exists(live));
        Assert.True(File.Exists(finished));
    }

    [Fact]
    public void A_chunk_written_lately_keeps_an_old_folder()
    {
        // ffmpeg appends to its current chunk: the folder's own time stays old, the file's is fresh.
        var staging = Staging("a", TimeSpan.FromHours(1));
        var current = Path.Combine(staging, "chunk-00001.rgb24");
        File.WriteAllBytes(current, new byte[16]);
        File.SetLastWriteTimeUtc(current, _now - TimeSpan.FromSeconds(5));
        Directory.SetLastWriteTimeUtc(staging, _now - TimeSpan.FromHours(1));

        Assert.Empty(StagingSweeper.Sweep(_root, TimeSpan.FromMinutes(10), nowUtc: _now));
        Assert.True(Directory.Exists(staging));
        Assert.Equal(_now - TimeSpan.FromSeconds(5), StagingSweeper.LastWriteUtc(staging)!.Value, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void The_heartbeat_keeps_a_quiet_live_folder_fresh()
    {
        var staging = Staging("a", TimeSpan.FromHours(1));

        using (StagingSweeper.KeepFresh(staging, TimeSpan.FromMilliseconds(20)))
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (StagingSweeper.LastWriteUtc(staging) < _now - TimeSpan.FromMinutes(1) && DateTime.UtcNow < deadline)
            {
                Thread.Yield();
            }
        }

        Assert.True(StagingSweeper.LastWriteUtc(staging) >= _now - TimeSpan.FromMinutes(1), "the heartbeat touched the folder");
        Assert.Empty(StagingSweeper.Sweep(_root, TimeSpan.FromMinutes(10)));
        Assert.True(Directory.Exists(staging));
    }

    [Fact]
    public void Sweepers_running_at_once_remove_each_dead_folder_once_and_never_fail()
    {
        var dead = Enumerable.Range(0, 40).Select(i => Staging($"job{i}", TimeSpan.FromHours(2), clip: i % 2 == 0 ? "source" : "target")).ToList();
        var live = Staging("live", TimeSpan.Zero);

        var results = new IReadOnlyList<string>[4];
        Parallel.For(0, results.Length, i => results[i] = StagingSweeper.Sweep(_root, TimeSpan.FromMinutes(10), nowUtc: _now));

        Assert.Equal(dead.Order(StringComparer.Ordinal), results.SelectMany(r => r).Order(StringComparer.Ordinal)); // each once
        Assert.All(dead, d => Assert.False(Directory.Exists(d)));
        Assert.True(Directory.Exists(live));
    }

    [Fact]
    public void Only_staging_folders_within_the_depth_are_looked_at()
    {
        var staging = Staging("a", TimeSpan.FromHours(1));
        var deeper = Path.Combine(staging.Replace(StagingSweeper.StagingPrefix, "x", StringComparison.Ordinal), "y", StagingSweeper.StagingPrefix + "1");
        Directory.CreateDirectory(deeper);
        Directory.SetLastWriteTimeUtc(deeper, _now - TimeSpan.FromHours(1));

        Assert.Equal([staging], StagingSweeper.StagingFolders(_root, depth: 4));
        Assert.Empty(StagingSweeper.StagingFolders(_root, depth: 3));
        Assert.Empty(StagingSweeper.Sweep(Path.Combine(_root, "missing"), TimeSpan.Zero));
    }
}
