using FacePipeline.Retarget;

namespace FacePipeline.Stages;

/// <summary>
/// Tracks a retarget's result frames again, in order, as a tracker follows a face (each frame's search region from the
/// face found on the one before; after a loss, from where the transfer document put the face), and turns what it sees
/// into the job's QC report (<see cref="RetargetQc"/>). One per render; not thread-safe.
/// </summary>
public sealed class RetargetQcTracker(RetargetDocument document, IRenderedFaceTracker tracker, int width, int height)
{
    private readonly double[]?[] _result = new double[]?[document.Frames.Count];

    /// <summary>Result frames tracked so far.</summary>
    public int Tracked { get; private set; }

    /// <summary>Tracks every frame of <paramref name="frames"/> (the result, in output order).</summary>
    public async Task TrackAllAsync(IAsyncEnumerable<ReadOnlyMemory<byte>> frames, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(frames);
        Point2[]? previous = null;
        var index = 0;
        await foreach (var frame in frames.WithCancellation(cancellationToken))
        {
            if (index >= _result.Length)
            {
                throw new InvalidOperationException($"The result has more frames than the transfer document's {_result.Length}.");
            }

            var hint = previous ?? Expected(index);
            var seen = hint is null ? null : tracker.Track(frame.Span, width, height, hint);
            _result[index] = seen is null ? null : ExpressionFeatures.Measure(seen);
            previous = seen;
            index++;
            Tracked = index;
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
        var frames = document.Frames.Select(f => new FidelityFrame(f.SourcePosition, f.TargetFrame)).ToList();
        var states = document.Frames.Select(StateOf).ToList();
        return RetargetQc.Assess(performer, actor, _result, frames, states, identity);
    }

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
