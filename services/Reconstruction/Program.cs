using MassTransit;
using FacePipeline.Face;
using FacePipeline.Reconstruction;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;

// Reconstruction: tracks the faces through a chunk and records their 468 landmarks (one ONNX Runtime session per model per process).
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
var models = new ModelPaths(builder.Configuration["Models:Root"] ?? ModelPaths.DefaultRoot());
builder.Services.AddSingleton(_ => new BlazeFaceDetector(models.FaceDetector));
builder.Services.AddSingleton(_ => new FaceLandmarker(models.FaceLandmarks));
builder.Services.AddSingleton<FaceReconstructionStage>();
builder.Services.AddMessageBus(builder.Configuration, bus => bus.AddConsumer<ReconstructFacesConsumer, ReconstructFacesConsumerDefinition>());

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();
