namespace FacePipeline.Stages.Tests;

/// <summary>How often a render reports its frames.</summary>
public sealed class RenderProgressTests
{
    [Fact]
    [Trait("Lane", "Fast")]
    public async Task Every_frame_is_counted_and_reports_come_no_more_often_than_the_interval()
    {
        var reports = new List<int>();
        var everyFrame = new RenderProgress((frames, _) => { reports.Add(frames); return Task.CompletedTask; }, TimeSpan.Zero);
        for (var i = 0; i < 5; i++)
        {
            await everyFrame.FrameWritten(default);
        }

        Assert.Equal([1, 2, 3, 4, 5], reports);

        reports.Clear();
        var hourly = new RenderProgress((frames, _) => { reports.Add(frames); return Task.CompletedTask; }, TimeSpan.FromHours(1));
        for (var i = 0; i < 1000; i++)
        {
            await hourly.FrameWritten(default);
        }

        Assert.Empty(reports); // not an hour yet
        Assert.Equal(1000, hourly.Frames);
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public async Task Without_a_reporter_frames_are_only_counted()
    {
        var none = new RenderProgress(null, TimeSpan.Zero);
        await none.FrameWritten(default);
        Assert.Equal(1, none.Frames);
    }
}
