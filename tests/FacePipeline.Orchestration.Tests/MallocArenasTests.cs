using FacePipeline.ServiceDefaults;

namespace FacePipeline.Orchestration.Tests;

/// <summary>What a service's start-up log says of glibc's malloc arenas (no servers: the Fast lane).</summary>
public sealed class MallocArenasTests
{
    [Theory]
    [Trait("Lane", "Fast")]
    [InlineData("2", "at most 2 (MALLOC_ARENA_MAX)")]
    [InlineData("4", "at most 4 (MALLOC_ARENA_MAX)")]
    public void A_cap_set_in_the_environment_is_reported_as_the_processs_cap(string value, string expected)
    {
        Assert.Equal(expected, MallocArenas.Describe(value));
    }

    [Theory]
    [Trait("Lane", "Fast")]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("many")]
    public void Without_a_cap_the_report_says_glibcs_default_and_which_setting_to_use(string? value)
    {
        var described = MallocArenas.Describe(value);

        Assert.StartsWith("glibc's default, up to 8 per core", described, StringComparison.Ordinal);
        Assert.Contains("MALLOC_ARENA_MAX not set; 2 keeps", described, StringComparison.Ordinal);
    }
}
