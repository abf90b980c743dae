using FacePipeline.Contracts;
using FacePipeline.Orchestration.Retention;
using FacePipeline.Persistence;
using FacePipeline.Storage;
using FacePipeline.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FacePipeline.Orchestration.Tests;

/// <summary>
/// The rules of retention without a database: the settings and their checks, what counts as a job's working data and as
/// an actor's footage, and the media store's counted deletion of a prefix (in a temporary folder).
/// </summary>
public sealed class RetentionRulesTests : IDisposable
{
    private readonly string _root = RepoPaths.NewScratchFolder("retention-rules");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    [Trait("Lane", "Fast")]
    public void Retention_settings_default_to_30_days_for_job_media_and_working_data_at_once()
    {
        using var provider = Host(new() { ["Retention:JobMedia"] = "90.00:00:00" });

        provider.GetRequiredService<IStartupValidator>().Validate();
        var options = provider.GetRequiredService<IOptions<RetentionOptions>>().Value;

        Assert.Equal(TimeSpan.FromDays(90), options.JobMedia);
        Assert.Equal(TimeSpan.Zero, options.WorkingData);
        var defaults = new RetentionOptions();
        Assert.Equal((TimeSpan.FromDays(30), TimeSpan.Zero, TimeSpan.FromHours(1), TimeSpan.FromMinutes(10), 200),
            (defaults.JobMedia, defaults.WorkingData, defaults.LateWorkWindow, defaults.SweepInterval, defaults.BatchSize));
    }

    [Theory]
    [Trait("Lane", "Fast")]
    [InlineData("Retention:JobMedia", "00:10:00", "Retention:JobMedia must be between")]
    [InlineData("Retention:WorkingData", "-00:00:01", "Retention:WorkingData must be between")]
    [InlineData("Retention:LateWorkWindow", "00:00:00", "Retention:LateWorkWindow must be between")]
    [InlineData("Retention:SweepInterval", "2.00:00:00", "Retention:SweepInterval must be between")]
    [InlineData("Retention:BatchSize", "0", "Retention:BatchSize must be between")]
    [InlineData("Retention:MediaDays", "30", "Retention:MediaDays (environment variable Retention__MediaDays) is not a setting")]
    public void A_bad_retention_setting_stops_the_host_with_its_name(string key, string value, string expected)
    {
        using var provider = Host(new() { [key] = value });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains(error.Failures, f => f.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void Working_data_kept_longer_than_the_inputs_and_outputs_is_refused()
    {
        using var provider = Host(new() { ["Retention:JobMedia"] = "2.00:00:00", ["Retention:WorkingData"] = "3.00:00:00" });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        var failure = Assert.Single(error.Failures);
        Assert.Contains("Retention:WorkingData (3.00:00:00) must not be longer than Retention:JobMedia (2.00:00:00)", failure, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void Working_data_is_the_clip_measurements_and_face_records_under_the_jobs_own_prefix_and_an_actors_footage_is_its_training_jobs()
    {
        var jobId = Guid.NewGuid();

        Assert.Equal([$"jobs/{jobId:N}/clips", $"jobs/{jobId:N}/faces", $"jobs/{jobId:N}/segments"], RetentionKeys.WorkingData(jobId));
        Assert.All(RetentionKeys.WorkingData(jobId), p => Assert.StartsWith(MediaKeys.JobPrefix(jobId) + "/", p, StringComparison.Ordinal));
        Assert.StartsWith(RetentionKeys.WorkingData(jobId)[0] + "/", MediaKeys.ClipFolder(jobId, ClipNames.Source) + "/", StringComparison.Ordinal);
        Assert.StartsWith(RetentionKeys.WorkingData(jobId)[1] + "/", MediaKeys.Faces(jobId, ClipNames.Target, 3), StringComparison.Ordinal);
        Assert.StartsWith(RetentionKeys.WorkingData(jobId)[1] + "/", MediaKeys.FaceSequence(jobId, ClipNames.Source), StringComparison.Ordinal);
        Assert.StartsWith(RetentionKeys.WorkingData(jobId)[2] + "/", MediaKeys.Segment(jobId, "qc", 3, ".mp4"), StringComparison.Ordinal);
        Assert.DoesNotContain(RetentionKeys.WorkingData(jobId), p => MediaKeys.Output(jobId, OutputNames.TrackingBinary).StartsWith(p + "/", StringComparison.Ordinal));
        Assert.DoesNotContain(RetentionKeys.WorkingData(jobId), p => MediaKeys.Input(jobId, ClipNames.Source, ".mp4").StartsWith(p + "/", StringComparison.Ordinal));

        Assert.True(RetentionKeys.IsActorFootage(JobKinds.TrainActor));
        Assert.False(RetentionKeys.IsActorFootage(JobKinds.Track));
        Assert.False(RetentionKeys.IsActorFootage(JobKinds.Retarget));

        var actorId = Guid.NewGuid();
        Assert.StartsWith(RetentionKeys.ActorPrefix(actorId) + "/", MediaKeys.ActorModel(actorId, 2, ActorModelFiles.Generator), StringComparison.Ordinal);
        Assert.Equal(RetentionKeys.ActorPrefix(actorId), RetentionKeys.PrefixOf(new Deletion { Subject = DeletionSubjects.Actor, SubjectId = actorId, Reason = DeletionReasons.StudioRequest }));
        Assert.Equal(RetentionKeys.JobPrefix(jobId), RetentionKeys.PrefixOf(new Deletion { Subject = DeletionSubjects.Job, SubjectId = jobId, Reason = DeletionReasons.Retention }));
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public async Task Deleting_a_prefix_counts_every_file_and_byte_under_it_hidden_ones_too_and_touches_nothing_beside_it()
    {
        var store = new MediaStore(_root);
        await store.WriteAllBytesAsync("jobs/abc/clips/source/timeline.json", new byte[1000]);
        await store.WriteAllBytesAsync("jobs/abc/clips/source/.staging-1/audio.mka.partial", new byte[300]);
        await store.WriteAllBytesAsync("jobs/abc/input/source.mp4", new byte[24]);
        await store.WriteAllBytesAsync("jobs/abcd/clips/source/timeline.json", new byte[7]); // a neighbour whose name starts the same

        Assert.Equal(new MediaRemoval(2, 1300), store.DeleteTree("jobs/abc/clips"));
        Assert.Equal(MediaRemoval.None, store.DeleteTree("jobs/abc/clips")); // again: nothing left, nothing counted
        Assert.True(store.Exists("jobs/abc/input/source.mp4"));
        Assert.True(store.Exists("jobs/abcd/clips/source/timeline.json"));

        Assert.Equal(new MediaRemoval(1, 24), store.DeleteTree("jobs/abc/input/source.mp4")); // a single file's key
        Assert.Equal(new MediaRemoval(0, 0), store.DeleteTree("jobs/abc"));
        Assert.False(Directory.Exists(store.PathFor("jobs/abc")));
        Assert.Equal(new MediaRemoval(1, 7), store.DeleteTree("jobs/abcd"));
        Assert.Equal(new MediaRemoval(3, 10), new MediaRemoval(1, 4) + new MediaRemoval(2, 6));
    }

    private static ServiceProvider Host(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddJobOrchestration();
        return services.BuildServiceProvider();
    }
}
