using FacePipeline.Contracts;
using FacePipeline.Orchestration.Pipelines.Steps;
using FacePipeline.Persistence;

namespace FacePipeline.Orchestration.Pipelines;

/// <summary>
/// Every job kind, declared in one place: its steps in order and its outputs. Everything else about a kind's shape
/// (transitions, the stage list of a new job, the API's stage view, the coordinator's consumers and dispatch, which
/// stage a fault belongs to) is derived from these.
/// </summary>
public sealed class JobPipelines
{
    /// <summary>
    /// track = extract → reconstruct → render. A clip that decodes as exact 4:2:0 planes is decoded once: its reconstruct
    /// step tracks, draws and encodes the QC clip's segments in one pass, and the render step joins them.
    /// </summary>
    public static JobPipeline Track { get; } = new(
        JobKinds.Track,
        "One clip in: the face tracked in 3D on every frame, a QC clip, the tracking data and the blendshape curves out.",
        [new ExtractFramesStep(), new ReconstructFacesStep(onePassQc: true), new RenderTrackOutputsStep()],
        [
            new(OutputNames.QcClip, "video/mp4", "The clip with the tracked mesh drawn over it."),
            new(OutputNames.Tracking, "application/json", "Per-frame faces: landmarks, irises, pose (docs/tracking-format.md)."),
            new(OutputNames.TrackingBinary, "application/octet-stream", "The same, compact binary (.fptk)."),
            new(OutputNames.BlendshapesCsv, "text/csv", "ARKit blendshape curves as Live Link Face writes them.", Always: false),
            new(OutputNames.BlendshapesJson, "application/json", "The curves as JSON with exact times and head pose.", Always: false),
        ]);

    /// <summary>retarget = extract → reconstruct → transfer → render.</summary>
    public static JobPipeline Retarget { get; } = new(
        JobKinds.Retarget,
        "A performer's clip and a target actor's clip (or trained model) in: the actor performing the performer's expressions out.",
        [new ExtractFramesStep(), new ReconstructFacesStep(), new TransferExpressionsStep(), new RenderRetargetOutputsStep()],
        [
            new(OutputNames.Transfer, "application/json", "The transferred per-frame 3D data."),
            new(OutputNames.Result, "video/mp4", "The target's footage performing the source's expressions."),
            new(OutputNames.Review, "video/mp4", "Source | target | result side by side."),
            new(OutputNames.ResultProRes, "video/quicktime", "The result as ProRes 422 HQ (on request).", Always: false),
            new(OutputNames.Matte, "video/quicktime", "The region the retarget changed as a soft matte, frame for frame with the result (unless turned off).", Always: false),
            new(OutputNames.ResultProRes4444, "video/quicktime", "The result as ProRes 4444 with the matte as alpha (on request).", Always: false),
            new(OutputNames.ResultDnxhr, "video/quicktime", "The result as DNxHR HQ (on request).", Always: false),
            new(OutputNames.BlendshapesCsv, "text/csv", "The transferred expression's blendshape curves (Live Link Face CSV).", Always: false),
            new(OutputNames.BlendshapesJson, "application/json", "The same curves as JSON.", Always: false),
            new(OutputNames.Qc, "application/json", "The result tracked again and measured against the performer and the actor, with a verdict."),
        ],
        job => JobSettings.Retarget(job));

    /// <summary>train-actor = extract → reconstruct → train.</summary>
    public static JobPipeline TrainActor { get; } = new(
        JobKinds.TrainActor,
        "An actor's clips in: a version of the actor's neural renderer out.",
        [new ExtractFramesStep(), new ReconstructFacesStep(), new TrainActorModelStep()],
        [
            new(ActorModelFiles.Generator, "application/octet-stream", "The trained generator (ONNX)."),
            new(ActorModelFiles.Preview, "image/png", "Held-out frames: the actor's footage beside the renderer's."),
        ],
        job => JobSettings.Training(job.Settings));

    /// <summary>
    /// track with every clip on the staged path (<see cref="TrackQcPath.Segments"/>): chunks tracked side by side, the QC
    /// clip rendered in segments by the Rendering workers, then joined. The same stages, messages and outputs as
    /// <see cref="Track"/>.
    /// </summary>
    public static JobPipeline TrackInSegments { get; } = new(
        JobKinds.Track, Track.Summary, [new ExtractFramesStep(), new ReconstructFacesStep(), new RenderTrackOutputsStep()], Track.Outputs);

    /// <summary>The kinds this house runs.</summary>
    public static JobPipelines Default { get; } = new([Track, Retarget, TrainActor]);

    /// <summary>The kinds this house runs, its track jobs' exact-planes clips getting their QC clip by <paramref name="trackQc"/>.</summary>
    public static JobPipelines For(TrackQcPath trackQc) => trackQc switch
    {
        TrackQcPath.SingleDecodePass => Default,
        TrackQcPath.Segments => new([TrackInSegments, Retarget, TrainActor]),
        _ => throw new ArgumentOutOfRangeException(nameof(trackQc), trackQc, "Pipelines:TrackQc must be SingleDecodePass or Segments."),
    };

    private readonly Dictionary<string, JobPipeline> _byKind;
    private readonly Dictionary<Type, string> _stageOfMessage = [];

    public JobPipelines(IReadOnlyList<JobPipeline> pipelines)
    {
        Kinds = pipelines;
        _byKind = pipelines.ToDictionary(p => p.Kind, StringComparer.Ordinal);
        foreach (var pipeline in pipelines)
        {
            foreach (var step in pipeline.Steps)
            {
                foreach (var type in step.Commands.Concat(step.Completions).Append(step.Progress).OfType<Type>())
                {
                    if (_stageOfMessage.TryGetValue(type, out var stage) && stage != step.Name)
                    {
                        throw new ArgumentException($"{type.Name} belongs to the stage '{stage}' in one kind and '{step.Name}' in kind '{pipeline.Kind}': a message must name one stage.");
                    }

                    _stageOfMessage[type] = step.Name;
                }
            }
        }
    }

    public IReadOnlyList<JobPipeline> Kinds { get; }

    /// <summary>The pipeline of a kind; throws for a kind this house does not run (a bug: kinds come from here).</summary>
    public JobPipeline For(string kind) =>
        _byKind.TryGetValue(kind, out var pipeline) ? pipeline : throw new InvalidOperationException($"No pipeline is declared for job kind '{kind}'.");

    public bool Declares(string kind) => _byKind.ContainsKey(kind);

    /// <summary>Every command the steps send.</summary>
    public IEnumerable<Type> Commands => Kinds.SelectMany(p => p.Steps).SelectMany(s => s.Commands).Distinct();

    /// <summary>Every event that completes a step's work.</summary>
    public IEnumerable<Type> Completions => Kinds.SelectMany(p => p.Steps).SelectMany(s => s.Completions).Distinct();

    /// <summary>Every advisory progress event.</summary>
    public IEnumerable<Type> ProgressEvents => Kinds.SelectMany(p => p.Steps).Select(s => s.Progress).OfType<Type>().Distinct();

    /// <summary>A step's message type by its full name (what the outbox stores), or null.</summary>
    public Type? MessageType(string fullName) => _stageOfMessage.Keys.FirstOrDefault(t => t.FullName == fullName);

    /// <summary>The stage a command or event belongs to (the same in every kind).</summary>
    public string StageOf(Type messageType) =>
        _stageOfMessage.TryGetValue(messageType, out var stage) ? stage : throw new InvalidOperationException($"{messageType.Name} is not a step's message.");
}
