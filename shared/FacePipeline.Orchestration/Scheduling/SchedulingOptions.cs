using System.ComponentModel.DataAnnotations;

namespace FacePipeline.Orchestration.Scheduling;

/// <summary>
/// How jobs are started (section <c>Scheduling</c>, e.g. <c>Scheduling__MaxRunningJobs=4</c>), validated at start-up
/// (docs/batches.md). Interactive jobs start at once, within their studio's running cap; overnight jobs start while
/// fewer than <see cref="MaxRunningJobs"/> jobs run, the studios sharing the slots by weight.
/// </summary>
public sealed class SchedulingOptions : IValidatableObject
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string Section = "Scheduling";

    /// <summary>
    /// Jobs running at once before overnight jobs wait (interactive jobs are started past it: they overtake in the
    /// broker instead). About the workers' parallelism: more only fills the queues. Default 4; 1 to 10000.
    /// </summary>
    [Range(1, 10_000, ErrorMessage = "Scheduling:MaxRunningJobs must be between {1} and {2}.")]
    public int MaxRunningJobs { get; set; } = 4;

    /// <summary>How often the scheduler looks at the queue besides when a job is submitted or ends. Default 5 s; 100 ms to 10 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "Scheduling:Interval must be between {1} and {2}.")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How far back the scheduler counts each studio's worker time when it shares the overnight slots by weight.
    /// Default 15 minutes; 1 minute to 7 days. Longer: fairer over the night, but a studio that used idle workers alone
    /// for that long then waits until a newcomer has caught up (at most this long); shorter: shares by what runs now.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "Scheduling:FairShareWindow must be between {1} and {2}.")]
    public TimeSpan FairShareWindow { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Each studio's caps unless its row sets its own.</summary>
    [Required]
    public QuotaOptions Quotas { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(Quotas, new ValidationContext(Quotas), results, validateAllProperties: true);
        return results;
    }
}

/// <summary>What a studio may use at once (section <c>Scheduling:Quotas</c>); a studio's own row overrides each.</summary>
public sealed class QuotaOptions
{
    /// <summary>Jobs of one studio running at once. Default 8; 1 to 10000.</summary>
    [Range(1, 10_000, ErrorMessage = "Scheduling:Quotas:MaxRunningJobs must be between {1} and {2}.")]
    public int MaxRunningJobs { get; set; } = 8;

    /// <summary>Jobs of one studio waiting to start. Past it a submission answers 429. Default 1000; 0 to 1000000.</summary>
    [Range(0, 1_000_000, ErrorMessage = "Scheduling:Quotas:MaxQueuedJobs must be between {1} and {2}.")]
    public int MaxQueuedJobs { get; set; } = 1000;

    /// <summary>Bytes one studio keeps in the media store (its jobs' inputs and uploads). Past it a submission answers 429. Default 1 TB.</summary>
    [Range(0L, long.MaxValue, ErrorMessage = "Scheduling:Quotas:MaxStoredBytes must not be negative.")]
    public long MaxStoredBytes { get; set; } = 1_000_000_000_000;

    /// <summary>
    /// What happens to a job submitted while its studio runs <see cref="MaxRunningJobs"/>: <c>Queue</c> (the default: it
    /// waits and starts when one ends) or <c>Refuse</c> (429).
    /// </summary>
    public RunningCapAction AtRunningCap { get; set; } = RunningCapAction.Queue;
}

public enum RunningCapAction
{
    Queue,
    Refuse,
}
