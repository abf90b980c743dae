using System.Globalization;

namespace FacePipeline.TestSupport;

/// <summary>A process as /proc shows it (Linux).</summary>
public sealed record ProcessEntry(int Id, int ParentId, string Name, long StartTicks)
{
    /// <summary>Still running: present, not a zombie (an orphan's zombie may wait for a PID 1 that never reaps), and not another process that took its id.</summary>
    public bool IsAlive() => ProcessTable.Read(Id) is { } now && now.StartTicks == StartTicks && now.State is not ('Z' or 'X');
}

/// <summary>The processes of this machine, read from /proc: to find a tool's process and tell whether it still runs.</summary>
public static class ProcessTable
{
    /// <summary>The processes whose parent is <paramref name="parent"/>.</summary>
    public static IEnumerable<ProcessEntry> ChildrenOf(int parent) =>
        All().Where(p => p.ParentId == parent);

    /// <summary>The processes whose command line contains <paramref name="marker"/>.</summary>
    public static IEnumerable<ProcessEntry> WithCommandLine(string marker) =>
        All().Where(p => CommandLine(p.Id)?.Contains(marker, StringComparison.Ordinal) == true);

    /// <summary>/proc/{pid}/stat: name, state, parent id, start time; null when the process is gone.</summary>
    public static (string Name, char State, int ParentId, long StartTicks)? Read(int pid)
    {
        if (ReadText($"/proc/{pid}/stat") is not { } stat)
        {
            return null;
        }

        var open = stat.IndexOf('(', StringComparison.Ordinal);
        var close = stat.LastIndexOf(')');
        var fields = stat[(close + 2)..].Split(' ');
        return (stat[(open + 1)..close], fields[0][0], int.Parse(fields[1], CultureInfo.InvariantCulture), long.Parse(fields[19], CultureInfo.InvariantCulture));
    }

    private static IEnumerable<ProcessEntry> All()
    {
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && Read(pid) is { } stat)
            {
                yield return new ProcessEntry(pid, stat.ParentId, stat.Name, stat.StartTicks);
            }
        }
    }

    private static string? CommandLine(int pid) => ReadText($"/proc/{pid}/cmdline")?.Replace('\0', ' ');

    private static string? ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
