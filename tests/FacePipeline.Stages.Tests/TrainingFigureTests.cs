using System.Text.Json;
using FacePipeline.Contracts;
using MassTransit;
using MassTransit.Serialization;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace FacePipeline.Stages.Tests;

/// <summary>
/// Training figures in messages: a loss or a held-out figure that is not finite travels as null (JSON has no NaN or
/// infinity; the bus's serializer refused the raw value, which faulted the training command after the model was trained).
/// </summary>
public sealed class TrainingFigureTests
{
    private static readonly Guid JobId = Guid.Parse("6d1f3c2a-8b7e-4f5d-9a0c-1e2b3c4d5e6f");

    [Fact]
    [Trait("Lane", "Fast")]
    public void A_progress_report_with_non_finite_figures_serialises_with_the_bus_serializer_as_nulls()
    {
        var progressed = Progressed();

        var json = JsonSerializer.Serialize(progressed, SystemTextJsonMessageSerializer.Options);
        var back = JsonSerializer.Deserialize<ActorTrainingProgressed>(json, SystemTextJsonMessageSerializer.Options)!;

        Assert.Equal(new TrainingLossFigures(null, null, 0.08, null, 1.2), back.Losses);
        Assert.Equal(new ValidationFigures(0.07, null, 0.71, 8), back.Validation);
        // What the figures were before they became nullable: the bus's serializer refuses them.
        Assert.ThrowsAny<ArgumentException>(() => JsonSerializer.Serialize(new { Generator = double.PositiveInfinity }, SystemTextJsonMessageSerializer.Options));
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void A_trained_model_with_a_non_finite_held_out_figure_serialises_as_null()
    {
        var trained = new ActorModelTrained(
            JobId, Guid.NewGuid(), 2000, 3600, ValidationFigures.Of(0.05, double.PositiveInfinity, 0.9, 12), ValidationFigures.Of(0.06, 24.5, double.NaN, 12),
            "g.onnx", "c.bin", "p.png");

        var back = JsonSerializer.Deserialize<ActorModelTrained>(JsonSerializer.Serialize(trained, SystemTextJsonMessageSerializer.Options), SystemTextJsonMessageSerializer.Options)!;

        Assert.Null(back.Validation.Psnr);
        Assert.Equal(0.9, back.Validation.Ssim);
        Assert.Null(back.WarpBaseline.Ssim);
        Assert.Equal(24.5, back.WarpBaseline.Psnr);
    }

    [Fact]
    public async Task A_progress_report_with_an_infinite_loss_goes_through_the_bus_without_a_fault()
    {
        await using var provider = new ServiceCollection()
            .AddMassTransitTestHarness(x =>
            {
                x.SetTestTimeouts(testTimeout: TimeSpan.FromMinutes(2), testInactivityTimeout: TimeSpan.FromSeconds(20));
                x.AddConsumer<ProgressSink>();
            })
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        await harness.Start();

        await harness.Bus.Publish(Progressed());

        Assert.True(await harness.Consumed.Any<ActorTrainingProgressed>(m => m.Context.Message.JobId == JobId));
        var consumed = Assert.Single(await Recorded(ct => harness.Consumed.SelectAsync<ActorTrainingProgressed>(ct))).Context.Message;
        Assert.Null(consumed.Losses!.Generator);
        Assert.Equal(0.08, consumed.Losses.L1);
        Assert.Empty(await Recorded(ct => harness.Published.SelectAsync<Fault<ActorTrainingProgressed>>(ct)));
    }

    /// <summary>What the harness recorded so far: no waiting for more.</summary>
    private static async Task<List<T>> Recorded<T>(Func<CancellationToken, IAsyncEnumerable<T>> select)
    {
        using var now = new CancellationTokenSource();
        await now.CancelAsync();
        var recorded = new List<T>();
        await foreach (var item in select(now.Token))
        {
            recorded.Add(item);
        }

        return recorded;
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void The_settings_that_change_the_training_numbers_are_named_when_they_are_not_the_defaults()
    {
        Assert.Empty(TrainingSettings.Default.ChosenNumerics());
        Assert.Empty(new TrainingSettings(MaxSteps: 500, MaxMinutes: 30).ChosenNumerics()); // budgets do not change the numbers
        Assert.Equal(["cropSize 256", "batchSize 1"], new TrainingSettings(CropSize: 256, BatchSize: 1).ChosenNumerics());
        Assert.Equal("cropSize 128, batchSize 4", TrainingSettings.DefaultNumerics);
    }

    private static ActorTrainingProgressed Progressed() => new(
        JobId, Guid.NewGuid(), 30, 40,
        TrainingLossFigures.Of(double.PositiveInfinity, double.NaN, 0.08, double.NegativeInfinity, 1.2),
        ValidationFigures.Of(0.07, double.PositiveInfinity, 0.71, 8),
        12.5);

    public sealed class ProgressSink : IConsumer<ActorTrainingProgressed>
    {
        public Task Consume(ConsumeContext<ActorTrainingProgressed> context) => Task.CompletedTask;
    }
}
