using System.Runtime;

namespace FacePipeline.ServiceDefaults;

/// <summary>
/// The garbage collector a service runs, as its start-up log reports it. The services are built for the workstation GC
/// with background collections (<c>services/Directory.Build.props</c>, written into each runtimeconfig.json): the Web SDK's
/// server GC keeps a heap and an allocation budget per core and grows the budget with the time the process has run, so a
/// service's resident memory rose over a long job's first minutes although its live objects did not (docs/benchmarks.md,
/// "Ingest's growth was the server GC's"). <c>DOTNET_gcServer=1</c> in a service's environment still overrides it.
/// </summary>
public static class GarbageCollectorMode
{
    /// <summary>The collector the services are built for.</summary>
    public const string Recommended = "workstation, concurrent";

    /// <summary>The running process's collector for its start-up log.</summary>
    public static string Current => Describe(GCSettings.IsServerGC, GCSettings.LatencyMode);

    /// <summary>Names the collector: server or workstation, and whether it collects in the background.</summary>
    public static string Describe(bool isServer, GCLatencyMode latency)
    {
        var kind = isServer ? "server" : "workstation";
        var concurrent = latency == GCLatencyMode.Batch ? "non-concurrent" : "concurrent";
        var described = $"{kind}, {concurrent}";
        return described == Recommended
            ? described
            : $"{described} (the services are built for {Recommended}: services/Directory.Build.props; an environment setting such as DOTNET_gcServer overrides it)";
    }
}
