namespace FacePipeline.Media;

/// <summary>
/// A video stream's packets as the demuxer lists them, in decode order (<c>ffprobe -show_entries packet=pts,dts,flags</c>),
/// and whether they alone give the clip's frames: one decoded frame per packet, shown at the packet's own time, so that
/// the frame count and the timeline need no decode (<see cref="FramesAsPackets"/>). A track job's single-decode pass
/// decodes every frame anyway, and refuses a clip whose frames run short (<see cref="FrameRangeReader"/>), so extraction
/// need not decode such a clip a second time only to count it (issue 16: the track job's wall time).
/// </summary>
public sealed class DemuxedPackets
{
    private readonly List<long> _pts = [];
    private List<long>? _sorted;
    private string? _refused;
    private long? _firstPts;
    private long _lastDts = long.MinValue;

    /// <summary>The packets listed so far.</summary>
    public int Count { get; private set; }

    /// <summary>Why the packets do not give the frames as they are; null while they do.</summary>
    public string? NotFrames => _refused ?? (HasDuplicate(SortedPts()) ? "two packets share a presentation time" : null);

    /// <summary>Whether every packet had a presentation time (the timeline can come from the packets).</summary>
    public bool EveryPacketTimed { get; private set; } = true;

    /// <summary>
    /// True when a decoder that starts at the first packet gives exactly one frame per packet at the packet's presentation
    /// time: every packet timed (pts and dts), none discarded (an edit list's pre-roll), the first a key frame that is also
    /// the first shown (no open GOP's leading pictures, no start before the first key frame: decoders drop those), decode
    /// times strictly rising, no presentation time twice (the decoder would replace duplicates by guesses of its own) and
    /// none before its decode time. Anything else is decoded to be counted.
    /// </summary>
    public bool FramesAsPackets => Count > 0 && NotFrames is null;

    /// <summary>The kept packets' presentation times, in presentation order (the timeline's).</summary>
    public IReadOnlyList<long> SortedPts()
    {
        if (_sorted is null)
        {
            _sorted = [.. _pts];
            _sorted.Sort();
        }

        return _sorted;
    }

    /// <summary>Adds the next packet in decode order. <paramref name="flags"/> as ffprobe prints them (<c>K</c> key, <c>D</c> discard).</summary>
    public void Add(long? pts, long? dts, string flags)
    {
        ArgumentNullException.ThrowIfNull(flags);
        var first = Count == 0;
        Count++;
        _sorted = null;
        var discarded = flags.Contains('D', StringComparison.Ordinal);
        if (pts is not { } shown)
        {
            EveryPacketTimed = false;
            Refuse("a packet has no presentation time");
            return;
        }

        if (!discarded)
        {
            _pts.Add(shown);
        }

        if (_refused is not null)
        {
            return; // already decoded to be counted: the times are all that is still needed
        }

        if (discarded)
        {
            Refuse("the decoder discards some packets (an edit list's pre-roll)");
        }
        else if (dts is not { } decoded)
        {
            Refuse("a packet has no decode time");
        }
        else if (first && !flags.Contains('K', StringComparison.Ordinal))
        {
            Refuse("the stream starts before its first key frame");
        }
        else if (_firstPts is { } start && shown < start)
        {
            Refuse("frames are shown before the first key frame (an open GOP's leading pictures)");
        }
        else if (decoded <= _lastDts)
        {
            Refuse("decode times do not rise");
        }
        else if (shown < decoded)
        {
            Refuse("a packet is shown before it is decoded");
        }
        else
        {
            _lastDts = decoded;
        }

        _firstPts ??= shown;
    }

    private void Refuse(string reason) => _refused ??= reason;

    private static bool HasDuplicate(IReadOnlyList<long> sorted)
    {
        for (var i = 1; i < sorted.Count; i++)
        {
            if (sorted[i] == sorted[i - 1])
            {
                return true;
            }
        }

        return false;
    }
}
