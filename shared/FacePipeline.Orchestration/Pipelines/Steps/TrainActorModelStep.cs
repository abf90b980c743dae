using System.Text.Json;
using FacePipeline.Contracts;
using FacePipeline.Persistence;
using Microsoft.EntityFrameworkCore;

namespace FacePipeline.Orchestration.Pipelines.Steps;

/// <summary>
/// train: the job's model version is trained on every clip of the actor. Progress counts training steps; the model
/// row keeps the latest figures. A job that fails or is cancelled leaves its model version in that state, and a cancel
/// tells the training service to stop the run in hand (<see cref="JobCancelled"/>).
/// </summary>
public sealed class TrainActorModelStep : PipelineStep<TrainActorModel, ActorModelTrained>
{
    private static readonly JsonSerializerOptions MetricsJson = new(JsonSerializerDefaults.Web);

    public override string Name => StageNames.Train;

    public override JobState RunningState => JobState.Training;

    public override string Unit => ProgressUnits.Steps;

    public override Type? Progress => typeof(ActorTrainingProgressed);

    public override async Task Start(StepContext context)
    {
        var job = context.Job;
        var model = await Model(context);
        var train = context.Run(Name);
        train.FramesTotal = model.MaxSteps;
        var clips = new List<ClipTrack>();
        foreach (var clip in job.Clips.OrderBy(c => c.Name, StringComparer.Ordinal))
        {
            clips.Add(await context.ClipTrack(clip.Name));
        }

        context.Send(new TrainActorModel(
            job.Id,
            model.ActorId,
            model.Id,
            model.Version,
            clips,
            JobSettings.Training(job.Settings),
            model.CheckpointKey,
            model.GeneratorKey,
            model.PreviewKey));
    }

    /// <summary>Late or repeated reports change nothing.</summary>
    public override async Task<StepOutcome> Report(StepContext context, object message)
    {
        var progress = (ActorTrainingProgressed)message;
        var train = context.Stage(Name);
        if (context.Job.State != RunningState || progress.Step <= train.FramesDone)
        {
            return StepOutcome.Stale;
        }

        train.FramesDone = progress.Step;
        train.FramesTotal = progress.MaxSteps;
        var model = await Model(context);
        model.Step = progress.Step;
        model.MaxSteps = progress.MaxSteps;
        model.TrainingSeconds = progress.ElapsedSeconds;
        var previous = Metrics(model);
        model.Metrics = JobSettings.SerializeValue(new ModelMetrics(progress.Losses ?? previous?.Losses, progress.Validation ?? previous?.Validation, previous?.WarpBaseline));
        return StepOutcome.Progressed;
    }

    /// <summary>The model version becomes the actor's latest ready model.</summary>
    protected override async Task<StepOutcome> Complete(StepContext context, ActorModelTrained message)
    {
        var train = context.Stage(Name);
        train.FramesDone = train.FramesTotal = message.Steps;
        var model = await Model(context);
        model.State = ActorModelState.Ready;
        model.Step = model.MaxSteps = message.Steps;
        model.TrainingSeconds = message.TrainingSeconds;
        model.Metrics = JobSettings.SerializeValue(new ModelMetrics(Metrics(model)?.Losses, message.Validation, message.WarpBaseline));
        model.CompletedAt = context.Now;
        context.AddOutput(ActorModelFiles.Generator, message.GeneratorKey);
        context.AddOutput(ActorModelFiles.Preview, message.PreviewKey);
        return StepOutcome.Done;
    }

    public override async Task OnJobEnded(StepContext context)
    {
        var model = await Model(context);
        model.State = context.Job.State == JobState.Cancelled ? ActorModelState.Cancelled : ActorModelState.Failed;
        model.CompletedAt = context.Now;
        if (context.Job.State == JobState.Cancelled)
        {
            context.Send(new JobCancelled(context.Job.Id)); // the training service stops the work in hand
        }
    }

    private static Task<ActorModel> Model(StepContext context) =>
        context.Db.ActorModels.SingleAsync(m => m.JobId == context.Job.Id, context.CancellationToken);

    private static ModelMetrics? Metrics(ActorModel model) =>
        model.Metrics is { } text ? JsonSerializer.Deserialize<ModelMetrics>(text, MetricsJson) : null;
}
