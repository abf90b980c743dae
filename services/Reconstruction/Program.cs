using MassTransit;
using FacePipeline.Face;
using FacePipeline.Reconstruction;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;
using Microsoft.Extensions.Options;

// Reconstruction: tracks the faces through a chunk and records their 468 landmarks, and their irises with the refined
// landmark model; a track job's chunk is one piece of its single-decode pass (tracked, drawn and encoded as a QC segment) (Reconstruction__RefinedLandmarks, the default: the model must be installed; one ONNX Runtime session
// per model per process). Settings and models are checked at start-up.
var builder = ServiceHost.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddReconstructionOptions();
builder.Services.AddSingleton(sp => FacePipeline.Geometry.CanonicalFaceMesh.Load(sp.GetRequiredService<ModelPaths>().FaceGeometry));
builder.Services.AddSingleton(sp =>
{
    var options = sp.GetRequiredService<IOptions<ReconstructionOptions>>().Value;
    return FaceReconstructionSlots.Open(
        sp.GetRequiredService<FacePipeline.Storage.MediaStore>(),
        sp.GetRequiredService<ModelPaths>(),
        options.RefinedLandmarks,
        options.Slots(Environment.ProcessorCount),
        new InferenceSettings(IntraOpNumThreads: options.ThreadsPerSession(Environment.ProcessorCount)),
        sp.GetRequiredService<FacePipeline.Geometry.CanonicalFaceMesh>().TriangleIndices()); // a track job's single-decode pass draws the QC segment here
});
builder.Services.AddSingleton<FaceSequenceStage>();
builder.Services.AddMessageBus(bus =>
{
    bus.AddEndedJobsListener(); // an ended job's work still queued is dropped
    bus.AddConsumer<ReconstructFacesConsumer, ReconstructFacesConsumerDefinition>();
    bus.AddConsumer<BuildFaceSequenceConsumer>();
});

var app = builder.Build();
if (!app.PassesStartupChecks(typeof(FaceReconstructionSlots), typeof(FaceSequenceStage)))
{
    return 1;
}

var options = app.Services.GetRequiredService<IOptions<ReconstructionOptions>>().Value;
var models = app.Services.GetRequiredService<ModelPaths>();
var slots = app.Services.GetRequiredService<FaceReconstructionSlots>();
app.Logger.LogInformation(
    "Landmark model: {Model} (Reconstruction__RefinedLandmarks={Setting}; {Path}); {Slots} chunk(s) at once, ONNX Runtime threads per session: {Threads} (0: its default)",
    slots.LandmarkModel,
    options.RefinedLandmarks,
    options.RefinedLandmarks ? models.RefinedFaceLandmarksPath : models.FaceLandmarksModel.Path,
    slots.Count,
    options.ThreadsPerSession(Environment.ProcessorCount));
app.MapDefaultEndpoints();
app.Run();
return 0;
