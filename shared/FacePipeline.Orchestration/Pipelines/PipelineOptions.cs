namespace FacePipeline.Orchestration.Pipelines;

/// <summary>How a track job's QC clip is made for a clip that decodes as exact 4:2:0 planes (<see cref="PipelineOptions.TrackQc"/>).</summary>
public enum TrackQcPath
{
    /// <summary>
    /// Reconstruction's single-decode pass: the clip's chunks tracked one after another, each drawing and encoding its
    /// segment of the QC clip from the frames it decoded; Rendering only joins. The least work per clip, on one machine at
    /// a time: best when the house runs many jobs at once (docs/benchmarks.md, the N-machine model).
    /// </summary>
    SingleDecodePass,

    /// <summary>
    /// The staged path every other clip takes: chunks tracked side by side on any number of Reconstruction workers, then
    /// the QC clip rendered in 600-frame segments on any number of Rendering workers. More work (the clip decoded three
    /// times), spread over machines: best for one long clip on an idle cluster.
    /// </summary>
    Segments,
}

/// <summary>
/// How the job kinds' pipelines run where the house may choose (section <c>Pipelines</c>, e.g.
/// <c>Pipelines__TrackQc=Segments</c>), validated at start-up. Read by Ingest's coordinator when a job's clip is
/// extracted; a job already past that keeps the path it was given.
/// </summary>
public sealed class PipelineOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string Section = "Pipelines";

    /// <summary>How a track job's exact-planes clip gets its QC clip. Default <see cref="TrackQcPath.SingleDecodePass"/>.</summary>
    [System.ComponentModel.DataAnnotations.EnumDataType(typeof(TrackQcPath), ErrorMessage = "Pipelines:TrackQc must be SingleDecodePass or Segments.")]
    public TrackQcPath TrackQc { get; set; } = TrackQcPath.SingleDecodePass;
}
