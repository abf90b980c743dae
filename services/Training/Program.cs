using MassTransit;
using FacePipeline.ActorTraining;
using FacePipeline.Geometry;
using FacePipeline.NeuralRenderer;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;
using FacePipeline.Training;

// Training: learns an actor's neural renderer (TorchSharp; CUDA when present) from the actor's reconstructed footage.
// A host whose libtorch fails the self-check (a tiny forward and backward pass against independent answers) takes no
// training: its readiness says why, and the jobs wait for a host that computes right.
var selfCheck = TorchSelfCheck.Run();
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
var models = new ModelPaths(builder.Configuration["Models:Root"] ?? ModelPaths.DefaultRoot());
builder.Services.AddSingleton(_ => CanonicalFaceMesh.Load(models.FaceGeometry));
builder.Services.AddSingleton(builder.Configuration.GetSection("Training").Get<TrainingStageOptions>() ?? TrainingStageOptions.Default);
builder.Services.AddSingleton<ActorTrainingStage>();
builder.Services.AddSingleton<TrainingCancellations>();
builder.Services.AddSingleton(selfCheck);
builder.Services.AddHealthChecks().AddCheck<TorchSelfCheckHealthCheck>("torch-self-check", tags: ["ready"]);
builder.Services.AddMessageBus(builder.Configuration, bus =>
{
    if (selfCheck.Passed)
    {
        bus.AddConsumer<TrainActorModelConsumer, TrainActorModelConsumerDefinition>();
    }

    bus.AddConsumer<JobCancelledConsumer>().Endpoint(e =>
    {
        e.InstanceId = Environment.MachineName + "-" + Environment.ProcessId;
        e.Temporary = true;
    });
});

var app = builder.Build();
if (selfCheck.Passed)
{
    app.Logger.LogInformation("Self-check: {Summary}", selfCheck.Summary);
}
else
{
    app.Logger.LogCritical("Self-check failed, this host takes no training: {Summary}", selfCheck.Summary);
}

app.MapDefaultEndpoints();
app.Run();
