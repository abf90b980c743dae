using MassTransit;
using FacePipeline.ActorTraining;
using FacePipeline.Geometry;
using FacePipeline.NeuralRenderer;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;
using FacePipeline.Training;

// Training: learns an actor's neural renderer (TorchSharp; CUDA when present) from the actor's reconstructed footage.
// A host whose libtorch fails the self-check (a tiny forward and backward pass against independent answers) takes no
// training: its readiness says why, and the jobs wait for a host that computes right. Settings (Training__*) and the
// models are checked at start-up.
var builder = ServiceHost.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddTrainingOptions();
builder.Services.AddRabbitMqOptions();
if (!builder.PassesSettingsChecks()) // before the self-check, which takes a while: a wrong setting stops the service at once
{
    return 1;
}

var selfCheck = TorchSelfCheck.Run();
builder.Services.AddSingleton(sp => CanonicalFaceMesh.Load(sp.GetRequiredService<ModelPaths>().FaceGeometry));
builder.Services.AddSingleton<ActorTrainingStage>();
builder.Services.AddSingleton<TrainingCancellations>();
builder.Services.AddSingleton(selfCheck);
builder.Services.AddHealthChecks().AddCheck<TorchSelfCheckHealthCheck>("torch-self-check", tags: ["ready"]);
builder.Services.AddMessageBus(bus =>
{
    bus.AddEndedJobsListener(); // an ended job's work still queued is dropped
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
if (!app.PassesStartupChecks(typeof(ActorTrainingStage)))
{
    return 1;
}

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
return 0;
