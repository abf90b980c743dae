namespace FacePipeline.Contracts;

/// <summary>
/// Command to the reconstruction service, once every chunk of a clip is tracked: build the clip's 3D face sequence from
/// the chunks' landmark records (tracks linked across chunks, landmarks filtered over time, head pose, pose-free face,
/// neutral and expression per frame) and store it under <paramref name="SequenceKey"/> (.fptk).
/// </summary>
/// <param name="NeutralFrame">The frame the studio names as the actor's neutral face; null: estimated over the clip.</param>
public sealed record BuildFaceSequence(Guid JobId, ClipTrack Clip, int? NeutralFrame, string SequenceKey) : IJobMessage;
