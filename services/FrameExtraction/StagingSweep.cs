using System.ComponentModel.DataAnnotations;
using FacePipeline.Media;
using FacePipeline.ServiceDefaults;
using FacePipeline.Storage;
using Microsoft.Extensions.Options;

namespace FacePipeline.FrameExtraction;

/// <summary>
/// When the staging folders of dead extractions are removed (section <c>Extraction:Staging</c>): <c>Extraction__Staging__MaxAge</c>
/// (a folder nothing has written for longer is an orphan; well above the extractor's 30 s heartbeat) and
/// <c>Extraction__Staging__SweepInterval</c> (how often each worker looks; also once at start-up).
/// </summary>
public sealed class StagingSweepOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Extraction:Staging";

    /// <summary>A staging folder unwritten for longer than this belongs to a dead extraction.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "7.00:00:00", ErrorMessage = "Extraction:Staging:MaxAge must be between 00:00:01 and 7 days (a duration such as 00:10:00).")]
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Time between sweeps.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ErrorMessage = "Extraction:Staging:SweepInterval must be between 00:00:01 and 1 day (a duration such as 00:05:00).")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// Removes the media store's orphaned extraction staging folders (<see cref="StagingSweeper"/>): at start-up and then every
/// <see cref="StagingSweepOptions.SweepInterval"/>. Safe with any number of replicas on one media volume: a live
/// extraction's folder is never stale.
/// </summary>
public sealed class StagingSweepService(MediaStore store, IOptions<StagingSweepOptions> options, ILogger<StagingSweepService> logger) : BackgroundService
{
    /// <summary>Folders levels from the media root to a staging folder: jobs/{job}/frames/{clip}/.staging-….</summary>
    private const int Depth = 4;

    /// <summary>One sweep; returns the folders removed.</summary>
    public IReadOnlyList<string> SweepOnce()
    {
        var settings = options.Value;
        var removed = StagingSweeper.Sweep(store.Root, settings.MaxAge, Depth);
        foreach (var folder in removed)
        {
            logger.LogWarning(
                "Removed the staging folder of a dead extraction, unwritten for over {MaxAge}: {Folder}",
                settings.MaxAge,
                Path.GetRelativePath(store.Root, folder));
        }

        return removed;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval);
        do
        {
            try
            {
                await Task.Run(SweepOnce, stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                logger.LogError(ex, "The staging sweep failed; it runs again in {Interval}", options.Value.SweepInterval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}

/// <summary>Registration of the staging sweep.</summary>
public static class StagingSweepRegistration
{
    /// <summary>Binds and validates <see cref="StagingSweepOptions"/> and runs <see cref="StagingSweepService"/>.</summary>
    public static IServiceCollection AddStagingSweep(this IServiceCollection services)
    {
        services.AddValidatedOptions<StagingSweepOptions>(StagingSweepOptions.Section);
        services.AddSingleton<StagingSweepService>();
        services.AddHostedService(sp => sp.GetRequiredService<StagingSweepService>());
        return services;
    }
}
