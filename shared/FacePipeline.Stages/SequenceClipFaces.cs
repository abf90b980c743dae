using System.Collections;
using FacePipeline.Geometry;
using FacePipeline.Retarget;

namespace FacePipeline.Stages;

/// <summary>
/// A clip's followed face per frame (<see cref="FollowedFace"/>, as <see cref="ClipRecords.ToRetargetClip"/> gives it)
/// read from the clip's 3D face sequence on file as it is asked for, without a copy anywhere (issue 16: the media store
/// holds the inputs, the outputs and a bounded working set). Which frames have a face is found by one pass when it opens
/// (a bit a frame); a face is built when its frame is reached. Asking for frames in order (the QC's measure, the identity
/// check's references, the curves' eyes) reads the sequence once; asking for an earlier frame than the last reads it again
/// from the start, as the followed face depends on every frame before. Not thread-safe.
/// </summary>
public sealed class SequenceClipFaces : IReadOnlyList<ClipFace?>, IFacePresence, IDisposable
{
    private readonly FaceSequence _sequence;
    private readonly MetricLandmarks _geometry;
    private readonly int _width;
    private readonly int _height;
    private readonly CancellationToken _cancellationToken;
    private readonly BitArray _present;
    private IEnumerator<FrameRecord>? _frames;
    private FollowedFace? _follower;
    private ClipFace? _current;
    private int _position = -1;

    private SequenceClipFaces(FaceSequence sequence, MetricLandmarks geometry, int width, int height, CancellationToken cancellationToken)
    {
        _sequence = sequence;
        _geometry = geometry;
        _width = width;
        _height = height;
        _cancellationToken = cancellationToken;
        _present = new BitArray(sequence.FrameCount);
        foreach (var frame in sequence.Frames(cancellationToken))
        {
            if (frame.Faces.Count > 0)
            {
                _present[frame.Index] = true;
                FaceCount++;
            }
        }
    }

    /// <summary>Frames.</summary>
    public int Count => _sequence.FrameCount;

    /// <summary>Frames with a face.</summary>
    public int FaceCount { get; }

    /// <summary>How many times the sequence was read from its start to answer the indexer (1 for in-order use).</summary>
    public int Passes { get; private set; }

    /// <summary>Frame <paramref name="index"/>'s followed face, or null.</summary>
    public ClipFace? this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            if (index < _position)
            {
                _frames?.Dispose();
                _frames = null;
            }

            if (_frames is null)
            {
                _frames = _sequence.Frames(_cancellationToken).GetEnumerator();
                _follower = new FollowedFace(_geometry, _width, _height);
                _position = -1;
                Passes++;
            }

            while (_position < index)
            {
                _current = _follower!.Next(_frames.MoveNext() ? _frames.Current : throw new InvalidDataException("The face sequence ended early."));
                _position++;
            }

            return _current;
        }
    }

    /// <summary>The clip's faces through <paramref name="sequence"/>, which it owns from now on (disposing this disposes it).</summary>
    public static SequenceClipFaces Open(FaceSequence sequence, MetricLandmarks geometry, int width, int height, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sequence);
        ArgumentNullException.ThrowIfNull(geometry);
        try
        {
            return new SequenceClipFaces(sequence, geometry, width, height, cancellationToken);
        }
        catch
        {
            sequence.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public bool HasFace(int frame) => _present[frame];

    /// <summary>Every frame's followed face, in order: a pass of its own, apart from the indexer's.</summary>
    public IEnumerator<ClipFace?> GetEnumerator()
    {
        var follower = new FollowedFace(_geometry, _width, _height);
        foreach (var frame in _sequence.Frames(_cancellationToken))
        {
            yield return follower.Next(frame);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose()
    {
        _frames?.Dispose();
        _sequence.Dispose();
    }
}
