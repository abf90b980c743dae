using System.Diagnostics;
using System.Globalization;

namespace FacePipeline.MemoryProbe;

/// <summary>Peak memory of one run: the process's peak resident set (VmHWM) and the managed heap sampled every few ms.</summary>
public sealed class Probe : IDisposable
{
    /// <summary>How often the managed heap is sampled.</summary>
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(2);

    private readonly Thread _sampler;
    private readonly ManualResetEventSlim _stop = new();
    private long _peakHeap;
    private long _peakCommitted;

    public Probe()
    {
        _sampler = new Thread(() =>
        {
            do
            {
                Sample();
            }
            while (!_stop.Wait(Interval)); // the sampling period; Dispose ends it at once
        }) { IsBackground = true, Priority = ThreadPriority.AboveNormal };
        _sampler.Start();
    }

    public long PeakHeapBytes => Interlocked.Read(ref _peakHeap);

    public long PeakCommittedBytes => Interlocked.Read(ref _peakCommitted);

    public static long PeakResidentBytes() => Status("VmHWM:");

    public static long ResidentBytes() => Status("VmRSS:");

    public void Sample()
    {
        var heap = GC.GetTotalMemory(false);
        var committed = GC.GetGCMemoryInfo().TotalCommittedBytes;
        if (heap > Interlocked.Read(ref _peakHeap))
        {
            Interlocked.Exchange(ref _peakHeap, heap);
        }

        if (committed > Interlocked.Read(ref _peakCommitted))
        {
            Interlocked.Exchange(ref _peakCommitted, committed);
        }
    }

    public void Dispose()
    {
        _stop.Set();
        _sampler.Join();
        _stop.Dispose();
        Sample();
    }

    private static long Status(string field)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(field, StringComparison.Ordinal))
            {
                return long.Parse(line[field.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }

    public static string Mb(long bytes) => (bytes / 1048576.0).ToString("F1", CultureInfo.InvariantCulture);

    public static Stopwatch Start() => Stopwatch.StartNew();
}
