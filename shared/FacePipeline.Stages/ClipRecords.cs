using System.Runtime.CompilerServices;
using FacePipeline.Contracts;
using FacePipeline.Geometry;
using FacePipeline.Retarget;
using FacePipeline.Storage;

namespace FacePipeline.Stages;

/// <summary>A clip's per-chunk face records, gathered in order and checked: every frame exactly once.</summary>
public static class ClipRecords
{
    /// <summary>Each chunk's records, in chunk order; any gap, overlap or miscount is an error, never a silent skip.</summary>
    public static Task<List<IReadOnlyList<FrameRecord>>> GatherAsync(
        MediaStore store, IReadOnlyList<TrackChunk> chunks, int frameCount, CancellationToken cancellationToken) =>
        Task.FromResult<List<IReadOnlyList<FrameRecord>>>([.. ReadChunks(store, chunks, frameCount, cancellationToken)]);

    /// <summary>
    /// Each chunk's records, in chunk order, one chunk read at a time as the caller reaches it (issue 16), checked as
    /// <see cref="GatherAsync"/> checks them: a gap or an overlap throws at the chunk, a miscount after the last.
    /// </summary>
    public static IEnumerable<IReadOnlyList<FrameRecord>> ReadChunks(MediaStore store, IReadOnlyList<TrackChunk> chunks, int frameCount, CancellationToken cancellationToken) =>
        StreamChunks(store, chunks, frameCount, cancellationToken).Select(chunk => (IReadOnlyList<FrameRecord>)[.. chunk]);

    /// <summary>
    /// Each chunk's records, in chunk order, each chunk's frames read one at a time as the caller reaches them (the
    /// sequence build: no chunk is held whole, so its frames die young), checked as <see cref="ReadChunks"/> checks them.
    /// Each chunk must be read to its end before the next is asked for.
    /// </summary>
    public static IEnumerable<IEnumerable<FrameRecord>> StreamChunks(MediaStore store, IReadOnlyList<TrackChunk> chunks, int frameCount, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(chunks);
        var next = new StrongBox<int>(0);
        foreach (var chunk in chunks.OrderBy(c => c.Frames.Index))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return ChunkFrames(store, chunk, next);
        }

        if (next.Value != frameCount)
        {
            throw new InvalidDataException($"The chunks hold {next.Value} frame records; the clip has {frameCount} frames.");
        }
    }

    private static IEnumerable<FrameRecord> ChunkFrames(MediaStore store, TrackChunk chunk, StrongBox<int> next)
    {
        using var reader = new TrackingBinaryReader(store.OpenRead(chunk.FacesKey));
        for (var i = 0; reader.ReadNext() is { } record; i++)
        {
            if (record.Index != next.Value || i >= chunk.Frames.FrameCount)
            {
                throw new InvalidDataException($"Chunk {chunk.Frames.Index} holds frame {record.Index} where frame {next.Value} was expected.");
            }

            next.Value++;
            yield return record;
        }
    }

    /// <summary>
    /// A clip's 3D face sequence as the reconstruction service built it (<see cref="FaceSequenceStage"/>), checked: every
    /// frame exactly once, in order. A clip whose sequence was never built (<see cref="ClipTrack.SequenceKey"/> null: a
    /// tool running the stages by hand) gets it built here from its chunks, the same way. Holds the whole clip: the
    /// services read it a frame at a time instead (<see cref="FaceSequence"/>).
    /// </summary>
    public static Task<List<FrameRecord>> LoadSequenceAsync(
        MediaStore store, MetricLandmarks geometry, ClipTrack clip, FaceSequenceOptions options, CancellationToken cancellationToken)
    {
        using var sequence = FaceSequence.Open(store, geometry, clip, options, cancellationToken);
        return Task.FromResult<List<FrameRecord>>([.. sequence.Frames(cancellationToken)]);
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
    /// A clip's followed face per frame (<see cref="ToRetargetClip"/>), read from its sequence a frame at a time and kept
    /// in a temporary file in <paramref name="spillDirectory"/> (issue 16: memory flat in length); dispose it once the
    /// clip is no longer read.
    /// </summary>
    public static SpilledClipFaces SpillForRetarget(MediaStore store, MetricLandmarks geometry, ClipTrack clip, string? spillDirectory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clip);
        var video = clip.Video;
        using var sequence = FaceSequence.Open(store, geometry, clip, FaceSequenceOptions.Default, cancellationToken);
        var follower = new FollowedFace(geometry, video.Width, video.Height);
        return SpilledClipFaces.Write(sequence.Frames(cancellationToken).Select(follower.Next), directory: spillDirectory);
    }

    /// <summary>
    /// A clip's followed face per frame (<see cref="ToRetargetClip"/>) read from its sequence as it is asked for, with no
    /// copy (<see cref="SequenceClipFaces"/>): for consumers that read the frames in order (issue 16: no working copy of
    /// the clip's faces beside the outputs). Dispose it once the clip is no longer read.
    /// </summary>
    public static SequenceClipFaces ReadForRetarget(MediaStore store, MetricLandmarks geometry, ClipTrack clip, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clip);
        var video = clip.Video;
        return SequenceClipFaces.Open(FaceSequence.Open(store, geometry, clip, FaceSequenceOptions.Default, cancellationToken), geometry, video.Width, video.Height, cancellationToken);
    }

    /// <summary>The planner's clip of faces kept by <see cref="SpillForRetarget"/> or read by <see cref="ReadForRetarget"/>.</summary>
    public static RetargetClip RetargetClipOf(IReadOnlyList<ClipFace?> faces, ClipTrack clip, int? neutralFrame)
    {
        ArgumentNullException.ThrowIfNull(clip);
        var video = clip.Video;
        return new RetargetClip(faces, new FrameRate(video.FrameRateNumerator, video.FrameRateDenominator), video.Width, video.Height, neutralFrame);
    }

    /// <summary>
    /// A clip's built face records as the retarget planner takes them: on each frame the face followed
    /// (the track seen first, else the largest), with its pose and pose-free landmarks.
    /// </summary>
    public static RetargetClip ToRetargetClip(IReadOnlyList<FrameRecord> frames, MetricLandmarks geometry, int width, int height, FrameRate rate, int? neutralFrame)
    {
        ArgumentNullException.ThrowIfNull(frames);
        var follower = new FollowedFace(geometry, width, height);
        var faces = new ClipFace?[frames.Count];
        for (var f = 0; f < frames.Count; f++)
        {
            faces[f] = follower.Next(frames[f]);
        }

        return new RetargetClip(faces, rate, width, height, neutralFrame);
    }
}

/// <summary>
/// The face a retarget follows through a clip's frames, one frame after the other (<see cref="ClipRecords.ToRetargetClip"/>):
/// the track seen on the frame before, else the largest; with its pose and pose-free landmarks.
/// </summary>
public sealed class FollowedFace(MetricLandmarks geometry, int width, int height)
{
    private int? _followed;

    /// <summary>The followed face on the next frame, or null when it shows none.</summary>
    public ClipFace? Next(FrameRecord frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var candidates = frame.Faces;
        if (candidates.Count == 0)
        {
            return null;
        }

        var face = candidates.FirstOrDefault(c => c.TrackId == _followed) ?? candidates[0];
        _followed = face.TrackId;
        var screen = face.Landmarks.Select(p => new Vec3(p[0], p[1], p[2])).ToArray();
        var estimate = geometry.Estimate(screen, width, height);
        return new ClipFace(screen, estimate.Pose, estimate.PoseFreeLandmarks, face.Irises?.Select(p => new Vec3(p[0], p[1], p[2])).ToArray());
    }
}

/// <summary>
/// A clip's 3D face sequence on file (<see cref="ClipTrack.SequenceKey"/>), read a frame at a time, as often as needed
/// (issue 16: memory flat in length). Each pass checks every frame is there once, in order. A clip without a stored
/// sequence (a tool running the stages by hand) has it built into a temporary file, removed on dispose.
/// </summary>
public sealed class FaceSequence : IDisposable
{
    private readonly Func<Stream> _open;
    private readonly string _clip;
    private readonly string? _temporary;

    private FaceSequence(Func<Stream> open, string clip, int frameCount, string? temporary)
    {
        _open = open;
        _clip = clip;
        FrameCount = frameCount;
        _temporary = temporary;
    }

    /// <summary>Frames in the sequence (the clip's).</summary>
    public int FrameCount { get; }

    /// <summary>The clip's sequence, checked against the clip's frame count; built now when it was never stored.</summary>
    public static FaceSequence Open(MediaStore store, MetricLandmarks geometry, ClipTrack clip, FaceSequenceOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(geometry);
        ArgumentNullException.ThrowIfNull(clip);
        var video = clip.Video;
        if (clip.SequenceKey is { } key)
        {
            int count;
            using (var stream = store.OpenRead(key))
            using (var reader = new TrackingBinaryReader(stream))
            {
                count = reader.FrameCount;
            }

            return count == video.FrameCount
                ? new FaceSequence(() => store.OpenRead(key), clip.Clip, count, null)
                : throw new InvalidDataException($"The {clip.Clip} clip's face sequence holds {count} frames; the clip has {video.FrameCount}.");
        }

        var path = Path.Combine(Path.GetTempPath(), $"facepipe-sequence-{Guid.NewGuid():N}.fptk");
        try
        {
            using (var file = File.Create(path))
            using (var writer = new TrackingBinaryWriter(file, video.FrameCount))
            {
                new FaceSequenceBuilder(geometry).Build(
                    () => ClipRecords.StreamChunks(store, clip.Chunks, video.FrameCount, cancellationToken), video.Width, video.Height, options, writer.Write);
                writer.Complete();
            }

            return new FaceSequence(() => File.OpenRead(path), clip.Clip, video.FrameCount, path);
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    /// <summary>A sequence file held elsewhere (a test, a tool): read as it is, its frame count from its header.</summary>
    public static FaceSequence FromFile(string path, string clip = "source")
    {
        int count;
        using (var reader = new TrackingBinaryReader(File.OpenRead(path)))
        {
            count = reader.FrameCount;
        }

        return new FaceSequence(() => File.OpenRead(path), clip, count, null);
    }

    /// <summary>Every frame, in order, read as the caller reaches it; a frame out of place throws.</summary>
    public IEnumerable<FrameRecord> Frames(CancellationToken cancellationToken = default)
    {
        using var reader = new TrackingBinaryReader(_open());
        if (reader.FrameCount != FrameCount)
        {
            throw new InvalidDataException($"The {_clip} clip's face sequence holds {reader.FrameCount} frames; the clip has {FrameCount}.");
        }

        for (var f = 0; f < FrameCount; f++)
        {
            if ((f & 255) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }

            var frame = reader.ReadNext()!;
            if (frame.Index != f)
            {
                throw new InvalidDataException($"The {_clip} clip's face sequence holds frame {frame.Index} where frame {f} was expected.");
            }

            yield return frame;
        }
    }

    /// <summary>
    /// The frames as a list read forwards only (each index at or after the last one asked for): for a consumer that walks
    /// the clip once by index. Holds one frame.
    /// </summary>
    public IReadOnlyList<FrameRecord> Forward(CancellationToken cancellationToken = default) => new ForwardFrames(this, cancellationToken);

    public void Dispose()
    {
        if (_temporary is not null)
        {
            File.Delete(_temporary);
        }
    }

    private sealed class ForwardFrames(FaceSequence sequence, CancellationToken cancellationToken) : IReadOnlyList<FrameRecord>
    {
        private IEnumerator<FrameRecord>? _frames;
        private FrameRecord? _current;
        private int _position = -1;

        public int Count => sequence.FrameCount;

        public FrameRecord this[int index]
        {
            get
            {
                ArgumentOutOfRangeException.ThrowIfNegative(index);
                ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
                if (index < _position)
                {
                    throw new InvalidOperationException($"Frame {index} was asked for after frame {_position}: these frames are read forwards only.");
                }

                _frames ??= sequence.Frames(cancellationToken).GetEnumerator();
                while (_position < index)
                {
                    _current = _frames.MoveNext() ? _frames.Current : throw new InvalidDataException("The face sequence ended early.");
                    _position++;
                }

                return _current!;
            }
        }

        public IEnumerator<FrameRecord> GetEnumerator() => sequence.Frames(cancellationToken).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
