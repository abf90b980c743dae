namespace FacePipeline.Media;

/// <summary>
/// Removes the staging folders (<c>.staging-&lt;guid&gt;</c>) of extractions that died with their process (issue 15: a
/// FrameExtraction worker killed mid-extraction left hundreds of megabytes of chunks behind, and nothing removed them).
/// <para>
/// A folder is stale when neither it nor anything in it has been written for longer than the age given: a live
/// extraction's ffmpeg writes its chunks all the time, and <see cref="KeepFresh"/> touches the folder every
/// <see cref="HeartbeatInterval"/> besides (a slow decode, or the timeline read after the decode). So any number of
/// workers on the same media volume may sweep at once: each removes only what no live extraction touches, and a folder
/// another sweeper is removing at the same moment is simply skipped. The age must stay well above the heartbeat (and
/// any clock difference between the hosts that share the volume).
/// </para>
/// </summary>
public static class StagingSweeper
{
    /// <summary>The name of a staging folder starts with this.</summary>
    public const string StagingPrefix = ".staging-";

    /// <summary>A staging folder a sweeper has claimed (renamed) to delete it: whoever renames it first deletes it.</summary>
    public const string SweptPrefix = ".swept-";

    /// <summary>How often a live extraction touches its staging folder.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Deletes every staging folder under <paramref name="root"/> (at most <paramref name="depth"/> folders down: the
    /// media store's <c>jobs/{job}/frames/{clip}/</c> is 4) that has not been written for longer than
    /// <paramref name="maxAge"/>; returns the folders deleted.
    /// </summary>
    public static IReadOnlyList<string> Sweep(string root, TimeSpan maxAge, int depth = 4, DateTime? nowUtc = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAge, TimeSpan.Zero);
        var now = nowUtc ?? DateTime.UtcNow;
        var deleted = new List<string>();
        if (!Directory.Exists(root))
        {
            return deleted;
        }

        foreach (var folder in StagingFolders(root, depth).ToList())
        {
            if (Path.GetFileName(folder).StartsWith(SweptPrefix, StringComparison.Ordinal))
            {
                TryDeleteFolder(folder); // claimed by a sweep that did not finish (its process died)
            }
            else if (LastWriteUtc(folder) is { } written && now - written > maxAge && TryClaimAndDelete(folder))
            {
                deleted.Add(folder);
            }
        }

        return deleted;
    }

    /// <summary>
    /// Claims <paramref name="folder"/> by renaming it (atomic: of several sweepers, one succeeds), then deletes it; false
    /// when another sweeper claimed it first or it is gone.
    /// </summary>
    private static bool TryClaimAndDelete(string folder)
    {
        var claimed = Path.Combine(Path.GetDirectoryName(folder)!, SweptPrefix + Guid.NewGuid().ToString("N"));
        try
        {
            Directory.Move(folder, claimed);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }

        TryDeleteFolder(claimed);
        return true;
    }

    /// <summary>The staging folders (and claimed ones) under <paramref name="root"/>, at most <paramref name="depth"/> folders down.</summary>
    public static IEnumerable<string> StagingFolders(string root, int depth = 4)
    {
        var level = new List<string> { root };
        for (var d = 0; d <= depth && level.Count > 0; d++)
        {
            var next = new List<string>();
            foreach (var folder in level)
            {
                foreach (var child in SafeFolders(folder))
                {
                    var name = Path.GetFileName(child);
                    if (name.StartsWith(StagingPrefix, StringComparison.Ordinal) || name.StartsWith(SweptPrefix, StringComparison.Ordinal))
                    {
                        yield return child;
                    }
                    else if (d < depth)
                    {
                        next.Add(child);
                    }
                }
            }

            level = next;
        }
    }

    /// <summary>
    /// The latest write to <paramref name="folder"/> or any file in it (UTC); null when it is gone. ffmpeg appends to its
    /// current chunk without changing the folder's own time, so the files count too.
    /// </summary>
    public static DateTime? LastWriteUtc(string folder)
    {
        try
        {
            var info = new DirectoryInfo(folder);
            if (!info.Exists)
            {
                return null;
            }

            var latest = info.LastWriteTimeUtc;
            foreach (var entry in info.EnumerateFileSystemInfos("*", SearchOption.AllDirectories))
            {
                if (entry.LastWriteTimeUtc > latest)
                {
                    latest = entry.LastWriteTimeUtc;
                }
            }

            return latest;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null; // changing under us (another sweeper, or the extraction finishing): not stale
        }
    }

    /// <summary>Deletes <paramref name="folder"/> and its contents; false when it could not (gone already, or in use).</summary>
    public static bool TryDeleteFolder(string folder)
    {
        try
        {
            if (!Directory.Exists(folder))
            {
                return false;
            }

            Directory.Delete(folder, recursive: true);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>
    /// Touches <paramref name="folder"/> every <see cref="HeartbeatInterval"/> until disposed, so a sweeper never takes a live
    /// extraction's folder for a dead one, however slowly ffmpeg writes.
    /// </summary>
    public static IDisposable KeepFresh(string folder) => KeepFresh(folder, HeartbeatInterval);

    /// <summary><see cref="KeepFresh(string)"/> with another interval (tests).</summary>
    public static IDisposable KeepFresh(string folder, TimeSpan interval) =>
        new Timer(
            static state =>
            {
                try
                {
                    Directory.SetLastWriteTimeUtc((string)state!, DateTime.UtcNow);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // Gone (the extraction ended): nothing to keep fresh.
                }
            },
            folder,
            interval,
            interval);

    private static string[] SafeFolders(string folder)
    {
        try
        {
            return Directory.GetDirectories(folder);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
