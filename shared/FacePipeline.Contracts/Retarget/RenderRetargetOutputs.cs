namespace FacePipeline.Contracts;

/// <summary>
/// Command to the rendering service: render, encode and review a retarget from its transfer document; with
/// <paramref name="GeneratorKey"/> (an actor's trained neural renderer, ONNX) the face is rendered by it, else by the warp renderer;
/// with <paramref name="QcKey"/> the result is tracked again and its QC report stored there. The compositing outputs are
/// written where a key is given (null: not asked for).
/// </summary>
/// <param name="MatteKey">The soft matte of the region the retarget changed (matte.mov), frame for frame with the result.</param>
/// <param name="ProRes4444Key">The result as ProRes 4444 with the matte as alpha (result_4444.mov).</param>
/// <param name="DnxhrKey">The result as DNxHR HQ (result_dnxhr.mov).</param>
/// <param name="Segments">
/// The clips' segments, rendered by <see cref="RenderRetargetSegment"/> on any number of workers: joined here without
/// re-encoding, the QC assessed from their re-tracking. Null: every frame rendered here, in one piece.
/// </param>
public sealed record RenderRetargetOutputs(
    Guid JobId,
    ClipTrack Source,
    ClipTrack Target,
    RetargetSettings Settings,
    string TransferKey,
    string ResultKey,
    string ReviewKey,
    string? ProResKey,
    string? GeneratorKey = null,
    string? QcKey = null,
    string? MatteKey = null,
    string? ProRes4444Key = null,
    string? DnxhrKey = null,
    IReadOnlyList<RenderedSegment>? Segments = null) : IJobMessage;
