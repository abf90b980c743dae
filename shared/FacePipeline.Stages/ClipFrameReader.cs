using FacePipeline.Contracts;
using FacePipeline.Media;
using FacePipeline.Storage;

namespace FacePipeline.Stages;

/// <summary>
/// Frames of a clip by clip-wide index, decoded straight from its upload (no frames are stored: issue 16), exactly the
/// frames a one-piece decode gives (<see cref="FrameRangeReader"/> seeks by the clip's timeline). Built for the access
/// patterns of the stages: forward runs are streamed by one ffmpeg process; a request a little ahead skips forward;
/// recent frames are kept, so reading backwards (a ping-pong target) or the same frame twice does not restart the
/// decoder each frame; anything else restarts it at the frame asked for. One reader per thread.
/// </summary>
public sealed class ClipFrameReader : IDisposable, IAsyncDisposable
{
    /// <summary>How far ahead a request may be and still be reached by decoding forward instead of seeking.</summary>
    public const int ForwardSkipLimit = 96;

    /// <summary>Memory for the frames kept behind the decoder.</summary>
    private const long RecentFramesBytes = 96L << 20;

    private readonly string _sourcePath;
    private readonly string _timelinePath;
    private readonly MediaLimits? _limits;
    private readonly Dictionary<int, byte[]> _recent = [];
    private readonly Queue<int> _recentOrder = new();
    private readonly int _recentCapacity;
    private FrameTimeline? _timeline;
    private FrameRangeReader? _decoder;

    /// <param name="keptFrames">
    /// Frames kept behind the decoder (at least 2); null: as many as <see cref="RecentFramesBytes"/> holds, at most 64. A
    /// reader of scattered frames (a retarget's donors) keeps few: it restarts for most of them anyway.
    /// </param>
    public ClipFrameReader(MediaStore store, ClipTrack clip, MediaLimits? limits = null, int? keptFrames = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(clip);
        _sourcePath = store.PathFor(clip.SourceKey);
        _timelinePath = store.PathFor(clip.TimelineKey);
        _limits = limits;
        Width = clip.Video.Width;
        Height = clip.Video.Height;
        FrameCount = clip.Video.FrameCount;
        _recentCapacity = keptFrames is { } kept ? Math.Max(2, kept) : (int)Math.Clamp(RecentFramesBytes / FrameBytes, 2, 64);
    }

    public int Width { get; }

    public int Height { get; }

    public int FrameBytes => checked(Width * Height * 3);

    public int FrameCount { get; }

    /// <summary>Times the decoder was started (a measure of how well the requests suited it; tests read it).</summary>
    public int DecoderStarts { get; private set; }

    /// <summary>Reads frame <paramref name="frame"/> of the clip into <paramref name="destination"/>.</summary>
    /// <exception cref="JobInputException">The upload stops decoding before the frame (a truncated or corrupt file).</exception>
    public async ValueTask ReadAsync(int frame, Memory<byte> destination, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(frame);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(frame, FrameCount);
        if (_recent.TryGetValue(frame, out var kept))
        {
            kept.CopyTo(destination);
            return;
        }

        if (_decoder is null || frame < _decoder.NextFrame || frame - _decoder.NextFrame > ForwardSkipLimit)
        {
            // Behind the decoder (and no longer kept) or far ahead: start again. Going backwards, start a little earlier
            // so the frames before this one are kept on the way and the next backward steps find them.
            var behind = _decoder is not null && frame < _decoder.NextFrame;
            await RestartAsync(behind ? Math.Max(0, frame - (_recentCapacity - 1)) : frame, cancellationToken);
        }

        while (true)
        {
            var index = _decoder!.NextFrame;
            var buffer = Recycle();
            bool read;
            try
            {
                read = await _decoder.ReadNextAsync(buffer, cancellationToken);
            }
            catch (MediaRejectedException refused)
            {
                throw new JobInputException(FailureCodes.Corrupt, refused.Reason, refused);
            }

            if (!read)
            {
                throw new InvalidOperationException($"The decoder ended before frame {frame} of {FrameCount}.");
            }

            Keep(index, buffer);
            if (index == frame)
            {
                buffer.CopyTo(destination);
                return;
            }
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        if (_decoder is not null)
        {
            await _decoder.DisposeAsync();
            _decoder = null;
        }

        _recent.Clear();
        _recentOrder.Clear();
    }

    private async ValueTask RestartAsync(int first, CancellationToken cancellationToken)
    {
        if (_decoder is not null)
        {
            await _decoder.DisposeAsync();
            _decoder = null;
        }

        _timeline ??= FrameTimeline.Load(_timelinePath);
        cancellationToken.ThrowIfCancellationRequested();
        _decoder = FrameRangeReader.Open(_sourcePath, _timeline, Width, Height, first, FrameCount - first, _limits);
        DecoderStarts++;
    }

    /// <summary>A buffer for the next decoded frame: the oldest kept frame's once the memory for kept frames is used up.</summary>
    private byte[] Recycle()
    {
        if (_recentOrder.Count < _recentCapacity)
        {
            return new byte[FrameBytes];
        }

        var oldest = _recentOrder.Dequeue();
        var buffer = _recent[oldest];
        _recent.Remove(oldest);
        return buffer;
    }

    private void Keep(int index, byte[] buffer)
    {
        if (_recent.Remove(index))
        {
            // A frame decoded again after a restart: the old copy's place in the order is dropped below.
            var order = _recentOrder.Where(i => i != index).ToArray();
            _recentOrder.Clear();
            foreach (var i in order)
            {
                _recentOrder.Enqueue(i);
            }
        }

        _recent[index] = buffer;
        _recentOrder.Enqueue(index);
    }
}
