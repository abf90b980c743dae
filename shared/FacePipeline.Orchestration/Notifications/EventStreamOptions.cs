using System.ComponentModel.DataAnnotations;

namespace FacePipeline.Orchestration.Notifications;

/// <summary>
/// Settings of the live event streams (section <c>Events</c>, e.g. <c>Events__PollInterval=00:00:00.250</c>), validated at
/// start-up.
/// </summary>
public sealed class EventStreamOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string Section = "Events";

    /// <summary>
    /// How often an open stream looks for new events (one indexed query per open stream). Default 250 ms; 10 ms to 10 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:00:10", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "Events:PollInterval must be between {1} and {2}.")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// The longest a stream stays silent: after it, a <c>: keep-alive</c> comment goes out, so that proxies do not close
    /// a stream of a job that waits. Default 15 s; 1 s to 5 minutes.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "Events:KeepAlive must be between {1} and {2}.")]
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(15);
}
