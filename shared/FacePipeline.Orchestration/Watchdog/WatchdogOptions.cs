using System.ComponentModel.DataAnnotations;

namespace FacePipeline.Orchestration.Watchdog;

/// <summary>
/// Settings of the job watchdog (section <c>Watchdog</c>, e.g. <c>Watchdog__StallAfter=00:10:00</c>), validated at
/// start-up. A running job is stalled when its current stage made no progress for <see cref="StallAfter"/> plus
/// <see cref="StallPerUnit"/> for each frame (or training step) the stage still has to do.
/// </summary>
public sealed class WatchdogOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string Section = "Watchdog";

    /// <summary>How often the watchdog looks for stalled jobs. Default 30 s; 1 s to 1 hour.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "Watchdog:Interval must be between {1} and {2}.")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The least time without progress before a stage counts as stalled. Default 10 minutes (an extraction reports
    /// nothing until its clip is cut: a 30-minute upload takes a few minutes); 1 s to 1 day.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "Watchdog:StallAfter must be between {1} and {2}.")]
    public TimeSpan StallAfter { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>More time allowed per outstanding frame (or training step) of the stage. Default 2 s; 0 to 10 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "Watchdog:StallPerUnit must be between {1} and {2}.")]
    public TimeSpan StallPerUnit { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Re-sends of a stalled stage's outstanding commands with no progress in between before the job fails as a server
    /// fault. Default 3; 1 to 100.
    /// </summary>
    [Range(1, 100, ErrorMessage = "Watchdog:MaxResends must be between {1} and {2}.")]
    public int MaxResends { get; set; } = 3;

    /// <summary>How long a stage of <paramref name="outstandingUnits"/> units may go without progress.</summary>
    public TimeSpan StallLimit(int outstandingUnits) => StallAfter + (StallPerUnit * Math.Max(0, outstandingUnits));
}
