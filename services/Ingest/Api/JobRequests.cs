using System.Globalization;
using FacePipeline.Contracts;
using FacePipeline.Orchestration;
using FacePipeline.Persistence;

namespace FacePipeline.Ingest.Api;

/// <summary>
/// Reads and checks the form fields of a job submission; a problem is a message for the studio. Every field that is
/// sent is read: a value that does not parse, or is out of range, is refused, never replaced by the default.
/// </summary>
public static class JobRequests
{
    /// <summary>Gains and the intensity above this would only break faces.</summary>
    public const double MaxGain = 3;

    /// <summary>Frames per chunk a studio may ask for.</summary>
    public const int MaxChunkSize = 10_000;

    /// <summary>
    /// The largest face-point coordinate taken at submission: no video frame is this large (the frame's own size is
    /// checked once extraction measured it, <see cref="JobSettings.Misfit"/>).
    /// </summary>
    public const float MaxFacePointCoordinate = 65_535;

    /// <summary>Where a job goes in the queue (docs/batches.md, "Scheduling rules"): any kind, a single job or a batch's row.</summary>
    public static readonly IReadOnlyList<string> PlacementFields = ["class", "priority"];

    /// <summary>The fields of a track job.</summary>
    public static readonly IReadOnlyList<string> TrackFields = ["kind", "chunkSize", "maxFaces", "neutralFrame", "facePoint", .. PlacementFields];

    /// <summary>The fields of a retarget job (onto a target clip, or onto an actor's model).</summary>
    public static readonly IReadOnlyList<string> RetargetFields =
    [
        "kind", "chunkSize", "intensity", "mouthGain", "eyesGain", "browsGain", "pose", "timing", "prores", "neutral",
        "matte", "prores4444", "dnxhr",
        "sourceNeutralFrame", "targetNeutralFrame", "space", "actor", "modelVersion", .. PlacementFields,
    ];

    /// <summary>Every field POST /v1/jobs takes, whatever the kind.</summary>
    public static readonly IReadOnlyList<string> JobFields = [.. TrackFields.Union(RetargetFields, StringComparer.OrdinalIgnoreCase)];

    /// <summary>The fields of POST /v1/actors (POST /v1/actors/{id}/models: the same without 'name').</summary>
    public static readonly IReadOnlyList<string> ActorFields = ["name", "cropSize", "maxSteps", "maxMinutes", "batchSize", "chunkSize"];

    public static readonly IReadOnlyList<string> ActorModelFields = [.. ActorFields.Where(f => f != "name")];

    /// <summary>
    /// 'class' (interactive or overnight) and 'priority' (-50 last to 50 first) when sent: null for each one not sent (the
    /// single job's or the batch's default applies), or the problems.
    /// </summary>
    public static (JobPriorityClass? Class, int? Priority, string? Problem) Placement(IReadOnlyDictionary<string, string> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var problems = new List<string>();
        JobPriorityClass? priorityClass = null;
        if (fields.TryGetValue("class", out var classText))
        {
            // One of the names exactly (any case): not a number, which Enum.TryParse takes.
            if (Enum.GetNames<JobPriorityClass>().FirstOrDefault(n => n.Equals(classText, StringComparison.OrdinalIgnoreCase)) is { } known)
            {
                priorityClass = Enum.Parse<JobPriorityClass>(known);
            }
            else
            {
                problems.Add($"class must be interactive or overnight (got {ApiProblems.Quote(classText)}).");
            }
        }

        int? priority = null;
        if (fields.TryGetValue("priority", out var priorityText))
        {
            if (int.TryParse(priorityText, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var value)
                && value is >= JobPlacement.MinPriority and <= JobPlacement.MaxPriority)
            {
                priority = value;
            }
            else
            {
                problems.Add($"priority must be a whole number from {JobPlacement.MinPriority} (last) to {JobPlacement.MaxPriority} (first) (got {ApiProblems.Quote(priorityText)}).");
            }
        }

        return (priorityClass, priority, problems.Count == 0 ? null : string.Join(" ", problems));
    }

    /// <summary>The fields sent that a job of <paramref name="kind"/> does not take, as a problem (null: none).</summary>
    public static string? FieldsOutside(ClipUploadResult upload, string kind, IReadOnlyList<string> fields)
    {
        ArgumentNullException.ThrowIfNull(upload);
        var foreign = upload.Fields.Keys.Where(k => !fields.Contains(k, StringComparer.OrdinalIgnoreCase)).Order(StringComparer.Ordinal).ToList();
        return foreign.Count == 0 ? null
            : $"{(foreign.Count == 1 ? "The field" : "The fields")} {string.Join(", ", foreign.Select(f => $"'{f}'"))} {(foreign.Count == 1 ? "is not one" : "are not")} of a {kind} job; its fields: {string.Join(", ", fields)}.";
    }

    /// <summary>chunkSize when sent (1 to <see cref="MaxChunkSize"/>), else <paramref name="fallback"/>.</summary>
    public static (int ChunkSize, string? Problem) ChunkSize(ClipUploadResult upload, int fallback)
    {
        ArgumentNullException.ThrowIfNull(upload);
        return !upload.Fields.TryGetValue("chunkSize", out var text) ? (fallback, null)
            : Whole(text) is { } value and >= 1 and <= MaxChunkSize ? (value, null)
            : (fallback, $"chunkSize must be a whole number of frames from 1 to {MaxChunkSize} (got {ApiProblems.Quote(text)}).");
    }

    public static (TrackOptions? Options, string? Problem) Track(ClipUploadResult upload)
    {
        ArgumentNullException.ThrowIfNull(upload);
        var problems = new List<string>();
        if (FieldsOutside(upload, JobKinds.Track, TrackFields) is { } foreign)
        {
            problems.Add(foreign);
        }

        if (Clips(upload, ["clip"], "a track job takes one clip, in the 'clip' part") is { } clips)
        {
            problems.Add(clips);
        }

        var maxFaces = 1;
        if (upload.Fields.TryGetValue("maxFaces", out var faces))
        {
            if (Whole(faces) is { } value and >= 1 and <= TrackOptions.MaxFacesLimit)
            {
                maxFaces = value;
            }
            else
            {
                problems.Add($"maxFaces must be a whole number from 1 to {TrackOptions.MaxFacesLimit} (got {ApiProblems.Quote(faces)}).");
            }
        }

        var neutralFrame = Frame(upload, "neutralFrame", problems);
        FramePoint? facePoint = null;
        if (upload.Fields.TryGetValue("facePoint", out var point))
        {
            facePoint = Point(point);
            if (facePoint is null)
            {
                problems.Add($"facePoint must be 'x,y' in pixels of the upright frame, each from 0 to {MaxFacePointCoordinate:0}, e.g. 640,360 (got {ApiProblems.Quote(point)}).");
            }
        }

        return problems.Count == 0 ? (new TrackOptions(maxFaces, neutralFrame, facePoint), null) : (null, string.Join(" ", problems));
    }

    public static (RetargetSettings? Settings, string? Problem) Retarget(ClipUploadResult upload)
    {
        ArgumentNullException.ThrowIfNull(upload);
        var defaults = RetargetSettings.Default;
        var problems = new List<string>();
        if (FieldsOutside(upload, JobKinds.Retarget, RetargetFields) is { } foreign)
        {
            problems.Add(foreign);
        }

        var ontoActor = upload.Fields.ContainsKey("actor");
        var clips = ontoActor
            ? Clips(upload, [ClipNames.Source], "a retarget job onto an actor takes one clip, in the 'source' (performer) part, and the actor's id in 'actor'")
            : Clips(upload, [ClipNames.Source, ClipNames.Target], "a retarget job takes two clips, in the 'source' (performer) and 'target' (actor) parts, or a 'source' and an 'actor' id");
        if (clips is not null)
        {
            problems.Add(clips);
        }

        if (ontoActor && !Guid.TryParse(upload.Fields["actor"], out _))
        {
            problems.Add($"actor must be an actor id (GET /v1/actors) (got {ApiProblems.Quote(upload.Fields["actor"])}).");
        }

        if (upload.Fields.TryGetValue("modelVersion", out var versionText) && (!ontoActor || Whole(versionText) is not > 0))
        {
            problems.Add($"modelVersion must be a version number (1 or more) of the 'actor' named (got {ApiProblems.Quote(versionText)}).");
        }

        double Gain(string name, double fallback)
        {
            if (!upload.Fields.TryGetValue(name, out var text))
            {
                return fallback;
            }

            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value is >= 0 and <= MaxGain)
            {
                return value;
            }

            problems.Add($"{name} must be a number from 0 to {MaxGain} (got {ApiProblems.Quote(text)}).");
            return fallback;
        }

        T Choice<T>(string name, T fallback)
            where T : struct, Enum
        {
            if (!upload.Fields.TryGetValue(name, out var text))
            {
                return fallback;
            }

            // One of the names exactly (any case): not a number, not a comma-separated combination, which Enum.TryParse takes.
            if (Enum.GetNames<T>().FirstOrDefault(n => n.Equals(text, StringComparison.OrdinalIgnoreCase)) is { } known)
            {
                return Enum.Parse<T>(known);
            }

            problems.Add($"{name} must be one of: {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}.");
            return fallback;
        }

        bool Flag(string name, bool fallback)
        {
            if (!upload.Fields.TryGetValue(name, out var text))
            {
                return fallback;
            }

            if (bool.TryParse(text, out var value))
            {
                return value;
            }

            problems.Add($"{name} must be true or false (got {ApiProblems.Quote(text)}).");
            return fallback;
        }

        var settings = new RetargetSettings(
            Gain("intensity", defaults.Intensity),
            Gain("mouthGain", defaults.MouthGain),
            Gain("eyesGain", defaults.EyesGain),
            Gain("browsGain", defaults.BrowsGain),
            Choice("pose", defaults.Pose),
            Choice("timing", defaults.Timing),
            Flag("prores", defaults.ProRes),
            Frame(upload, "sourceNeutralFrame", problems),
            Frame(upload, "targetNeutralFrame", problems),
            Space: Choice("space", defaults.Space),
            Neutral: Choice("neutral", defaults.Neutral),
            Matte: Flag("matte", defaults.Matte),
            ProRes4444: Flag("prores4444", defaults.ProRes4444),
            Dnxhr: Flag("dnxhr", defaults.Dnxhr));
        return problems.Count == 0 ? (settings, null) : (null, string.Join(" ", problems));
    }

    /// <summary>A train-actor submission's settings: cropSize, maxSteps, maxMinutes, batchSize; and at least one clip.</summary>
    public static (TrainingSettings? Settings, string? Problem) Training(ClipUploadResult upload)
    {
        ArgumentNullException.ThrowIfNull(upload);
        var problems = new List<string>();
        if (upload.Clips.Count == 0)
        {
            problems.Add("Send the actor's footage as 'clip' (or 'clip-1' … 'clip-8').");
        }

        var defaults = TrainingSettings.Default;
        int Whole(string name, int fallback)
        {
            if (!upload.Fields.TryGetValue(name, out var text))
            {
                return fallback;
            }

            if (JobRequests.Whole(text) is { } value)
            {
                return value;
            }

            problems.Add($"{name} must be a whole number (got {ApiProblems.Quote(text)}).");
            return fallback;
        }

        double? minutes = null;
        if (upload.Fields.TryGetValue("maxMinutes", out var text))
        {
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var m))
            {
                minutes = m;
            }
            else
            {
                problems.Add($"maxMinutes must be a number (got {ApiProblems.Quote(text)}).");
            }
        }

        var settings = defaults with
        {
            CropSize = Whole("cropSize", defaults.CropSize),
            MaxSteps = Whole("maxSteps", defaults.MaxSteps),
            MaxMinutes = minutes,
            BatchSize = Whole("batchSize", defaults.BatchSize),
        };
        problems.AddRange(settings.Problems());

        return problems.Count == 0 ? (settings, null) : (null, string.Join(" ", problems));
    }

    /// <summary>A field's value as a whole number, or null when it is not sent or is not one.</summary>
    public static int? Int(ClipUploadResult upload, string name)
    {
        ArgumentNullException.ThrowIfNull(upload);
        return upload.Fields.TryGetValue(name, out var text) ? Whole(text) : null;
    }

    /// <summary>A whole number as a person writes it ("12", "+12", "-3"), in the range of an int; else null.</summary>
    private static int? Whole(string text) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : null;

    /// <summary>A frame-index field: null when not sent; a problem when it is not a whole number from 0 (its clip's length is checked once extracted).</summary>
    private static int? Frame(ClipUploadResult upload, string name, List<string> problems)
    {
        if (!upload.Fields.TryGetValue(name, out var text))
        {
            return null;
        }

        if (Whole(text) is { } frame and >= 0)
        {
            return frame;
        }

        problems.Add($"{name} must be a frame index: a whole number from 0 (got {ApiProblems.Quote(text)}).");
        return null;
    }

    private static string? Clips(ClipUploadResult upload, string[] parts, string rule) =>
        upload.Clips.Count == parts.Length && parts.All(p => upload.Clip(p) is not null) ? null : $"Wrong clips: {rule}.";

    /// <summary>'x,y': two finite numbers from 0 to <see cref="MaxFacePointCoordinate"/>; else null.</summary>
    private static FramePoint? Point(string text)
    {
        var parts = text.Split(',');
        return parts is [var x, var y] && Coordinate(x) is { } px && Coordinate(y) is { } py ? new FramePoint(px, py) : null;

        static float? Coordinate(string text) =>
            float.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && float.IsFinite(value) && value is >= 0 and <= MaxFacePointCoordinate
                ? value
                : null;
    }
}
