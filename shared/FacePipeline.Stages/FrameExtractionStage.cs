using FacePipeline.Contracts;
using FacePipeline.Media;
using FacePipeline.Storage;

namespace FacePipeline.Stages;

/// <summary>
/// The frame-extraction stage: probe and validate the upload, split it into raw RGB24 chunks in the
/// media store, keep the timeline and the audio. A second run of the same command rewrites the
/// same keys.
/// </summary>
public sealed class FrameExtractionStage(MediaStore store, MediaLimits limits)
{
    /// <exception cref="MediaRejectedException">The upload is not a usable video; the reason is for a person.</exception>
    public async Task<FramesExtracted> RunAsync(ExtractFrames command, CancellationToken cancellationToken)
    {
        if (!store.Exists(command.InputKey))
        {
            throw new MediaRejectedException($"The uploaded clip is missing from the media store ({command.InputKey}).");
        }

        var folderKey = MediaKeys.FramesFolder(command.JobId, command.Clip);
        var folder = store.EnsureFolder(folderKey);
        var result = await FrameExtractor.ExtractAsync(
            store.PathFor(command.InputKey),
            folder,
            new FrameExtractionOptions { ChunkSize = command.ChunkSize, Limits = limits },
            cancellationToken);

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
            [.. result.Chunks.Select(c => new Contracts.FrameChunk(c.Index, checked((int)c.FirstFrame), c.FrameCount, $"{folderKey}/{c.FileName}"))],
            $"{folderKey}/{result.TimelineFileName}",
            result.AudioFileName is null ? null : $"{folderKey}/{result.AudioFileName}");
    }
}
