using FacePipeline.ServiceDefaults;

namespace FacePipeline.Orchestration.Tests;

/// <summary>What a stage's log line reports of its process's memory (no servers: the Fast lane).</summary>
public sealed class ProcessMemoryTests
{
    [Fact]
    [Trait("Lane", "Fast")]
    public void Resident_memory_and_its_peak_are_read_from_the_status_lines_in_bytes()
    {
        var (resident, peak) = ProcessMemory.ParseStatus(
            ["Name:\tFacePipeline.Re", "VmPeak:\t 3325224 kB", "VmHWM:\t  348912 kB", "VmRSS:\t  301232 kB", "RssAnon:\t  190000 kB"]);

        Assert.Equal(301232L * 1024, resident);
        Assert.Equal(348912L * 1024, peak);
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void Status_lines_without_a_resident_size_are_refused()
    {
        Assert.Throws<FormatException>(() => ProcessMemory.ParseStatus(["Name:\tx", "VmHWM:\t 1 kB"]));
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void This_process_holds_its_managed_heap_inside_its_resident_memory_and_never_more_than_its_peak()
    {
        var hold = new byte[32 << 20];
        Array.Fill(hold, (byte)1);
        GC.Collect(); // the GC's committed bytes are its last collection's

        var memory = ProcessMemory.Now();

        Assert.InRange(memory.GcCommittedBytes, hold.Length, memory.ResidentBytes);
        Assert.InRange(memory.ResidentBytes, hold.Length, memory.PeakResidentBytes);
        Assert.InRange(memory.GcHeapBytes, hold.Length, memory.ResidentBytes);
        GC.KeepAlive(hold);
    }
}
