using System.Globalization;

namespace FacePipeline.ServiceDefaults;

/// <summary>
/// glibc's malloc arenas, as the process was started with them. glibc gives a thread that allocates while the others hold
/// the arenas an arena of its own, up to 8 per core by default; the native libraries the stages call (ONNX Runtime,
/// libtorch) run on whichever .NET pool thread the work is on, so their memory spreads over ever more arenas, and what an
/// arena frees it mostly keeps. On the 480p 36k track job, Reconstruction's resident memory grew by 23-31 MiB over its 70
/// chunks while its GC committed stayed at 19-27 MiB, in 9 to 18 arenas holding 51-56 MiB; with two arenas it stayed flat
/// (docs/benchmarks.md, "Reconstruction's peak with two slots"). The images and <c>scripts/services.sh</c> start every service with
/// <c>MALLOC_ARENA_MAX=2</c>, which glibc reads as the process starts, before any managed code runs. A
/// <c>mallopt(M_ARENA_MAX, 2)</c> from the service at start-up did not hold (18 arenas after it; why was not traced), so
/// the service only reports the setting.
/// </summary>
public static class MallocArenas
{
    /// <summary>The environment variable glibc reads at start-up.</summary>
    public const string EnvironmentVariable = "MALLOC_ARENA_MAX";

    /// <summary>The cap the images and the local scripts set.</summary>
    public const int Recommended = 2;

    /// <summary>The process's arenas for its start-up log, from its <see cref="EnvironmentVariable"/> (null: not set).</summary>
    public static string Describe(string? environmentValue) =>
        int.TryParse(environmentValue, NumberStyles.None, CultureInfo.InvariantCulture, out var cap) && cap > 0
            ? $"at most {cap} ({EnvironmentVariable})"
            : $"glibc's default, up to 8 per core ({EnvironmentVariable} not set; {Recommended} keeps native memory from spreading over idle arenas: docs/deploy.md)";
}
