using FacePipeline.Contracts;
using FacePipeline.Media;
using FacePipeline.Storage;

namespace FacePipeline.Stages;

/// <summary>
/// The frame-extraction stage: probe and validate the upload (decoding it once, to nothing), measure its exact
/// per-frame timeline, keep its audio, and cut it into chunks: runs of frames that later stages decode from the upload
/// themselves. No frames are stored (issue 16). A second run of the same command rewrites the same keys.
/// </summary>
public sealed class FrameExtractionStage(MediaStore store, MediaLimits limits)
{
    /// <exception cref="JobInputException">The upload is not a usable video (its code from <see cref="FailureCodeOf"/>); the reason is for a person.</exception>
    /// <exception cref="FileNotFoundException">The upload is missing from the media store: the server's fault, not the studio's.</exception>
    public async Task<FramesExtracted> RunAsync(ExtractFrames command, CancellationToken cancellationToken)
    {
        if (!store.Exists(command.InputKey))
        {
            throw new FileNotFoundException($"The job's upload is missing from the media store ({command.InputKey}).", command.InputKey);
        }

        var folderKey = MediaKeys.ClipFolder(command.JobId, command.Clip);
        var folder = store.EnsureFolder(folderKey);
        FrameExtractionResult result;
        try
        {
            result = await FrameExtractor.ExtractAsync(
                store.PathFor(command.InputKey),
                folder,
                new FrameExtractionOptions { ChunkSize = command.ChunkSize, PassChunkSize = command.PassChunkSize, Limits = limits },
                cancellationToken);
        }
        catch (MediaRejectedException refused)
        {
            throw new JobInputException(FailureCodeOf(refused.Kind), refused.Reason, refused);
        }

        var video = new VideoInfo(
            result.Width,
            result.Height,
            result.FrameRate.Numerator,
            result.FrameRate.Denominator,
            checked((int)result.FrameCount),
            result.Duration.TotalSeconds,
            result.HasAudio);
        return new FramesExtracted(
            command.JobId,
            command.Clip,
            video,
            [.. result.Chunks.Select(c => new Contracts.FrameChunk(c.Index, checked((int)c.FirstFrame), c.FrameCount))],
            $"{folderKey}/{result.TimelineFileName}",
            result.AudioFileName is null ? null : $"{folderKey}/{result.AudioFileName}",
            result.PlanesMatrix is not null);
    }

    /// <summary>The public failure code of each way an upload is refused: declared here, so renaming a kind changes no code.</summary>
    public static string FailureCodeOf(MediaRejectionKind kind) => kind switch
    {
        MediaRejectionKind.Unreadable => FailureCodes.Unreadable,
        MediaRejectionKind.Empty => FailureCodes.Empty,
        MediaRejectionKind.Corrupt => FailureCodes.Corrupt,
        MediaRejectionKind.UnsupportedContainer => FailureCodes.UnsupportedContainer,
        MediaRejectionKind.NoVideo => FailureCodes.NoVideo,
        MediaRejectionKind.StillImage => FailureCodes.StillImage,
        MediaRejectionKind.TooLong => FailureCodes.TooLong,
        MediaRejectionKind.TooLarge => FailureCodes.TooLarge,
        MediaRejectionKind.TooManyFrames => FailureCodes.TooManyFrames,
        MediaRejectionKind.NoDecodableFrames => FailureCodes.NoDecodableFrames,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "A rejection kind without a declared failure code."),
    };
}
