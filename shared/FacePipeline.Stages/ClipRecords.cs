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

    /// <summary>
    /// A clip's 3D face sequence as the reconstruction service built it (<see cref="FaceSequenceStage"/>), checked: every
    /// frame exactly once, in order. A clip whose sequence was never built (<see cref="ClipTrack.SequenceKey"/> null: a
    /// tool running the stages by hand) gets it built here from its chunks, the same way.
    /// </summary>
    public static async Task<List<FrameRecord>> LoadSequenceAsync(
        MediaStore store, MetricLandmarks geometry, ClipTrack clip, FaceSequenceOptions options, CancellationToken cancellationToken)
    {
        var video = clip.Video;
        if (clip.SequenceKey is not { } key)
        {
            var chunks = await GatherAsync(store, clip.Chunks, video.FrameCount, cancellationToken);
            return new FaceSequenceBuilder(geometry).Build(chunks, video.Width, video.Height, options);
        }

        List<FrameRecord> frames;
        await using (var stream = store.OpenRead(key))
        {
            frames = [.. TrackingBinary.Read(stream)];
        }

        for (var f = 0; f < frames.Count; f++)
        {
            if (frames[f].Index != f)
            {
                throw new InvalidDataException($"The {clip.Clip} clip's face sequence holds frame {frames[f].Index} where frame {f} was expected.");
            }
        }

        return frames.Count == video.FrameCount
            ? frames
            : throw new InvalidDataException($"The {clip.Clip} clip's face sequence holds {frames.Count} frames; the clip has {video.FrameCount}.");
    }

    /// <summary>A reconstructed clip's 3D face sequence (<see cref="LoadSequenceAsync"/>) as the retarget planner takes it (<see cref="ToRetargetClip"/>).</summary>
    public static async Task<RetargetClip> LoadForRetargetAsync(
        MediaStore store, MetricLandmarks geometry, ClipTrack clip, int? neutralFrame, CancellationToken cancellationToken)
    {
        var video = clip.Video;
        var frames = await LoadSequenceAsync(store, geometry, clip, FaceSequenceOptions.Default, cancellationToken);
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
