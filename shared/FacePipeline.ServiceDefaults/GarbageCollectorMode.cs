using System.Runtime;

namespace FacePipeline.ServiceDefaults;

/// <summary>
/// The garbage collector a service runs, as its start-up log reports it. The services are built for the workstation GC
/// with background collections (<c>services/Directory.Build.props</c>, written into each runtimeconfig.json): the Web SDK's
/// server GC keeps a heap and an allocation budget per core and grows the budget with the time the process has run, so a
/// service's resident memory rose over a long job's first minutes although its live objects did not (docs/benchmarks.md,
/// "Ingest's growth was the server GC's"). <c>DOTNET_gcServer=1</c> in a service's environment still overrides it. They also
/// cap generation 0's allocation budget (<see cref="Gen0MaxBudgetBytes"/>), which the GC otherwise sizes from the
/// processor's cache and which then shows as tens of MB of young garbage in the resident set.
/// </summary>
public static class GarbageCollectorMode
{
    /// <summary>The collector the services are built for.</summary>
    public const string Recommended = "workstation, concurrent";

    /// <summary>Generation 0's largest allocation budget the services are built with (System.GC.Gen0MaxBudget).</summary>
    public const long Gen0MaxBudgetBytes = 16 * 1024 * 1024;

    /// <summary>The running process's collector for its start-up log, with generation 0's largest budget.</summary>
    public static string Current => $"{Describe(GCSettings.IsServerGC, GCSettings.LatencyMode)}; {DescribeGen0Budget(Gen0MaxBudget())}";

    /// <summary>Generation 0's largest allocation budget as the running GC applies it, or null when it does not say.</summary>
    public static long? Gen0MaxBudget() =>
        GC.GetConfigurationVariables().TryGetValue("GCGen0MaxBudget", out var value) && value is IConvertible number
            ? number.ToInt64(System.Globalization.CultureInfo.InvariantCulture)
            : null;

    /// <summary>Names generation 0's largest budget, and where the services' setting lives when it is not theirs.</summary>
    public static string DescribeGen0Budget(long? budgetBytes)
    {
        var described = budgetBytes is { } bytes ? $"generation 0 budget at most {bytes / (1024.0 * 1024.0):0.#} MiB" : "generation 0 budget not reported";
        return budgetBytes == Gen0MaxBudgetBytes
            ? described
            : $"{described} (the services are built for {Gen0MaxBudgetBytes / (1024 * 1024)} MiB: services/Directory.Build.props; DOTNET_GCGen0MaxBudget overrides it)";
    }

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
