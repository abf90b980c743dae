using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FacePipeline.Orchestration.Tests;

/// <summary>The outbox settings come from the "Outbox" section, and a host with invalid ones does not start.</summary>
public sealed class OutboxOptionsTests
{
    [Fact]
    public void Outbox_settings_are_bound_from_the_Outbox_section_and_default_when_absent()
    {
        using var provider = Host(new() { ["Outbox:PublishedRetention"] = "2.00:00:00", ["Outbox:BatchSize"] = "50" });

        provider.GetRequiredService<IStartupValidator>().Validate(); // valid: does not throw
        var options = provider.GetRequiredService<IOptions<OutboxOptions>>().Value;

        Assert.Equal(TimeSpan.FromDays(2), options.PublishedRetention);
        Assert.Equal(50, options.BatchSize);
        Assert.Equal(new OutboxOptions().CleanupInterval, options.CleanupInterval);
        Assert.Equal(TimeSpan.FromDays(1), new OutboxOptions().PublishedRetention);
    }

    [Fact]
    public void Invalid_outbox_settings_fail_start_up_with_a_message_naming_each_bad_setting()
    {
        using var provider = Host(new()
        {
            ["Outbox:PublishedRetention"] = "-00:05:00",
            ["Outbox:CleanupInterval"] = "00:00:00",
            ["Outbox:BatchSize"] = "0",
            ["Outbox:CleanupBatchSize"] = "-1",
            ["Outbox:IdlePoll"] = "01:00:00",
        });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Equal(typeof(OutboxOptions), error.OptionsType);
        Assert.Contains(error.Failures, f => f.Contains("Outbox:PublishedRetention must be between 00:01:00 and 3650.00:00:00", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("Outbox:CleanupInterval must be between", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("Outbox:BatchSize must be between 1 and 10000", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("Outbox:CleanupBatchSize must be between", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("Outbox:IdlePoll must be between", StringComparison.Ordinal));
    }

    [Fact]
    public void A_single_bad_setting_is_reported_alone()
    {
        using var provider = Host(new() { ["Outbox:PublishedRetention"] = "00:00:10" });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        var failure = Assert.Single(error.Failures);
        Assert.Contains("PublishedRetention", failure, StringComparison.Ordinal);
    }

    private static ServiceProvider Host(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddJobOrchestration();
        return services.BuildServiceProvider();
    }
}
