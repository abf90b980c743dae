namespace FacePipeline.Contracts;

/// <summary>
/// Command to the reconstruction service, once every chunk of a clip is tracked: build the clip's 3D face sequence from
/// the chunks' landmark records (tracks linked across chunks, landmarks filtered over time, head pose, pose-free face,
/// neutral and expression per frame) and store it under <paramref name="SequenceKey"/> (.fptk).
/// </summary>
/// <param name="NeutralFrame">The frame the studio names as the actor's neutral face; null: estimated over the clip.</param>
/// <param name="ContinuousTracks">The chunks were tracked as one run (a track job's single-decode pass, <see cref="TrackPass"/>): their track ids are the clip's already and are not linked again at the chunks' bounds, so the sequence filters each track exactly as the pass's QC overlay did.</param>
public sealed record BuildFaceSequence(Guid JobId, ClipTrack Clip, int? NeutralFrame, string SequenceKey, bool ContinuousTracks = false) : IJobMessage;
