using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FacePipeline.Persistence;
using FacePipeline.TestSupport;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace FacePipeline.EndToEnd.Tests;

/// <summary>
/// Batches and scheduling through every service on the real servers: a batch runs to its end and its ZIP, an
/// interactive job overtakes queued overnight work in every stage, and two studios share the workers by weight. The
/// figures are printed (docs/batches.md, "Measured").
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class BatchSchedulingTests(PipelineFixture pipeline, ITestOutputHelper output)
{
    private static readonly TimeSpan BatchTimeout = TimeSpan.FromMinutes(8);

    /// <summary>A short real clip (the first <paramref name="frames"/> frames of a close-up, looped past its 115, 360 px wide, no audio).</summary>
    private static string ShortClip(int frames)
    {
        var path = Path.Combine(RepoPaths.NewScratchFolder("e2e-batch-clip"), $"shot{frames}.mp4");
        MediaCli.Ffmpeg("-stream_loop", "-1", "-i", RepoPaths.MediaFile("obama_wh_closeup.mp4"), "-an", "-vf", "scale=360:-2", "-frames:v", frames.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", path);
        return path;
    }

    private static async Task<JsonElement> SubmitBatch(HttpClient studio, string clip, int shots, string? cls = null, int chunkSize = 16)
    {
        var rows = string.Join("\n", Enumerable.Range(1, shots).Select(i => $"sh{i:000},track,{Path.GetFileName(clip)},{chunkSize}"));
        using var form = new MultipartFormDataContent
        {
            { new StringContent($"shot,kind,clip,chunkSize\n{rows}\n"), "manifest", "night.csv" },
            { new ByteArrayContent(await File.ReadAllBytesAsync(clip)), "file-1", Path.GetFileName(clip) },
        };
        if (cls is not null)
        {
            form.Add(new StringContent(cls), "class");
        }

        using var response = await studio.PostAsync("v1/batches", form);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(PipelineFixture.Json);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST /v1/batches answered {(int)response.StatusCode}: {body}");
        return body;
    }

    private static async Task<JsonElement> WaitForBatchEnd(HttpClient studio, string id)
    {
        JsonElement batch = default;
        await Eventually.UntilAsync(async () =>
        {
            batch = await studio.GetFromJsonAsync<JsonElement>($"v1/batches/{id}", PipelineFixture.Json);
            return batch.GetProperty("state").GetString() == "ended";
        }, BatchTimeout, $"batch {id} to end");
        return batch;
    }

    private JobsDbContext Db() => new(new DbContextOptionsBuilder<JobsDbContext>().UseNpgsql(pipeline.DatabaseConnectionString).Options);

    [Fact]
    public async Task A_20_shot_batch_of_short_clips_completes_its_events_end_with_the_batch_and_its_zip_has_every_shot()
    {
        var clip = ShortClip(12);
        var submitted = await SubmitBatch(pipeline.StudioA, clip, shots: 20);
        var id = submitted.GetProperty("id").GetString()!;
        Assert.Equal("overnight", submitted.GetProperty("class").GetString());

        // The batch's live events, read while it runs (a late start replays what was stored).
        var events = new List<(string Type, string Data)>();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"v1/batches/{id}/events");
        using var stream = await pipeline.StudioA.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", stream.Content.Headers.ContentType?.MediaType);
        var reading = Task.Run(async () =>
        {
            using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
            string? type = null;
            while (await reader.ReadLineAsync() is { } line)
            {
                if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    type = line["event: ".Length..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal) && type is not null)
                {
                    events.Add((type, line["data: ".Length..]));
                }
            }
        });

        var started = DateTimeOffset.UtcNow;
        var batch = await WaitForBatchEnd(pipeline.StudioA, id);
        var seconds = (DateTimeOffset.UtcNow - started).TotalSeconds;

        Assert.Equal(20, batch.GetProperty("counts").GetProperty("completed").GetInt32());
        Assert.Equal(0, batch.GetProperty("counts").GetProperty("failed").GetInt32());
        await reading.WaitAsync(TimeSpan.FromSeconds(30)); // throws if the stream does not end after batch.ended
        Assert.Equal("batch.ended", events[^1].Type);
        Assert.Equal(20, events.Count(e => e.Type == "job.completed"));

        var zipPath = Path.Combine(RepoPaths.NewScratchFolder("e2e-batch-zip"), "outputs.zip");
        await using (var download = await pipeline.StudioA.GetStreamAsync($"v1/batches/{id}/outputs.zip"))
        await using (var file = File.Create(zipPath))
        {
            await download.CopyToAsync(file);
        }

        using var zip = ZipFile.OpenRead(zipPath);
        var folder = Path.GetDirectoryName(zipPath)!;
        for (var i = 1; i <= 20; i++)
        {
            var shot = $"sh{i:000}";
            foreach (var name in new[] { "qc.mp4", "tracking.json", "tracking.fptk" })
            {
                Assert.NotNull(zip.GetEntry($"{shot}/{name}"));
            }

            var qc = Path.Combine(folder, $"{shot}.mp4");
            zip.GetEntry($"{shot}/qc.mp4")!.ExtractToFile(qc);
            Assert.Equal(12, ClipFacts.Of(qc).Frames);
        }

        Assert.NotNull(zip.GetEntry("report.csv"));
        output.WriteLine($"20-shot batch of 12-frame clips: ended in {seconds:F1} s ({seconds / 20:F2} s per shot)");
    }

    [Fact]
    public async Task An_interactive_job_overtakes_queued_overnight_work_in_every_stage()
    {
        var studio = PipelineFixture.StudioClient(pipeline.Ingest, await pipeline.NewStudioKey("overtake studio"));
        var overnightClip = ShortClip(448); // seven single-decode chunks of 64 (chunk size 16)
        var interactiveClip = ShortClip(24);

        // The interactive job alone, for its own time.
        var alone = await pipeline.Submit(studio, interactiveClip, chunkSize: 16);
        var aloneJob = await pipeline.WaitForEnd(studio, alone.GetProperty("id").GetString()!, TimeSpan.FromMinutes(3));
        Assert.Equal("completed", aloneJob.GetProperty("state").GetString());
        var aloneSeconds = aloneJob.GetProperty("elapsedSeconds").GetDouble();

        // 30 overnight shots: a few run (Scheduling:MaxRunningJobs), the rest wait queued; once the running ones have
        // chunks to track (each shot's clip is seven single-decode chunks, one after another, so each running shot has
        // one chunk in the broker or on a worker at a time), the interactive job comes.
        var batch = await SubmitBatch(studio, overnightClip, shots: 30);
        var batchId = Guid.Parse(batch.GetProperty("id").GetString()!);
        var pendingChunks = 0;
        await Eventually.UntilAsync(async () =>
        {
            await using var db = Db();
            pendingChunks = await db.JobChunks.CountAsync(c => !c.Reconstructed && db.Jobs.Any(j => j.Id == c.JobId && j.BatchId == batchId));
            return pendingChunks >= 12;
        }, TimeSpan.FromMinutes(3), "overnight chunks still to track");

        var submittedAt = DateTimeOffset.UtcNow;
        var interactive = await pipeline.Submit(studio, interactiveClip, chunkSize: 16);
        var interactiveId = Guid.Parse(interactive.GetProperty("id").GetString()!);
        var done = await pipeline.WaitForEnd(studio, interactiveId.ToString(), TimeSpan.FromMinutes(3));
        var busySeconds = (DateTimeOffset.UtcNow - submittedAt).TotalSeconds;
        Assert.Equal("completed", done.GetProperty("state").GetString());

        await using (var db = Db())
        {
            var job = await db.Jobs.AsNoTracking().Include(j => j.Stages).SingleAsync(j => j.Id == interactiveId);
            var queuedShots = await db.Jobs.CountAsync(j => j.BatchId == batchId && (j.State == JobState.Queued || j.StartedAt > job.CreatedAt));
            // Each stage's work as its worker did it, from the worker's own log (when it finished each piece, in order): the
            // coordinator records a completion when it gets to it, which under load can be a piece or two later.
            // The window of a stage: from the moment the interactive job's commands of that stage reached the broker (the
            // outbox's dispatch time) until the worker finished the job's last piece of it.
            var jobKey = $"{{\"jobId\":\"{interactiveId}\"}}"; // the outbox body is jsonb
            var overnightJobs = (await db.Jobs.Where(j => j.BatchId == batchId).Select(j => j.Id).ToListAsync()).ToHashSet();
            async Task<int> OvernightDoneAhead(ServiceProcess worker, string consumer, string doneText, string command)
            {
                var sent = await db.Outbox.Where(m => m.MessageType == command && EF.Functions.JsonContains(m.Body, jobKey)).MinAsync(m => m.DispatchedAt);
                Assert.True(sent is not null, $"the interactive job's {command} was never dispatched");
                var done = WorkerLog.Done(worker.Log(), consumer, doneText);
                Assert.True(done.Any(d => d.JobId == interactiveId), $"{worker.Name}'s log has no line of {consumer} finishing the interactive job's work");
                var end = done.Where(d => d.JobId == interactiveId).Max(d => d.At);
                return done.Count(d => overnightJobs.Contains(d.JobId) && d.At > sent.Value && d.At < end);
            }

            var extractedAhead = await OvernightDoneAhead(pipeline.Service("FrameExtraction"), "ExtractFramesConsumer", "extracted in", typeof(Contracts.ExtractFrames).FullName!);
            var joinsAhead = await OvernightDoneAhead(pipeline.Service("Rendering"), "RenderTrackOutputsConsumer", "written in", typeof(Contracts.RenderTrackOutputs).FullName!);

            // Reconstruction runs each clip as a single-decode pass, its chunks one after another: a job's next chunk is
            // sent when the one before is done, and meanwhile the other slots go on with whatever is queued. What must
            // not happen is an overnight chunk taken from the queue while one of the interactive job's was waiting in
            // it: for each interactive chunk, the overnight chunks that started after it was dispatched and before it started.
            var interactiveSent = (await db.Outbox.Where(m => m.MessageType == typeof(Contracts.ReconstructFaces).FullName && EF.Functions.JsonContains(m.Body, jobKey))
                .Select(m => m.DispatchedAt).ToListAsync()).Select(d => d!.Value).Order().ToList();
            var runs = WorkerLog.Chunks(pipeline.Reconstruction.Log());
            var interactiveRuns = runs.Where(r => r.JobId == interactiveId).OrderBy(r => r.Start).ToList();
            Assert.Equal(interactiveSent.Count, interactiveRuns.Count);
            var chunksAhead = interactiveSent.Zip(interactiveRuns).Sum(p => runs.Count(r => overnightJobs.Contains(r.JobId) && r.Start > p.First && r.Start < p.Second.Start));
            var chunksLeft = await db.JobChunks.CountAsync(c => !c.Reconstructed && db.Jobs.Any(j => j.Id == c.JobId && j.BatchId == batchId && j.StartedAt < job.CreatedAt));

            output.WriteLine(
                $"interactive job: {aloneSeconds:F1} s alone, {busySeconds:F1} s submitted behind {pendingChunks} overnight chunks still to track and {queuedShots} queued shots; "
                + $"started {(job.StartedAt!.Value - job.CreatedAt).TotalMilliseconds:F0} ms after submission; overnight work done ahead of it: "
                + $"{extractedAhead} extraction(s), {chunksAhead} chunk(s) taken while one of its {interactiveRuns.Count} waited, {joinsAhead} join(s); overnight chunks of the running shots still waiting when it ended: {chunksLeft}");

            Assert.True(job.StartedAt!.Value - job.CreatedAt < TimeSpan.FromSeconds(1), "the interactive job was queued instead of starting at once");
            Assert.True(queuedShots >= 20, $"only {queuedShots} overnight shots were still waiting: nothing was overtaken");
            // At most the pieces of work a worker was on when the interactive job's arrived: one extraction, one join;
            // no overnight chunk taken ahead of a waiting interactive one (one allowed for the log's start estimate and
            // the dispatch stamp, written just after the broker took the message; without priorities each of its
            // chunks would wait behind the running shots' queued chunks, one per shot).
            Assert.InRange(extractedAhead, 0, 1);
            Assert.InRange(chunksAhead, 0, 1);
            Assert.InRange(joinsAhead, 0, 1);
            Assert.True(chunksLeft > 0, "the running overnight shots had no chunk left: the interactive job overtook nothing in reconstruction");
        }

        using var cancel = await studio.PostAsync($"v1/batches/{batchId}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        await WaitForBatchEnd(studio, batchId.ToString());
    }

    [Fact]
    public async Task Two_studios_share_the_workers_in_their_weight_ratio_while_both_have_shots_waiting()
    {
        var clip = ShortClip(12);
        var heavy = PipelineFixture.StudioClient(pipeline.Ingest, await pipeline.NewStudioKey("weight 2 studio"));
        var light = PipelineFixture.StudioClient(pipeline.Ingest, await pipeline.NewStudioKey("weight 1 studio"));
        await using (var db = Db())
        {
            await db.Tenants.Where(t => t.Name == "weight 2 studio").ExecuteUpdateAsync(s => s.SetProperty(t => t.Weight, 2));
        }

        // The weight-1 studio submits first: without fair share it would take every slot until its shots ran out.
        var lightBatch = Guid.Parse((await SubmitBatch(light, clip, shots: 12)).GetProperty("id").GetString()!);
        var heavyBatch = Guid.Parse((await SubmitBatch(heavy, clip, shots: 12)).GetProperty("id").GetString()!);
        await WaitForBatchEnd(light, lightBatch.ToString());
        await WaitForBatchEnd(heavy, heavyBatch.ToString());

        await using (var db = Db())
        {
            var jobs = await db.Jobs.AsNoTracking()
                .Where(j => j.BatchId == lightBatch || j.BatchId == heavyBatch)
                .Select(j => new { Heavy = j.BatchId == heavyBatch, Started = j.StartedAt!.Value, Ended = j.CompletedAt!.Value, j.State })
                .ToListAsync();
            Assert.All(jobs, j => Assert.Equal(JobState.Completed, j.State));

            // The contention window: from the second batch's submission until either studio has started its last shot.
            var windowStart = await db.Batches.Where(b => b.Id == heavyBatch).Select(b => b.CreatedAt).SingleAsync();
            var windowEnd = new[] { true, false }.Min(heavyStudio => jobs.Where(j => j.Heavy == heavyStudio).Max(j => j.Started));
            var inWindow = jobs.Where(j => j.Started >= windowStart && j.Started <= windowEnd).ToList();

            // What the rule balances (docs/batches.md: the least worker time per unit of weight): the job-seconds of every
            // shot each studio had started by the end of the contention (the rule counts a running job's time so far plus a
            // typical job's: its whole time here), the weight-1 studio's head start included. The shots started in the
            // window alone would not do: they include the weight-2 studio catching up on that head start, which is the
            // rule working, and read anywhere from 65 to 100 % on this machine.
            double UsedBy(bool heavyStudio) => jobs.Where(j => j.Heavy == heavyStudio && j.Started <= windowEnd).Sum(j => (j.Ended - j.Started).TotalSeconds);
            var share = UsedBy(true) / (UsedBy(true) + UsedBy(false));
            double StartedInWindow(bool heavyStudio) => inWindow.Where(j => j.Heavy == heavyStudio).Sum(j => (j.Ended - j.Started).TotalSeconds);
            output.WriteLine($"weights 2:1, {(windowEnd - windowStart).TotalSeconds:F1} s of contention, {inWindow.Count} shots started in it "
                + $"({inWindow.Count(j => j.Heavy)} of the weight-2 studio, {StartedInWindow(true) / (StartedInWindow(true) + StartedInWindow(false)):P0} of their worker time); "
                + $"worker time up to the end of it: the weight-2 studio {UsedBy(true):F1} s, the weight-1 studio {UsedBy(false):F1} s: {share:P0} (configured 67 %)");
            Assert.True(inWindow.Count >= 8, $"only {inWindow.Count} shots started while both studios had shots waiting: nothing was shared");
            Assert.InRange(share, 0.57, 0.77); // 2:1 within about one shot's time either way
        }
    }
}
