using System.Text.Json;
using FacePipeline.Orchestration.DeadLetters;
using FacePipeline.Orchestration.Pipelines;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;
using FacePipeline.TestSupport;

namespace FacePipeline.EndToEnd.Tests;

/// <summary>
/// The job database goes away for 15 s in the middle of a job (every connection of the services to it dies and new ones
/// are refused; the server itself stays up for the other test suites): the job still completes, with every frame once,
/// and with no manual step and nothing dead-lettered.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class DatabaseOutageTests(PipelineFixture pipeline)
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_15_second_database_outage_mid_job_ends_with_the_job_completed_and_every_frame_once()
    {
        // 511 frames in chunks of 4: reconstruction results keep arriving while the database is away.
        var clip = RepoPaths.MediaFile("new_face_video-90.mp4");
        var frames = ClipFacts.Of(clip).Frames;
        var id = (await pipeline.Submit(pipeline.StudioA, clip, chunkSize: 4)).GetProperty("id").GetString()!;
        await Eventually.UntilAsync(async () => Reconstructed(await pipeline.Job(pipeline.StudioA, id)) > 0, TimeSpan.FromMinutes(4), "first reconstructed chunk");

        try
        {
            pipeline.DatabaseLink.Cut(); // inside the try: whatever happens, the link is restored for the tests after
            await Task.Delay(Outage); // the outage itself: its length is what the test is about
        }
        finally
        {
            pipeline.DatabaseLink.Restore();
        }

        var job = await pipeline.WaitForEnd(pipeline.StudioA, id, TimeSpan.FromMinutes(6));

        Assert.Equal("completed", job.GetProperty("state").GetString());
        Assert.Equal(frames, Reconstructed(job));
        await using var trackingStream = await pipeline.StudioA.GetStreamAsync($"v1/jobs/{id}/outputs/tracking.json");
        var tracking = await TrackingJson.ReadAsync(trackingStream, CancellationToken.None);
        Assert.Equal(Enumerable.Range(0, frames), tracking.Frames.Select(f => f.Index));
        var deadLetters = await new DeadLetterQueues(Broker()).Count(DeadLetterQueues.QueuesOf(JobPipelines.Default), CancellationToken.None);
        Assert.All(deadLetters, q => Assert.True(q.Value == 0, $"{q.Value} message(s) dead-lettered in {q.Key}_error"));
    }

    private static int Reconstructed(JsonElement job) =>
        job.GetProperty("stages").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "reconstruct").GetProperty("framesDone").GetInt32();

    private RabbitMqOptions Broker() => new()
    {
        Host = pipeline.Environment["RabbitMq__Host"],
        Port = ushort.Parse(pipeline.Environment["RabbitMq__Port"], System.Globalization.CultureInfo.InvariantCulture),
        VirtualHost = pipeline.Environment["RabbitMq__VirtualHost"],
        Username = pipeline.Environment["RabbitMq__Username"],
        Password = pipeline.Environment["RabbitMq__Password"],
    };
}
