using System.ComponentModel.DataAnnotations;

namespace FacePipeline.Orchestration.Uploads;

/// <summary>
/// How long resumable (tus) uploads are kept (section <c>Uploads</c>, e.g. <c>Uploads__IncompleteExpiry=2.00:00:00</c>),
/// validated at start-up (docs/uploads.md). An upload's bytes are the studio's footage: an abandoned upload goes after
/// <see cref="IncompleteExpiry"/>, a completed one after <see cref="CompletedRetention"/> (jobs keep their own copy).
/// </summary>
public sealed class UploadOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string Section = "Uploads";

    /// <summary>
    /// How long an incomplete upload waits for its next bytes: it expires this long after its creation or its last PATCH
    /// (Upload-Expires tells when), then answers 410 until the sweeper deletes it. Default 24 hours; 1 second to 30 days.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "Uploads:IncompleteExpiry must be between {1} and {2} (a duration such as 1.00:00:00 for 24 hours).")]
    public TimeSpan IncompleteExpiry { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long a completed upload stays (counted from its last byte), for batches to name it. Default 7 days; 1 second to 3650 days.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "3650.00:00:00", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "Uploads:CompletedRetention must be between {1} and {2} (a duration such as 7.00:00:00 for 7 days).")]
    public TimeSpan CompletedRetention { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often the sweeper deletes expired uploads. Default 10 minutes; 1 second to 1 day.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00", ParseLimitsInInvariantCulture = true, ConvertValueInInvariantCulture = true,
        ErrorMessage = "Uploads:SweepInterval must be between {1} and {2}.")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Expired uploads one query of the sweeper takes at once (it queries again while it finds full batches). Default 200; 1 to 10000.</summary>
    [Range(1, 10_000, ErrorMessage = "Uploads:BatchSize must be between {1} and {2}.")]
    public int BatchSize { get; set; } = 200;

    /// <summary>When an upload expires after activity at <paramref name="now"/>: complete or not, as the settings say.</summary>
    public DateTimeOffset ExpiryAfter(DateTimeOffset now, bool completed) => now + (completed ? CompletedRetention : IncompleteExpiry);
}
