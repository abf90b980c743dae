using MassTransit;
using FacePipeline.Face;
using FacePipeline.Reconstruction;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;

// Reconstruction: tracks the faces through a chunk and records their 468 landmarks, and their irises with the refined
// landmark model (the default when it is installed; one ONNX Runtime session per model per process).
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
var models = new ModelPaths(builder.Configuration["Models:Root"] ?? ModelPaths.DefaultRoot());
var options = ReconstructionOptions.Read(builder.Configuration);
builder.Services.AddSingleton(options);
builder.Services.AddSingleton(_ => new BlazeFaceDetector(models.FaceDetector));
builder.Services.AddSingleton(_ => models.OpenLandmarkModel(options.RefinedLandmarks));
builder.Services.AddSingleton<FaceReconstructionStage>();
builder.Services.AddMessageBus(builder.Configuration, bus => bus.AddConsumer<ReconstructFacesConsumer, ReconstructFacesConsumerDefinition>());

var app = builder.Build();
app.Logger.LogInformation(
    "Landmark model: {Model} (refined landmarks {Setting}; {Path} {Presence})",
    options.RefinedLandmarks && models.HasRefinedFaceLandmarks ? FaceLandmarkModel.RefinedName : FaceLandmarkModel.MeshName,
    options.RefinedLandmarks ? "on" : "off",
    models.RefinedFaceLandmarksPath,
    models.HasRefinedFaceLandmarks ? "installed" : "not installed");
app.MapDefaultEndpoints();
app.Run();
