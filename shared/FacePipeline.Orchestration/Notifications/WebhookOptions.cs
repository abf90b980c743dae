using System.ComponentModel.DataAnnotations;

namespace FacePipeline.Orchestration.Notifications;

/// <summary>
/// Settings of the webhook deliveries (section <c>Webhooks</c>, e.g. <c>Webhooks__MaxAttempts=8</c>), validated at
/// start-up. A delivery that fails (no 2xx answer within <see cref="Timeout"/>) is tried again after
/// <see cref="FirstRetryDelay"/>, doubling each time up to <see cref="MaxRetryDelay"/>, with up to a fifth of jitter,
/// and given up after <see cref="MaxAttempts"/> attempts (with the defaults: about 21 minutes after the first).
/// </summary>
public sealed class WebhookOptions : IValidatableObject
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string Section = "Webhooks";

    /// <summary>
    /// How long an idle dispatcher waits before looking for due deliveries again, unless a transaction in this process
    /// wakes it first. Default 2 s; 10 ms to 1 minute.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "Webhooks:Interval must be between {1} and {2}.")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Attempts of one delivery before it is given up (its row gets GaveUpAt). Default 8; 1 to 50.</summary>
    [Range(1, 50, ErrorMessage = "Webhooks:MaxAttempts must be between {1} and {2}.")]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>The wait after the first failed attempt; each later wait doubles. Default 10 s; 1 ms to 1 hour.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "Webhooks:FirstRetryDelay must be between {1} and {2}.")]
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The longest wait between two attempts. Default 1 hour; 1 ms to 1 day, and not shorter than <see cref="FirstRetryDelay"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "Webhooks:MaxRetryDelay must be between {1} and {2}.")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long one attempt waits for the receiver's answer. Default 10 s; 100 ms to 2 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:02:00", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "Webhooks:Timeout must be between {1} and {2}.")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The most due deliveries one dispatcher claims at once. Default 20; 1 to 1000.</summary>
    [Range(1, 1000, ErrorMessage = "Webhooks:BatchSize must be between {1} and {2}.")]
    public int BatchSize { get; set; } = 20;

    /// <summary>
    /// Whether a studio may set an <c>http://</c> webhook URL. Default false: https only, so that the payloads (job
    /// states, failure reasons) and their signatures do not cross the network in clear. Tests and local setups with a
    /// receiver on loopback set it true.
    /// </summary>
    public bool AllowHttp { get; set; }

    /// <summary>
    /// The wait before attempt <paramref name="attempt"/> + 1 after attempt <paramref name="attempt"/> (from 1) failed:
    /// <see cref="FirstRetryDelay"/> doubled per earlier failure, at most <see cref="MaxRetryDelay"/>, then plus up to a
    /// fifth of itself at random (<paramref name="jitter"/>, 0 to 1), so that deliveries failing together do not all
    /// come back at once.
    /// </summary>
    public TimeSpan RetryDelay(int attempt, double jitter)
    {
        var doublings = Math.Clamp(attempt - 1, 0, 40);
        var ticks = Math.Min(FirstRetryDelay.Ticks * Math.Pow(2, doublings), MaxRetryDelay.Ticks);
        return TimeSpan.FromTicks((long)(ticks * (1 + (0.2 * Math.Clamp(jitter, 0, 1)))));
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (MaxRetryDelay < FirstRetryDelay)
        {
            yield return new ValidationResult(
                $"Webhooks:MaxRetryDelay ({MaxRetryDelay}) must not be shorter than Webhooks:FirstRetryDelay ({FirstRetryDelay}).",
                [nameof(MaxRetryDelay), nameof(FirstRetryDelay)]);
        }
    }
}
