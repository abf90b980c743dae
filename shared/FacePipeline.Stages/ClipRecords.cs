using FacePipeline.Contracts;
using FacePipeline.Geometry;
using FacePipeline.Retarget;
using FacePipeline.Storage;

namespace FacePipeline.Stages;

/// <summary>A clip's per-chunk face records, gathered in order and checked: every frame exactly once.</summary>
public static class ClipRecords
{
    /// <summary>Each chunk's records, in chunk order; any gap, overlap or miscount is an error, never a silent skip.</summary>
    public static async Task<List<IReadOnlyList<FrameRecord>>> GatherAsync(
        MediaStore store, IReadOnlyList<TrackChunk> chunks, int frameCount, CancellationToken cancellationToken)
    {
        var result = new List<IReadOnlyList<FrameRecord>>(chunks.Count);
        var next = 0;
        foreach (var chunk in chunks.OrderBy(c => c.Frames.Index))
        {
            cancellationToken.ThrowIfCancellationRequested();
            await using var stream = store.OpenRead(chunk.FacesKey);
            var records = TrackingBinary.Read(stream);
            for (var i = 0; i < records.Count; i++)
            {
                if (records[i].Index != next || i >= chunk.Frames.FrameCount)
                {
                    throw new InvalidDataException($"Chunk {chunk.Frames.Index} holds frame {records[i].Index} where frame {next} was expected.");
                }

                next++;
            }

            result.Add(records);
        }

        if (next != frameCount)
        {
            throw new InvalidDataException($"The chunks hold {next} frame records; the clip has {frameCount} frames.");
        }

        return result;
    }

    /// <summary>A reconstructed clip from its stored chunk records, tracks linked and filtered as for a track job (<see cref="ToRetargetClip"/>).</summary>
    public static async Task<RetargetClip> LoadForRetargetAsync(
        MediaStore store, MetricLandmarks geometry, ClipTrack clip, int? neutralFrame, CancellationToken cancellationToken)
    {
        var video = clip.Video;
        var chunks = await GatherAsync(store, clip.Chunks, video.FrameCount, cancellationToken);
        var frames = new FaceSequenceBuilder(geometry).Build(chunks, video.Width, video.Height, FaceSequenceOptions.Default);
        return ToRetargetClip(frames, geometry, video.Width, video.Height, new FrameRate(video.FrameRateNumerator, video.FrameRateDenominator), neutralFrame);
    }

    /// <summary>
    /// A clip's built face records as the retarget planner takes them: on each frame the face followed
    /// (the track seen first, else the largest), with its pose and pose-free landmarks.
    /// </summary>
    public static RetargetClip ToRetargetClip(IReadOnlyList<FrameRecord> frames, MetricLandmarks geometry, int width, int height, FrameRate rate, int? neutralFrame)
    {
        var faces = new ClipFace?[frames.Count];
        int? followed = null;
        for (var f = 0; f < frames.Count; f++)
        {
            var candidates = frames[f].Faces;
            if (candidates.Count == 0)
            {
                continue;
            }

            var face = candidates.FirstOrDefault(c => c.TrackId == followed) ?? candidates[0];
            followed = face.TrackId;
            var screen = face.Landmarks.Select(p => new Vec3(p[0], p[1], p[2])).ToArray();
            var estimate = geometry.Estimate(screen, width, height);
            faces[f] = new ClipFace(screen, estimate.Pose, estimate.PoseFreeLandmarks, face.Irises?.Select(p => new Vec3(p[0], p[1], p[2])).ToArray());
        }

        return new RetargetClip(faces, rate, width, height, neutralFrame);
    }
}
