using System.Globalization;

namespace FacePipeline.ServiceDefaults;

/// <summary>
/// What a worker process holds, as a stage's log line reports it after each unit of work: resident memory now and at its
/// peak (Linux's <c>VmRSS</c> and <c>VmHWM</c>; elsewhere the working set for both), and the GC's share of it (the managed
/// heap's size now, live objects and garbage not yet collected, and what the GC had committed at its last collection).
/// Resident minus committed is roughly the native side: ONNX Runtime's arenas, libtorch, the runtime itself.
/// </summary>
public readonly record struct ProcessMemory(long ResidentBytes, long PeakResidentBytes, long GcHeapBytes, long GcCommittedBytes)
{
    private const double MiB = 1024 * 1024;

    public static ProcessMemory Now()
    {
        var (resident, peak) = ReadStatus();
        return new ProcessMemory(resident, peak, GC.GetTotalMemory(forceFullCollection: false), GC.GetGCMemoryInfo().TotalCommittedBytes);
    }

    public double ResidentMiB => ResidentBytes / MiB;

    public double PeakResidentMiB => PeakResidentBytes / MiB;

    public double GcHeapMiB => GcHeapBytes / MiB;

    public double GcCommittedMiB => GcCommittedBytes / MiB;

    /// <summary>Reads <c>VmRSS</c> and <c>VmHWM</c> from <paramref name="statusLines"/> (the lines of <c>/proc/self/status</c>), in bytes.</summary>
    public static (long Resident, long Peak) ParseStatus(IEnumerable<string> statusLines)
    {
        ArgumentNullException.ThrowIfNull(statusLines);
        long resident = -1, peak = -1;
        foreach (var line in statusLines)
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                resident = Kilobytes(line) * 1024;
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = Kilobytes(line) * 1024;
            }
        }

        if (resident < 0 || peak < 0)
        {
            throw new FormatException("The status lines have no VmRSS or no VmHWM line.");
        }

        return (resident, peak);
    }

    private static (long Resident, long Peak) ReadStatus()
    {
        const string status = "/proc/self/status";
        if (File.Exists(status))
        {
            return ParseStatus(File.ReadLines(status));
        }

        var workingSet = Environment.WorkingSet;
        return (workingSet, workingSet);
    }

    // "VmRSS:	  123456 kB"
    private static long Kilobytes(string line) =>
        long.Parse(line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);
}
