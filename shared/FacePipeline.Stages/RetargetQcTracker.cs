using FacePipeline.Contracts;
using FacePipeline.Face;
using FacePipeline.Retarget;
using FacePipeline.Storage;

namespace FacePipeline.Stages;

/// <summary>
/// Tracks a retarget's result frames again, in order, as a tracker follows a face (each frame's search region from the
/// face found on the one before; after a loss, from where the transfer document put the face), and turns what it sees
/// into the job's QC report (<see cref="RetargetQc"/>). With an identity embedder, a few result frames (and, afterwards,
/// the actor's and the performer's) are also described by the face-recognition network for the report's identity check.
/// One per render; not thread-safe.
/// </summary>
/// <param name="tracker">Tracks the result's frames; null for a tracker that only reads what segments' workers saw (<see cref="ReadTracked"/>).</param>
/// <param name="identity">The face-recognition network (not owned), or null: no identity check.</param>
public sealed class RetargetQcTracker(RetargetDocument document, IRenderedFaceTracker? tracker, int width, int height, FaceIdentityEmbedder? identity = null)
{
    /// <summary>Frames of each clip described for the identity check, spread evenly over the frames with a face.</summary>
    public const int IdentitySamples = 12;

    private readonly double[]?[] _result = new double[]?[document.Frames.Count];
    private readonly bool[] _tracked = new bool[document.Frames.Count];
    private readonly SortedDictionary<int, float[]> _resultIdentity = [];
    private readonly HashSet<int> _identityFrames = [.. Spread(document.FrameSummaries.Select((f, k) => (f.State, k)).Where(f => f.State == RetargetQc.FrameState.Driven).Select(f => f.k).ToList())];

    /// <summary>Result frames tracked so far (here, or read from a segment's file: <see cref="ReadTracked"/>).</summary>
    public int Tracked { get; private set; }

    /// <summary>Tracks every frame of <paramref name="frames"/> (the result, in output order).</summary>
    public Task TrackAllAsync(IAsyncEnumerable<ReadOnlyMemory<byte>> frames, CancellationToken cancellationToken) => TrackAsync(frames, 0, cancellationToken);

    /// <summary>
    /// Tracks the result's frames from <paramref name="first"/> on (one segment of it, in output order): the first
    /// frame's search region is where the transfer document put the face, as after a loss.
    /// </summary>
    public async Task TrackAsync(IAsyncEnumerable<ReadOnlyMemory<byte>> frames, int first, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentOutOfRangeException.ThrowIfNegative(first);
        if (tracker is null)
        {
            throw new InvalidOperationException("This QC tracker only reads segments' tracking.");
        }

        Point2[]? previous = null;
        var index = first;
        await foreach (var frame in frames.WithCancellation(cancellationToken))
        {
            if (index >= _result.Length)
            {
                throw new InvalidOperationException($"The result has more frames than the transfer document's {_result.Length}.");
            }

            var hint = previous ?? Expected(index);
            var seen = hint is null ? null : tracker.Track(frame.Span, width, height, hint);
            _result[index] = seen is null ? null : ExpressionFeatures.Measure(seen);
            if (identity is not null && seen is not null && _identityFrames.Contains(index))
            {
                _resultIdentity[index] = identity.Embed(frame.Span, width, height, ToLandmarks(seen));
            }

            previous = seen;
            MarkTracked(index);
            index++;
        }
    }

    /// <summary>
    /// What was seen on frames <paramref name="first"/> .. + <paramref name="count"/> − 1 (each frame's features, the identity
    /// descriptors of those frames), for the segment's file: the join reads every segment's back (<see cref="ReadTracked"/>).
    /// </summary>
    public void WriteTracked(Stream stream, int first, int count)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        writer.Write(TrackedFileMagic);
        writer.Write(first);
        writer.Write(count);
        for (var k = first; k < first + count; k++)
        {
            if (!_tracked[k])
            {
                throw new InvalidOperationException($"Result frame {k} was not tracked.");
            }

            var features = _result[k];
            writer.Write(features?.Length ?? -1);
            foreach (var value in features ?? [])
            {
                writer.Write(value);
            }
        }

        var identities = _resultIdentity.Where(e => e.Key >= first && e.Key < first + count).ToList();
        writer.Write(identities.Count);
        foreach (var (frame, descriptor) in identities)
        {
            writer.Write(frame);
            writer.Write(descriptor.Length);
            foreach (var value in descriptor)
            {
                writer.Write(value);
            }
        }
    }

    /// <summary>Takes in what a segment's worker saw (<see cref="WriteTracked"/>), as if tracked here.</summary>
    /// <exception cref="InvalidDataException">The file is not a segment's tracking, or runs past the result.</exception>
    public void ReadTracked(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        if (reader.ReadInt32() != TrackedFileMagic)
        {
            throw new InvalidDataException("Not a segment's QC tracking.");
        }

        var first = reader.ReadInt32();
        var count = reader.ReadInt32();
        if (first < 0 || count < 0 || first + count > _result.Length)
        {
            throw new InvalidDataException($"A segment's QC tracking covers frames {first}..+{count}, outside the result's {_result.Length}.");
        }

        for (var k = first; k < first + count; k++)
        {
            var length = reader.ReadInt32();
            _result[k] = length < 0 ? null : [.. Enumerable.Range(0, length).Select(_ => reader.ReadDouble())];
            MarkTracked(k);
        }

        var identities = reader.ReadInt32();
        for (var i = 0; i < identities; i++)
        {
            var frame = reader.ReadInt32();
            var length = reader.ReadInt32();
            _resultIdentity[frame] = [.. Enumerable.Range(0, length).Select(_ => reader.ReadSingle())];
        }
    }

    /// <summary>"FPQT": a segment's QC tracking file.</summary>
    private const int TrackedFileMagic = 0x54515046;

    private void MarkTracked(int index)
    {
        if (!_tracked[index])
        {
            _tracked[index] = true;
            Tracked++;
        }
    }

    /// <summary>The report, given the performer's features per source frame (null: no face).</summary>
    public RetargetQcReport Assess(IReadOnlyList<double[]?> performer, QcIdentity? identity = null)
    {
        if (Tracked != _result.Length)
        {
            throw new InvalidOperationException($"{Tracked} of {_result.Length} result frames were tracked: the QC needs them all.");
        }

        var actor = document.TargetFrames.Select(f => f.Landmarks is { } l ? ExpressionFeatures.Measure(l) : null).ToList();
        var frames = document.FrameSummaries.Select(f => new FidelityFrame(f.SourcePosition, f.TargetFrame)).ToList();
        var states = document.FrameSummaries.Select(f => f.State).ToList();
        return RetargetQc.Assess(performer, actor, _result, frames, states, identity);
    }

    /// <summary>
    /// The identity figures (<see cref="QcIdentity"/>): the result frames described while tracking against the
    /// reference descriptors of the actor's and the performer's footage (<see cref="ReferenceDescriptorsAsync"/>). Null
    /// without an embedder or when a clip has no face.
    /// </summary>
    public QcIdentity? Identity(IdentityReferences? references) =>
        references is null || _resultIdentity.Count == 0 ? null : QcIdentity.Of(references.Actor, [.. _resultIdentity.Values], references.Performer);

    /// <summary>
    /// Describes <see cref="IdentitySamples"/> frames of the actor's footage (the target clip, at their tracked
    /// landmarks) and of the performer's (<paramref name="performer"/>'s faces) with <paramref name="embedder"/>, which must
    /// not be the one this tracker describes the result with when both run at once.
    /// </summary>
    public static async Task<IdentityReferences> ReferenceDescriptorsAsync(
        RetargetDocument document, MediaStore store, ClipTrack source, ClipTrack target, RetargetClip performer, FaceIdentityEmbedder embedder, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(document);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(performer);
        ArgumentNullException.ThrowIfNull(embedder);
        // Only the frames described are kept with their points (issue 16: memory flat in length): the candidates are
        // spread first, by index, exactly as DescribeAsync spreads them (it spreads these few again, which keeps them all).
        var actorCandidates = document.TargetFrames.Where(f => f.Landmarks is not null && f.State == "tracked").Select(f => f.Index).ToList();
        var actorFrames = Spread(actorCandidates).Select(k => (Index: k, Points: document.TargetFrames[k].Landmarks!.Select(p => new Point2(p[0], p[1])).ToArray())).ToList();
        var performerCandidates = Enumerable.Range(0, performer.Frames.Count).Where(performer.Frames.HasFace).ToList();
        var performerFrames = Spread(performerCandidates).Select(k => (Index: k, Points: performer.Frames[k]!.Screen.Select(p => new Point2(p.X, p.Y)).ToArray())).ToList();
        return new IdentityReferences(
            await DescribeAsync(store, target, actorFrames, embedder, cancellationToken),
            await DescribeAsync(store, source, performerFrames, embedder, cancellationToken));
    }

    /// <summary>The performer's features per source frame, with the gaze where the face has irises.</summary>
    public static double[]?[] PerformerFeatures(RetargetClip performer)
    {
        ArgumentNullException.ThrowIfNull(performer);
        return [.. performer.Frames.Select(f => f is null ? null : ExpressionFeatures.Measure(f.Irises is { } irises ? [.. f.Screen, .. irises] : f.Screen))];
    }

    private static async Task<List<float[]>> DescribeAsync(MediaStore store, ClipTrack clip, List<(int Index, Point2[] Points)> frames, FaceIdentityEmbedder embedder, CancellationToken cancellationToken)
    {
        var descriptors = new List<float[]>();
        using var reader = new ClipFrameReader(store, clip);
        var pixels = new byte[reader.FrameBytes];
        foreach (var k in Spread(frames.Select(f => f.Index).ToList()))
        {
            var points = frames.First(f => f.Index == k).Points;
            await reader.ReadAsync(k, pixels, cancellationToken);
            descriptors.Add(embedder.Embed(pixels, reader.Width, reader.Height, ToLandmarks(points)));
        }

        return descriptors;
    }

    /// <summary>At most <see cref="IdentitySamples"/> of <paramref name="candidates"/>, evenly spread.</summary>
    private static IEnumerable<int> Spread(IReadOnlyList<int> candidates) =>
        candidates.Count <= IdentitySamples
            ? candidates
            : Enumerable.Range(0, IdentitySamples).Select(i => candidates[(int)((i + 0.5) * candidates.Count / IdentitySamples)]).Distinct();

    private static Landmark[] ToLandmarks(Point2[] points) => [.. points.Take(FaceLandmarker.LandmarkCount).Select(p => new Landmark((float)p.X, (float)p.Y, 0))];

    /// <summary>Whether an output frame drives a face, from transfer.json's states.</summary>
    public static RetargetQc.FrameState StateOf(RetargetOutputFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return frame.Target == "untracked" || frame.Destination is null ? RetargetQc.FrameState.ActorUntracked
            : frame.Source == "held" ? RetargetQc.FrameState.PerformerLost
            : RetargetQc.FrameState.Driven;
    }

    /// <summary>Where the face should be on output frame <paramref name="index"/>: its destination mesh, else the target frame's tracked face.</summary>
    private Point2[]? Expected(int index)
    {
        var frame = document.Frames[index];
        if (frame.Destination is { } destination)
        {
            return [.. destination.Select(p => new Point2(p[0], p[1]))];
        }

        return frame.TargetFrame < document.TargetFrames.Count && document.TargetFrames[frame.TargetFrame].Landmarks is { } landmarks
            ? [.. landmarks.Select(p => new Point2(p[0], p[1]))]
            : null;
    }
}

/// <summary>The identity check's reference descriptors: the actor's footage and the performer's.</summary>
public sealed record IdentityReferences(IReadOnlyList<float[]> Actor, IReadOnlyList<float[]> Performer);
