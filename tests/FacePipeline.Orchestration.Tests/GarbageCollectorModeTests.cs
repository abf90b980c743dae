using System.Runtime;
using FacePipeline.ServiceDefaults;

namespace FacePipeline.Orchestration.Tests;

/// <summary>What a service's start-up log says of its garbage collector (no servers: the Fast lane).</summary>
public sealed class GarbageCollectorModeTests
{
    [Theory]
    [Trait("Lane", "Fast")]
    [InlineData(GCLatencyMode.Interactive)]
    [InlineData(GCLatencyMode.SustainedLowLatency)]
    public void The_workstation_collector_with_background_collections_is_reported_as_the_services_build_it(GCLatencyMode latency)
    {
        Assert.Equal("workstation, concurrent", GarbageCollectorMode.Describe(isServer: false, latency));
        Assert.Equal(GarbageCollectorMode.Recommended, GarbageCollectorMode.Describe(isServer: false, latency));
    }

    [Theory]
    [Trait("Lane", "Fast")]
    [InlineData(true, GCLatencyMode.Interactive, "server, concurrent")]
    [InlineData(false, GCLatencyMode.Batch, "workstation, non-concurrent")]
    [InlineData(true, GCLatencyMode.Batch, "server, non-concurrent")]
    public void Any_other_collector_is_reported_with_where_the_services_setting_lives(bool isServer, GCLatencyMode latency, string expected)
    {
        var described = GarbageCollectorMode.Describe(isServer, latency);

        Assert.StartsWith(expected + " (the services are built for workstation, concurrent", described, StringComparison.Ordinal);
        Assert.Contains("services/Directory.Build.props", described, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void The_services_generation_0_budget_is_reported_plainly_and_any_other_with_where_the_setting_lives()
    {
        Assert.Equal("generation 0 budget at most 16 MiB", GarbageCollectorMode.DescribeGen0Budget(GarbageCollectorMode.Gen0MaxBudgetBytes));
        var other = GarbageCollectorMode.DescribeGen0Budget(80L * 1024 * 1024);
        Assert.StartsWith("generation 0 budget at most 80 MiB (the services are built for 16 MiB", other, StringComparison.Ordinal);
        Assert.Contains("services/Directory.Build.props", other, StringComparison.Ordinal);
        Assert.StartsWith("generation 0 budget not reported (", GarbageCollectorMode.DescribeGen0Budget(null), StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void The_running_GC_reports_generation_0s_largest_budget()
    {
        // Read back from the runtime, as a service's start-up log reads it (this test host is not built with the services' cap).
        Assert.True(GarbageCollectorMode.Gen0MaxBudget() > 0);
    }
}
