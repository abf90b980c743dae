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
}
