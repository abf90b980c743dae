using System.ComponentModel.DataAnnotations;

namespace FacePipeline.Orchestration.Retention;

/// <summary>
/// How long the media store keeps what a job leaves (section <c>Retention</c>, e.g. <c>Retention__JobMedia=90.00:00:00</c>),
/// validated at start-up (docs/retention.md). Faces are biometric data: a track or retarget job's working data (raw
/// frames, face records) goes when the job ends, its inputs and outputs after <see cref="JobMedia"/>. A train-actor job's
/// clips are the actor's footage and stay as long as the actor.
/// </summary>
public sealed class RetentionOptions : IValidatableObject
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string Section = "Retention";

    /// <summary>
    /// How long an ended track or retarget job's inputs and outputs stay in the media store (counted from its end). Then
    /// the sweeper deletes everything under the job's prefix; the job's row stays, and its outputs answer 410 Gone.
    /// Default 30 days; 1 hour to 3650 days.
    /// </summary>
    [Range(typeof(TimeSpan), "01:00:00", "3650.00:00:00", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "Retention:JobMedia must be between {1} and {2} (a duration such as 30.00:00:00 for 30 days).")]
    public TimeSpan JobMedia { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// How long an ended track or retarget job's working data (raw frames and face records) stays. Default 0: deleted as
    /// the job ends (by the coordinator, right after the job's end is committed; the sweeper catches up on any it
    /// missed). 0 to 30 days, and never longer than <see cref="JobMedia"/>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "30.00:00:00", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "Retention:WorkingData must be between {1} and {2} (00:00:00: deleted as the job ends).")]
    public TimeSpan WorkingData { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// How long after a job ends, or after a job or actor is deleted, the sweeper keeps removing files that work still in
    /// flight writes there (a chunk being extracted or tracked when the job was cancelled, a training's last
    /// checkpoint). Default 1 hour; 1 minute to 7 days.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "Retention:LateWorkWindow must be between {1} and {2}.")]
    public TimeSpan LateWorkWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How long job and batch events (table job_events: what the live streams replay and the webhooks were made from) are
    /// kept; older ones are deleted by the sweeper, with their webhook deliveries (the delivery log). A job's events also
    /// go when the job is deleted. Default 30 days; 1 hour to 3650 days.
    /// </summary>
    [Range(typeof(TimeSpan), "01:00:00", "3650.00:00:00", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "Retention:Events must be between {1} and {2} (a duration such as 30.00:00:00 for 30 days).")]
    public TimeSpan Events { get; set; } = TimeSpan.FromDays(30);

    /// <summary>How often the sweeper looks. Default 10 minutes; 1 second to 1 day.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "Retention:SweepInterval must be between {1} and {2}.")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Jobs one query of the sweeper takes at once (it queries again while it finds full batches). Default 200; 1 to 10000.</summary>
    [Range(1, 10_000, ErrorMessage = "Retention:BatchSize must be between {1} and {2}.")]
    public int BatchSize { get; set; } = 200;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (WorkingData > JobMedia)
        {
            yield return new ValidationResult(
                $"Retention:WorkingData ({WorkingData}) must not be longer than Retention:JobMedia ({JobMedia}): a job's frames and face records never outlive its inputs and outputs.",
                [nameof(WorkingData), nameof(JobMedia)]);
        }
    }
}
