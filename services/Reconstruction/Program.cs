using MassTransit;
using FacePipeline.Face;
using FacePipeline.Reconstruction;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;
using Microsoft.Extensions.Options;

// Reconstruction: tracks the faces through a chunk and records their 468 landmarks, and their irises with the refined
// landmark model (Reconstruction__RefinedLandmarks, the default: the model must be installed; one ONNX Runtime session
// per model per process). Settings and models are checked at start-up.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddReconstructionOptions();
builder.Services.AddSingleton(sp => new BlazeFaceDetector(sp.GetRequiredService<ModelPaths>().FaceDetector));
builder.Services.AddSingleton(sp => sp.GetRequiredService<ModelPaths>().OpenLandmarkModel(sp.GetRequiredService<IOptions<ReconstructionOptions>>().Value.RefinedLandmarks));
builder.Services.AddSingleton<FaceReconstructionStage>();
builder.Services.AddSingleton(sp => FacePipeline.Geometry.CanonicalFaceMesh.Load(sp.GetRequiredService<ModelPaths>().FaceGeometry));
builder.Services.AddSingleton<FaceSequenceStage>();
builder.Services.AddMessageBus(bus =>
{
    bus.AddEndedJobsListener(); // an ended job's work still queued is dropped
    bus.AddConsumer<ReconstructFacesConsumer, ReconstructFacesConsumerDefinition>();
    bus.AddConsumer<BuildFaceSequenceConsumer>();
});

var app = builder.Build();
if (!app.PassesStartupChecks(typeof(FaceReconstructionStage), typeof(FaceSequenceStage)))
{
    return 1;
}

var options = app.Services.GetRequiredService<IOptions<ReconstructionOptions>>().Value;
var models = app.Services.GetRequiredService<ModelPaths>();
app.Logger.LogInformation(
    "Landmark model: {Model} (Reconstruction__RefinedLandmarks={Setting}; {Path})",
    app.Services.GetRequiredService<FaceReconstructionStage>().Landmarker.Name,
    options.RefinedLandmarks,
    options.RefinedLandmarks ? models.RefinedFaceLandmarksPath : models.FaceLandmarksModel.Path);
app.MapDefaultEndpoints();
app.Run();
return 0;
