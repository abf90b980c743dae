namespace FacePipeline.Stages;

/// <summary>
/// Decoded frames a retarget's renderer takes texture from (donor frames, resting frames), kept by frame index: at most
/// <see cref="Capacity"/> of them; when full, the frame used longest ago makes room. Donors repeat (the widest-open mouth
/// again and again) while others come and go, so the frequent ones stay instead of all being dropped at once. A frame
/// handed out stays valid after <see cref="GetAsync"/> evicts it (eviction drops the cache's reference; that buffer is
/// never reused), so every donor of one output frame can be held at once whatever the capacity. A renderer that knows
/// the frames it will want (<see cref="TextureWindowPlanner"/>) loads them together with <see cref="KeepOnlyAsync"/>, in
/// ascending order; the frames a window drops lend their buffers to the frames decoded next, so a long job decodes into
/// the same at most <see cref="Capacity"/> buffers instead of a new large array per frame (which the server GC's large
/// object heap would hold on to). Pixels handed out before <see cref="KeepOnlyAsync"/> are therefore valid after it only
/// for the frames it keeps. Not thread-safe: one per renderer.
/// </summary>
public sealed class TextureFrameCache
{
    private readonly int _frameBytes;
    private readonly Func<int, Memory<byte>, CancellationToken, ValueTask> _read;
    private readonly Dictionary<int, LinkedListNode<(int Frame, byte[] Pixels)>> _byFrame = [];
    private readonly LinkedList<(int Frame, byte[] Pixels)> _byUse = new();
    private readonly Stack<byte[]> _spare = new();

    /// <param name="capacity">Frames kept at most (≥ 1).</param>
    /// <param name="frameBytes">Bytes of one decoded frame.</param>
    /// <param name="read">Decodes a frame of the clip into the buffer given.</param>
    public TextureFrameCache(int capacity, int frameBytes, Func<int, Memory<byte>, CancellationToken, ValueTask> read)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(frameBytes, 1);
        ArgumentNullException.ThrowIfNull(read);
        Capacity = capacity;
        _frameBytes = frameBytes;
        _read = read;
    }

    /// <summary>Frames kept at most.</summary>
    public int Capacity { get; }

    /// <summary>Frames kept now.</summary>
    public int Count => _byFrame.Count;

    /// <summary>Frames that had to be decoded (not found in the cache).</summary>
    public int Misses { get; private set; }

    /// <summary>Whether frame <paramref name="frame"/> is kept now (does not count as a use).</summary>
    public bool Contains(int frame) => _byFrame.ContainsKey(frame);

    /// <summary>Frame <paramref name="frame"/>'s pixels: kept ones at once, others decoded (evicting the least recently used when full).</summary>
    public async ValueTask<byte[]> GetAsync(int frame, CancellationToken cancellationToken)
    {
        if (_byFrame.TryGetValue(frame, out var kept))
        {
            _byUse.Remove(kept);
            _byUse.AddFirst(kept);
            return kept.Value.Pixels;
        }

        var pixels = await DecodeAsync(frame, cancellationToken);
        if (_byFrame.Count >= Capacity)
        {
            var oldest = _byUse.Last!;
            _byUse.RemoveLast();
            _byFrame.Remove(oldest.Value.Frame);
        }

        _byFrame[frame] = _byUse.AddFirst((frame, pixels));
        return pixels;
    }

    /// <summary>
    /// Keeps exactly <paramref name="frames"/>: drops every other kept frame, then decodes the missing ones in ascending
    /// order (a decoder reading forward decodes them in one pass) into the dropped frames' buffers, so that
    /// <see cref="GetAsync"/> finds each of them. Pixels handed out earlier for a dropped frame are overwritten.
    /// </summary>
    /// <param name="frames">The frames wanted next, at most <see cref="Capacity"/>.</param>
    public async ValueTask KeepOnlyAsync(IReadOnlyCollection<int> frames, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(frames);
        var wanted = new SortedSet<int>(frames);
        if (wanted.Count > Capacity)
        {
            throw new ArgumentException($"{wanted.Count} frames asked to be kept, more than the cache's {Capacity}.", nameof(frames));
        }

        foreach (var frame in _byFrame.Keys.Where(f => !wanted.Contains(f)).ToList())
        {
            var dropped = _byFrame[frame];
            _byUse.Remove(dropped);
            _byFrame.Remove(frame);
            _spare.Push(dropped.Value.Pixels);
        }

        foreach (var frame in wanted.Where(f => !_byFrame.ContainsKey(f)))
        {
            _byFrame[frame] = _byUse.AddFirst((frame, await DecodeAsync(frame, cancellationToken)));
        }
    }

    /// <summary>Decodes <paramref name="frame"/> into a spare buffer (one a window dropped) or, when there is none, a new one.</summary>
    private async ValueTask<byte[]> DecodeAsync(int frame, CancellationToken cancellationToken)
    {
        var spare = _spare.TryPeek(out var pixels);
        pixels ??= new byte[_frameBytes];
        await _read(frame, pixels, cancellationToken);
        if (spare)
        {
            _spare.Pop(); // taken only once decoded: a failed decode leaves the buffer spare
        }

        Misses++;
        return pixels;
    }
}
