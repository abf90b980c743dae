using System.Runtime.CompilerServices;

namespace FacePipeline.Cli.Tests;

/// <summary>Job and batch views as the API sends them, for feeding the progress displays a scripted run.</summary>
internal static class ProgressViews
{
    public static readonly Guid JobId = Guid.Parse("0a7c4a0e-64b1-4f6e-9d0a-1b2c3d4e5f60");

    public static StageView Stage(string name, string state, int done = 0, int total = 0, double? seconds = null) =>
        new(name, state, "frames", done, total, seconds);

    public static JobView Job(string state, double elapsed, params StageView[] stages) =>
        new(JobId, "track", state, state is "completed" or "failed" or "cancelled", "take.mp4", DateTimeOffset.UnixEpoch, null, elapsed, null, null, stages, []);

    /// <summary>A track job polled 23 times: queued, then extract, reconstruct and render frame by frame through 100 frames.</summary>
    public static IReadOnlyList<JobView> TrackRun()
    {
        var views = new List<JobView> { Job("queued", 0.1, Stage("extract", "pending"), Stage("reconstruct", "pending"), Stage("render", "pending")) };
        for (var done = 0; done <= 100; done += 10)
        {
            views.Add(Job("running", 1 + (done / 10.0), Stage("extract", "completed", 100, 100, 0.8), Stage("reconstruct", "running", done, 100), Stage("render", "pending")));
        }

        for (var done = 0; done < 100; done += 10)
        {
            views.Add(Job("running", 12 + (done / 10.0), Stage("extract", "completed", 100, 100, 0.8), Stage("reconstruct", "completed", 100, 100, 10.5), Stage("render", "running", done, 100)));
        }

        views.Add(Job("completed", 22.4, Stage("extract", "completed", 100, 100, 0.8), Stage("reconstruct", "completed", 100, 100, 10.5), Stage("render", "completed", 100, 100, 9.6)));
        return views;
    }

    public static async IAsyncEnumerable<T> Stream<T>(IEnumerable<T> views, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var view in views)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return view;
        }
    }
}
