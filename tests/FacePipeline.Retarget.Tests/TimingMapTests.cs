using FacePipeline.Geometry;

namespace FacePipeline.Retarget.Tests;

[Trait("Lane", "Fast")]
public class TimingMapTests
{
    [Fact]
    public void Shorter_target_ping_pongs()
    {
        Assert.Equal([0, 1, 2, 3, 2, 1, 0, 1, 2, 3], TimingMap.TargetFrames(10, 4));
        Assert.Equal([0, 0, 0], TimingMap.TargetFrames(3, 1));
        Assert.Equal([0, 1, 0, 1, 0], TimingMap.TargetFrames(5, 2));
    }

    [Fact]
    public void Longer_target_is_trimmed_and_the_modes_are_overridable()
    {
        Assert.Equal([0, 1, 2, 3], TimingMap.TargetFrames(4, 10));
        Assert.Equal([0, 1, 2, 3, 0, 1, 2, 3, 0, 1], TimingMap.TargetFrames(10, 4, ShortTargetMode.Loop));
        Assert.Equal([0, 1, 2, 3, 3, 3, 3], TimingMap.TargetFrames(7, 4, ShortTargetMode.HoldLast));
        Assert.Empty(TimingMap.TargetFrames(0, 4));
    }

    [Fact]
    public void Resampling_ntsc_to_pal_maps_output_frames_to_source_time()
    {
        var ntsc = new FrameRate(30000, 1001);
        var pal = new FrameRate(25);

        // Output frame i is at i/25 s = source position i·30000/(1001·25) = i·1200/1001.
        Assert.Equal(1200.0 / 1001, TimingMap.SourcePosition(1, ntsc, pal), 12);
        int[] outputs = [0, 1, 2, 5, 25, 1000, 1001];
        Assert.Equal([0, 1, 2, 5, 29, 1198, 1200], outputs.Select(i => TimingMap.SourceFrameFloor(i, ntsc, pal)));
        Assert.Equal([0, 1, 2, 6, 30, 1199, 1200], outputs.Select(i => TimingMap.SourceFrameNearest(i, ntsc, pal)));
        Assert.Equal(1.0, TimingMap.OutputTime(25, pal), 12);

        // 1200 source frames (40.04 s) → 1001 output frames; one more source frame → one more output frame.
        Assert.Equal(1001, TimingMap.ResampledCount(1200, ntsc, pal));
        Assert.Equal(1002, TimingMap.ResampledCount(1201, ntsc, pal));

        // And back: 25 → 30000/1001, output frame 6 is at 0.24 s = source frame 6·25·1001/30000 = 5.005.
        Assert.Equal(5, TimingMap.SourceFrameFloor(6, pal, ntsc));
        Assert.Equal(1200, TimingMap.ResampledCount(1001, pal, ntsc));
    }

    [Fact]
    public void Resample_interpolates_linearly_between_source_frames()
    {
        var frames = Enumerable.Range(0, 31).Select(i => new[] { new Vec3(i, 0, 0) }).ToArray();
        var result = TimingMap.Resample(frames, new FrameRate(30), new FrameRate(25));
        Assert.Equal(26, result.Length);
        for (var i = 0; i < result.Length; i++)
        {
            Assert.Equal(Math.Min(i * 1.2, 30), result[i][0].X, 9);
        }
    }
}
