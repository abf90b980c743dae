using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using FacePipeline.Contracts;
using FacePipeline.Persistence;

namespace FacePipeline.Orchestration;

/// <summary>A job's settings as they are stored in its row (JSON, enums by name).</summary>
public static class JobSettings
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static string Serialize(RetargetSettings settings) => JsonSerializer.Serialize(settings, Json);

    public static string Serialize(TrainingSettings settings) => JsonSerializer.Serialize(settings, Json);

    /// <summary>Any value as stored JSON (metrics of an actor model).</summary>
    public static string SerializeValue<T>(T value) => JsonSerializer.Serialize(value, Json);

    /// <summary>The training settings of a train-actor job (defaults when none were stored).</summary>
    public static TrainingSettings Training(string? text) =>
        text is { } json ? JsonSerializer.Deserialize<TrainingSettings>(json, Json) ?? TrainingSettings.Default : TrainingSettings.Default;

    /// <summary>The retarget settings of <paramref name="job"/> (defaults when none were stored).</summary>
    public static RetargetSettings Retarget(Job job) =>
        job.Settings is { } text ? JsonSerializer.Deserialize<RetargetSettings>(text, Json) ?? RetargetSettings.Default : RetargetSettings.Default;

    /// <summary>
    /// What in the job's settings does not fit <paramref name="clip"/> as extraction measured it, as one sentence the
    /// studio can act on (the job fails with <see cref="FailureCodes.BadSettings"/>); null when everything fits or the
    /// clip is not measured yet. A frame index is checked against the clip's frame count (frames are numbered from 0),
    /// a face point against its upright picture. Only what can be known once the clip is extracted: the range of each
    /// value is checked when the job is submitted.
    /// </summary>
    public static string? Misfit(Job job, JobClip clip)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(clip);
        if (clip.FrameCount is not { } frames || clip.Width is not { } width || clip.Height is not { } height)
        {
            return null;
        }

        if (job.Kind == JobKinds.Track && clip.Name == ClipNames.Source)
        {
            if (job.NeutralFrame is { } neutral && neutral >= frames)
            {
                return string.Create(CultureInfo.InvariantCulture,
                    $"The neutral frame {neutral} is beyond the clip's {frames} frames (numbered 0 to {frames - 1}): name one of its frames in neutralFrame, or leave neutralFrame out to have the neutral estimated.");
            }

            if (job.FacePointX is { } x && job.FacePointY is { } y && (x > width || y > height))
            {
                return string.Create(CultureInfo.InvariantCulture,
                    $"The face point {x},{y} is off the clip's {width}x{height} picture: give a point on it in facePoint (x from 0 to {width}, y from 0 to {height}), or leave facePoint out to follow the largest face.");
            }

            return null;
        }

        if (job.Kind == JobKinds.Retarget)
        {
            var settings = Retarget(job);
            var (field, frame) = clip.Name switch
            {
                ClipNames.Source => ("sourceNeutralFrame", settings.SourceNeutralFrame),
                ClipNames.Target => ("targetNeutralFrame", settings.TargetNeutralFrame),
                _ => (null, null),
            };
            if (field is not null && frame is { } neutral && neutral >= frames)
            {
                var which = job.ActorId is not null && clip.Name == ClipNames.Target ? "the actor's footage" : $"the {clip.Name} clip";
                return string.Create(CultureInfo.InvariantCulture,
                    $"The {clip.Name} neutral frame {neutral} is beyond the {frames} frames of {which} (numbered 0 to {frames - 1}): name one of its frames in {field}, or leave {field} out to have the neutral estimated.");
            }
        }

        return null;
    }
}
