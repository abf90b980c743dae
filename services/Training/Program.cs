using MassTransit;
using FacePipeline.ActorTraining;
using FacePipeline.Geometry;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;
using FacePipeline.Training;

// Training: learns an actor's neural renderer (TorchSharp; CUDA when present) from the actor's reconstructed footage.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
var models = new ModelPaths(builder.Configuration["Models:Root"] ?? ModelPaths.DefaultRoot());
builder.Services.AddSingleton(_ => CanonicalFaceMesh.Load(models.FaceGeometry));
builder.Services.AddSingleton(builder.Configuration.GetSection("Training").Get<TrainingStageOptions>() ?? TrainingStageOptions.Default);
builder.Services.AddSingleton<ActorTrainingStage>();
builder.Services.AddSingleton<TrainingCancellations>();
builder.Services.AddMessageBus(builder.Configuration, bus =>
{
    bus.AddConsumer<TrainActorModelConsumer, TrainActorModelConsumerDefinition>();
    bus.AddConsumer<JobCancelledConsumer>().Endpoint(e =>
    {
        e.InstanceId = Environment.MachineName + "-" + Environment.ProcessId;
        e.Temporary = true;
    });
});

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();
