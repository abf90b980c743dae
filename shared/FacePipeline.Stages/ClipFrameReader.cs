using FacePipeline.Contracts;
using FacePipeline.Media;
using FacePipeline.Storage;

namespace FacePipeline.Stages;

/// <summary>
/// Random access to a clip's extracted frames by clip-wide index, across its chunk files (raw RGB24).
/// Keeps the chunk files it has opened; one reader per thread.
/// </summary>
public sealed class ClipFrameReader(MediaStore store, ClipTrack clip) : IDisposable
{
    private readonly TrackChunk[] _chunks = [.. clip.Chunks.OrderBy(c => c.Frames.FirstFrame)];
    private readonly Dictionary<int, RawFrameChunk> _open = [];

    public int Width => clip.Video.Width;

    public int Height => clip.Video.Height;

    public int FrameBytes => checked(Width * Height * 3);

    public int FrameCount => clip.Video.FrameCount;

    /// <summary>Reads frame <paramref name="frame"/> of the clip into <paramref name="destination"/>.</summary>
    public async ValueTask ReadAsync(int frame, Memory<byte> destination, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(frame);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(frame, FrameCount);
        var chunk = _chunks.Last(c => c.Frames.FirstFrame <= frame);
        if (!_open.TryGetValue(chunk.Frames.Index, out var raw))
        {
            _open[chunk.Frames.Index] = raw = RawFrameChunk.Open(store.PathFor(chunk.Frames.FramesKey), Width, Height);
        }

        await raw.ReadFrameAsync(frame - chunk.Frames.FirstFrame, destination, cancellationToken);
    }

    public void Dispose()
    {
        foreach (var raw in _open.Values)
        {
            raw.Dispose();
        }

        _open.Clear();
    }
}
