using FacePipeline.Contracts;
using FacePipeline.Orchestration;
using FacePipeline.Persistence;
using Microsoft.EntityFrameworkCore;

namespace FacePipeline.Orchestration.Tests;

/// <summary>The stages' events as the coordinator receives them, and the commands it enqueued.</summary>
internal static class CoordinatorEvents
{
    public const int ChunkSize = 10;

    public static FramesExtracted Extracted(Guid jobId, int chunks, string clip = ClipNames.Source, bool audio = true) => new(
        jobId,
        clip,
        new VideoInfo(640, 480, 30000, 1001, chunks * ChunkSize, chunks * ChunkSize * 1001 / 30000.0, HasAudio: audio),
        [.. Enumerable.Range(0, chunks).Select(i => new FrameChunk(i, i * ChunkSize, ChunkSize))],
        $"{MediaKeys.ClipFolder(jobId, clip)}/timeline.json",
        audio ? $"{MediaKeys.ClipFolder(jobId, clip)}/audio.mka" : null);

    public static FacesReconstructed Detected(Guid jobId, int chunk, int framesWithFaces = ChunkSize, string clip = ClipNames.Source) =>
        new(jobId, clip, chunk, ChunkSize, framesWithFaces, MediaKeys.Faces(jobId, clip, chunk));

    /// <summary>The clip's 3D face sequence is built (after its last chunk).</summary>
    public static FaceSequenceBuilt Sequenced(Guid jobId, string clip = ClipNames.Source, int frames = ChunkSize, int framesWithFaces = ChunkSize) =>
        new(jobId, clip, MediaKeys.FaceSequence(jobId, clip), frames, framesWithFaces);

    /// <summary>The outbox messages of type <typeparamref name="T"/> that concern the job.</summary>
    public static async Task<List<T>> Messages<T>(JobsDbContext db, Guid jobId)
    {
        var rows = await db.Outbox.Where(m => m.MessageType == typeof(T).FullName).ToListAsync();
        return [.. rows.Select(r => Outbox.Deserialize(r)).Cast<T>().Where(m => (Guid)typeof(T).GetProperty("JobId")!.GetValue(m)! == jobId)];
    }
}
