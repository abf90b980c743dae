using System.Text.Json;
using System.Text.Json.Serialization;
using FacePipeline.Contracts;
using FacePipeline.Retarget;

namespace FacePipeline.Stages;

// The transferred per-frame 3D data of a retarget job (transfer.json), schema
// "facepipeline.retarget/v1", documented in docs/retarget.md. The rendering stage renders from it,
// and studios download it. Conventions as in tracking.json: pixels of the upright frame (origin top
// left, y down); centimetres in MediaPipe's canonical face frame for pose-free points.

/// <summary>
/// A whole retarget: the clips, the output's video facts, the two neutrals, the target's frames and the output frames;
/// the frames showing each clip's neutral, and the target's resting frames the face's texture is taken from; with irises
/// tracked on both clips, the actor's neutral gaze per eye (right, left: [across, down] in eye widths).
/// </summary>
public sealed record RetargetDocument(
    string Schema,
    RetargetInput Source,
    RetargetInput Target,
    TrackedVideo Output,
    RetargetSettings Settings,
    float[][] SourceNeutral,
    float[][] TargetNeutral,
    IReadOnlyList<RetargetTargetFrame> TargetFrames,
    IReadOnlyList<RetargetOutputFrame> Frames,
    int? SourceNeutralFrame = null,
    int? TargetNeutralFrame = null,
    IReadOnlyList<int>? TargetRestingFrames = null,
    float[][]? TargetNeutralGaze = null)
{
    public const string SchemaV1 = "facepipeline.retarget/v1";

    private readonly IReadOnlyList<OutputFrameSummary>? _frameSummaries;
    private readonly IReadOnlyList<TargetFrameSummary>? _targetSummaries;

    /// <summary>
    /// Each output frame's time and state, what a render's passes over every frame read: the transfer's index when the
    /// document was read with one (<see cref="RetargetDocumentFile"/>), else read from <see cref="Frames"/> as asked for.
    /// Set only together with the frames they summarise.
    /// </summary>
    [JsonIgnore]
    public IReadOnlyList<OutputFrameSummary> FrameSummaries
    {
        get => _frameSummaries ?? new LazyList<OutputFrameSummary>(Frames.Count, k => OutputFrameSummary.Of(Frames[k]));
        init => _frameSummaries = value;
    }

    /// <summary>Each target frame's mesh presence and openings, as <see cref="FrameSummaries"/> are for the output frames.</summary>
    [JsonIgnore]
    public IReadOnlyList<TargetFrameSummary> TargetSummaries
    {
        get => _targetSummaries ?? new LazyList<TargetFrameSummary>(TargetFrames.Count, t => TargetFrameSummary.Of(TargetFrames[t]));
        init => _targetSummaries = value;
    }

    /// <summary>How the document is written and read (camelCase, enums as camelCase strings, nulls written).</summary>
    public static JsonSerializerOptions JsonOptions => Json;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public Task WriteAsync(Stream stream, CancellationToken cancellationToken) =>
        JsonSerializer.SerializeAsync(stream, this, Json, cancellationToken);

    public static async Task<RetargetDocument> ReadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var document = await JsonSerializer.DeserializeAsync<RetargetDocument>(stream, Json, cancellationToken)
            ?? throw new InvalidDataException("Empty retarget document.");
        return document.Schema == SchemaV1 ? document : throw new InvalidDataException($"Unknown retarget document schema '{document.Schema}'.");
    }
}

/// <summary>An input clip: its file name and video facts.</summary>
public sealed record RetargetInput(string File, TrackedVideo Video);

/// <summary>A frame of the target footage as the transfer saw it.</summary>
/// <param name="Index">Frame index in the target clip.</param>
/// <param name="State">tracked, interpolated (short loss filled) or untracked.</param>
/// <param name="Landmarks">468 tracked points [x px, y px]; null when untracked.</param>
/// <param name="PoseFree">468 pose-free points [x, y, z] cm; null when untracked.</param>
/// <param name="Irises">The 10 iris points [x px, y px] (the subject's right iris, centre first, then the left) when tracked with the refined model; else null.</param>
public sealed record RetargetTargetFrame(int Index, string State, float[][]? Landmarks, float[][]? PoseFree, float[][]? Irises = null);

/// <summary>One frame of the result.</summary>
/// <param name="Index">Output frame index (at the target's frame rate).</param>
/// <param name="Time">Seconds from the start of the result.</param>
/// <param name="SourcePosition">Position on the source's frame axis (fractional between frames).</param>
/// <param name="TargetFrame">The target footage frame under this output frame.</param>
/// <param name="Source">tracked, interpolated (short loss) or held (long loss: neutral held).</param>
/// <param name="Target">tracked, interpolated or untracked (footage shown as it is).</param>
/// <param name="Pose">The head pose shown; null when the target is untracked.</param>
/// <param name="Expression">468 displacements [dx, dy, dz] cm of the transferred face from the target's neutral; null when untracked.</param>
/// <param name="Destination">468 points [x px, y px]: where the target's tracked landmarks go; null when untracked.</param>
/// <param name="Gaze">The performer's gaze offset from its neutral gaze [across, down] in eye widths, for the actor's eyes; null when a clip has no irises or the frame drives no face.</param>
public sealed record RetargetOutputFrame(
    int Index,
    double Time,
    double SourcePosition,
    int TargetFrame,
    string Source,
    string Target,
    PoseRecord? Pose,
    float[][]? Expression,
    float[][]? Destination,
    float[]? Gaze = null);
