namespace FacePipeline.Media.Tests;

/// <summary>
/// When a clip's demuxed packets may stand for its frames (issue 16: a track job's pass clip is then not decoded a second
/// time only to be counted). Pure: packets as ffprobe lists them, in decode order.
/// </summary>
public sealed class DemuxedPacketsTests
{
    /// <summary>A closed GOP with B-frames as x264 writes it into MP4: I P B B P B B, dts starting one frame early.</summary>
    private static readonly (long Pts, long Dts, string Flags)[] ClosedGop =
        [(0, -512, "K_"), (1536, 0, "__"), (512, 512, "__"), (1024, 1024, "__"), (3072, 1536, "__"), (2048, 2048, "__"), (2560, 2560, "__")];

    private static DemuxedPackets List(IEnumerable<(long? Pts, long? Dts, string Flags)> packets)
    {
        var list = new DemuxedPackets();
        foreach (var (pts, dts, flags) in packets)
        {
            list.Add(pts, dts, flags);
        }

        return list;
    }

    private static DemuxedPackets List(IEnumerable<(long Pts, long Dts, string Flags)> packets) =>
        List(packets.Select(p => ((long?)p.Pts, (long?)p.Dts, p.Flags)));

    [Fact]
    public void A_closed_gop_with_b_frames_is_its_frames_in_presentation_order()
    {
        var packets = List(ClosedGop);

        Assert.True(packets.FramesAsPackets, packets.NotFrames);
        Assert.Equal(7, packets.Count);
        Assert.Equal([0L, 512, 1024, 1536, 2048, 2560, 3072], packets.SortedPts());
    }

    [Fact]
    public void A_stream_that_starts_before_its_first_key_frame_is_decoded_to_be_counted()
    {
        var packets = List(ClosedGop.Select((p, i) => i == 0 ? p with { Flags = "__" } : p));

        Assert.False(packets.FramesAsPackets);
        Assert.Equal("the stream starts before its first key frame", packets.NotFrames);
    }

    [Fact]
    public void Leading_pictures_shown_before_the_first_key_frame_are_decoded_to_be_counted()
    {
        // An open GOP cut at its key frame: B-frames that refer to the GOP before, shown before the I-frame.
        var packets = List([(1024, -1024, "K_"), (0, -512, "__"), (512, 0, "__"), (2048, 512, "__")]);

        Assert.False(packets.FramesAsPackets);
        Assert.Equal("frames are shown before the first key frame (an open GOP's leading pictures)", packets.NotFrames);
    }

    [Fact]
    public void Two_packets_shown_at_one_time_are_decoded_to_be_counted()
    {
        var packets = List([(0, -512, "K_"), (1024, 0, "__"), (512, 512, "__"), (1024, 1024, "__")]);

        Assert.False(packets.FramesAsPackets);
        Assert.Equal("two packets share a presentation time", packets.NotFrames);
        Assert.Equal([0L, 512, 1024, 1024], packets.SortedPts()); // the times are still listed, for the decode to compare
    }

    [Fact]
    public void Decode_times_that_do_not_rise_are_decoded_to_be_counted()
    {
        var packets = List([(0, 0, "K_"), (512, 512, "__"), (1024, 512, "__")]);

        Assert.Equal("decode times do not rise", packets.NotFrames);
    }

    [Fact]
    public void A_packet_shown_before_it_is_decoded_is_decoded_to_be_counted()
    {
        var packets = List([(0, 0, "K_"), (512, 1024, "__")]);

        Assert.Equal("a packet is shown before it is decoded", packets.NotFrames);
    }

    [Fact]
    public void Discarded_pre_roll_is_left_out_of_the_times_and_decoded_to_be_counted()
    {
        var packets = List([(-512, -1024, "K_D"), (0, -512, "__"), (512, 0, "__")]);

        Assert.False(packets.FramesAsPackets);
        Assert.Equal("the decoder discards some packets (an edit list's pre-roll)", packets.NotFrames);
        Assert.Equal([0L, 512], packets.SortedPts());
        Assert.True(packets.EveryPacketTimed);
    }

    [Fact]
    public void A_packet_without_a_time_gives_no_timeline()
    {
        var packets = List([((long?)0, (long?)0, "K_"), (null, 512, "__")]);

        Assert.False(packets.EveryPacketTimed);
        Assert.Equal("a packet has no presentation time", packets.NotFrames);

        var noDecodeTime = List([((long?)0, (long?)0, "K_"), (512, null, "__")]);
        Assert.True(noDecodeTime.EveryPacketTimed);
        Assert.Equal("a packet has no decode time", noDecodeTime.NotFrames);
    }

    [Fact]
    public void No_packets_are_no_frames()
    {
        Assert.False(new DemuxedPackets().FramesAsPackets);
    }
}
