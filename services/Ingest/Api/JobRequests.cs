using System.Globalization;
using FacePipeline.Contracts;
using FacePipeline.Orchestration;

namespace FacePipeline.Ingest.Api;

/// <summary>Reads and checks the form fields of a job submission; a problem is a message for the studio.</summary>
public static class JobRequests
{
    /// <summary>Gains and the intensity above this would only break faces.</summary>
    public const double MaxGain = 3;

    public static (TrackOptions? Options, string? Problem) Track(ClipUploadResult upload)
    {
        var maxFaces = Int(upload, "maxFaces") ?? 1;
        var neutralFrame = Int(upload, "neutralFrame");
        var facePoint = Point(upload, "facePoint");
        string? problem = Clips(upload, ["clip"], "a track job takes one clip, in the 'clip' part")
            ?? (maxFaces is < 1 or > TrackOptions.MaxFacesLimit ? $"maxFaces must be between 1 and {TrackOptions.MaxFacesLimit}."
            : neutralFrame is < 0 ? "neutralFrame must be a frame index (0 or more)."
            : upload.Fields.ContainsKey("facePoint") && facePoint is null ? "facePoint must be 'x,y' in pixels of the upright frame, e.g. 640,360."
            : null);
        return problem is null ? (new TrackOptions(maxFaces, neutralFrame, facePoint), null) : (null, problem);
    }

    public static (RetargetSettings? Settings, string? Problem) Retarget(ClipUploadResult upload)
    {
        var defaults = RetargetSettings.Default;
        var problems = new List<string>();
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
            problems.Add("actor must be an actor id (GET /v1/actors).");
        }

        if (upload.Fields.ContainsKey("modelVersion") && (!ontoActor || Int(upload, "modelVersion") is not > 0))
        {
            problems.Add("modelVersion must be a version number (1 or more) of the 'actor' named.");
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

            problems.Add($"{name} must be a number from 0 to {MaxGain}.");
            return fallback;
        }

        T Choice<T>(string name, T fallback)
            where T : struct, Enum
        {
            if (!upload.Fields.TryGetValue(name, out var text))
            {
                return fallback;
            }

            if (Enum.TryParse<T>(text, ignoreCase: true, out var value) && Enum.IsDefined(value) && !int.TryParse(text, out _))
            {
                return value;
            }

            problems.Add($"{name} must be one of: {string.Join(", ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant()))}.");
            return fallback;
        }

        int? Frame(string name)
        {
            var frame = Int(upload, name);
            if (frame is < 0 || (upload.Fields.ContainsKey(name) && frame is null))
            {
                problems.Add($"{name} must be a frame index (0 or more).");
            }

            return frame;
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

            problems.Add($"{name} must be true or false.");
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
            Frame("sourceNeutralFrame"),
            Frame("targetNeutralFrame"),
            Space: Choice("space", defaults.Space),
            Neutral: Choice("neutral", defaults.Neutral));
        return problems.Count == 0 ? (settings, null) : (null, string.Join(" ", problems));
    }

    /// <summary>A train-actor submission's settings: cropSize, maxSteps, maxMinutes, batchSize; and at least one clip.</summary>
    public static (TrainingSettings? Settings, string? Problem) Training(ClipUploadResult upload)
    {
        var problems = new List<string>();
        if (upload.Clips.Count == 0)
        {
            problems.Add("Send the actor's footage as 'clip' (or 'clip-1' … 'clip-8').");
        }

        var defaults = TrainingSettings.Default;
        int Whole(string name, int fallback)
        {
            if (!upload.Fields.ContainsKey(name))
            {
                return fallback;
            }

            if (Int(upload, name) is { } value)
            {
                return value;
            }

            problems.Add($"{name} must be a whole number.");
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
                problems.Add("maxMinutes must be a number.");
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

    public static int? Int(ClipUploadResult upload, string name) =>
        upload.Fields.TryGetValue(name, out var text) && int.TryParse(text, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static string? Clips(ClipUploadResult upload, string[] parts, string rule) =>
        upload.Clips.Count == parts.Length && parts.All(p => upload.Clip(p) is not null) ? null : $"Wrong clips: {rule}.";

    private static FramePoint? Point(ClipUploadResult upload, string name)
    {
        var parts = upload.Fields.GetValueOrDefault(name)?.Split(',');
        return parts is [var x, var y]
            && float.TryParse(x, CultureInfo.InvariantCulture, out var px) && px >= 0
            && float.TryParse(y, CultureInfo.InvariantCulture, out var py) && py >= 0
            ? new FramePoint(px, py)
            : null;
    }
}
