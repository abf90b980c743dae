using FacePipeline.Contracts;
using FacePipeline.FrameExtraction;
using FacePipeline.Media;
using FacePipeline.Storage;
using FacePipeline.TestSupport;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FacePipeline.Stages.Tests;

/// <summary>The extraction consumer in MassTransit's in-memory harness: refused uploads become StageFailed, never a crash.</summary>
public sealed class ExtractFramesConsumerTests
{
    [Fact]
    public async Task A_text_file_fails_its_job_with_a_reason_and_the_consumer_does_not_fault()
    {
        var (harness, store, provider) = await StartHarness();
        await using var _ = provider;
        var jobId = Guid.NewGuid();
        var key = MediaKeys.Input(jobId, ClipNames.Source, ".mp4");
        await store.WriteAllBytesAsync(key, "not a video at all"u8.ToArray());

        await harness.Bus.Publish(new ExtractFrames(jobId, ClipNames.Source, key, 16));

        Assert.True(await harness.Published.Any<StageFailed>(m => m.Context.Message.JobId == jobId));
        var failed = harness.Published.Select<StageFailed>().Single(m => m.Context.Message.JobId == jobId).Context.Message;
        Assert.Equal(StageNames.Extract, failed.Stage);
        Assert.Contains("could not be read", failed.Reason, StringComparison.Ordinal);
        Assert.Equal(FailureCodes.Unreadable, failed.Code);
        Assert.False(await harness.Published.Any<Fault<ExtractFrames>>());
    }

    [Fact]
    public async Task An_upload_missing_from_the_media_store_is_the_servers_fault_not_a_bad_upload()
    {
        var (harness, _, provider) = await StartHarness();
        await using var _ = provider;
        var jobId = Guid.NewGuid();

        await harness.Bus.Publish(new ExtractFrames(jobId, ClipNames.Source, MediaKeys.Input(jobId, ClipNames.Source, ".mp4"), 16));

        Assert.True(await harness.Published.Any<Fault<ExtractFrames>>(m => m.Context.Message.Message.JobId == jobId));
        var fault = harness.Published.Select<Fault<ExtractFrames>>().Single(m => m.Context.Message.Message.JobId == jobId).Context.Message;
        Assert.Equal(typeof(FileNotFoundException).FullName, fault.Exceptions.Single().ExceptionType);
        Assert.False(await harness.Published.Any<StageFailed>(m => m.Context.Message.JobId == jobId));
    }

    [Theory]
    [InlineData(MediaRejectionKind.Unreadable, "unreadable")]
    [InlineData(MediaRejectionKind.Empty, "empty")]
    [InlineData(MediaRejectionKind.Corrupt, "corrupt")]
    [InlineData(MediaRejectionKind.UnsupportedContainer, "unsupported-container")]
    [InlineData(MediaRejectionKind.NoVideo, "no-video")]
    [InlineData(MediaRejectionKind.StillImage, "still-image")]
    [InlineData(MediaRejectionKind.TooLong, "too-long")]
    [InlineData(MediaRejectionKind.TooLarge, "too-large")]
    [InlineData(MediaRejectionKind.TooManyFrames, "too-many-frames")]
    [InlineData(MediaRejectionKind.NoDecodableFrames, "no-decodable-frames")]
    [Trait("Lane", "Fast")]
    public void Each_way_an_upload_is_refused_has_its_declared_public_code(MediaRejectionKind kind, string code)
    {
        Assert.Equal(code, FrameExtractionStage.FailureCodeOf(kind));
        Assert.True(FailureCodes.IsDeclared(code));
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void Every_rejection_kind_has_a_code()
    {
        Assert.All(Enum.GetValues<MediaRejectionKind>(), kind => Assert.True(FailureCodes.IsDeclared(FrameExtractionStage.FailureCodeOf(kind))));
    }

    [Fact]
    public async Task A_clip_is_extracted_and_announced_with_its_chunks_and_no_frames_are_stored()
    {
        var (harness, store, provider) = await StartHarness();
        await using var _ = provider;
        var jobId = Guid.NewGuid();
        var key = MediaKeys.Input(jobId, ClipNames.Source, ".mp4");
        Directory.CreateDirectory(Path.GetDirectoryName(store.PathFor(key))!);
        File.Copy(RepoPaths.MediaFile("grid_bbaf2n.mp4"), store.PathFor(key));

        await harness.Bus.Publish(new ExtractFrames(jobId, ClipNames.Source, key, 32));

        Assert.True(await harness.Published.Any<FramesExtracted>(m => m.Context.Message.JobId == jobId));
        var extracted = harness.Published.Select<FramesExtracted>().Single(m => m.Context.Message.JobId == jobId).Context.Message;
        Assert.Equal([32, 32, 11], extracted.Chunks.Select(c => c.FrameCount));
        Assert.Equal([0, 32, 64], extracted.Chunks.Select(c => c.FirstFrame));
        Assert.True(store.Exists(extracted.TimelineKey));
        // No frames are stored: the clip's folder holds what extraction measured (its timeline and audio), nothing per frame.
        var files = Directory.GetFiles(store.PathFor(MediaKeys.ClipFolder(jobId, ClipNames.Source)), "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        Assert.Contains(FrameTimeline.FileName, files);
        Assert.All(files, name => Assert.True(name is FrameTimeline.FileName or FrameExtractor.AudioFileName, $"{name} is not a measurement"));
        Assert.Equal((25L, 1L), (extracted.Video.FrameRateNumerator, extracted.Video.FrameRateDenominator));
    }

    private static async Task<(ITestHarness Harness, MediaStore Store, ServiceProvider Provider)> StartHarness()
    {
        var store = new MediaStore(RepoPaths.NewScratchFolder("consumer"));
        var provider = new ServiceCollection()
            .AddLogging()
            .AddSingleton(store)
            .AddSingleton(MediaLimits.Default)
            .AddSingleton<FrameExtractionStage>()
            .AddMassTransitTestHarness(x => x.AddConsumer<ExtractFramesConsumer>())
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        harness.TestTimeout = TimeSpan.FromSeconds(60);
        await harness.Start();
        return (harness, store, provider);
    }
}
