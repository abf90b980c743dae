using MassTransit;
using FacePipeline.Geometry;
using FacePipeline.NeuralRenderer;
using FacePipeline.Rendering;
using FacePipeline.Retarget;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;

// Rendering: track jobs: the 3D face records, the QC clip, the tracking data and the blendshape curves (ICT-FaceKit, when installed). Retarget jobs: the result (warp renderer, or the actor's neural renderer on ONNX Runtime), the review clip, ProRes on request.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
var models = new ModelPaths(builder.Configuration["Models:Root"] ?? ModelPaths.DefaultRoot());
builder.Services.AddSingleton(_ => CanonicalFaceMesh.Load(models.FaceGeometry));
builder.Services.AddSingleton(models);
builder.Services.AddSingleton<ITrackCurvesWriter, IctTrackCurvesWriter>();
builder.Services.AddSingleton<TrackRenderStage>();
builder.Services.AddSingleton<IFaceRendererFactory, NeuralFaceRendererFactory>();
builder.Services.AddSingleton<IRenderedFaceTrackerFactory, LandmarkRenderedFaceTrackerFactory>(); // the retarget renderer's closed loop and QC
builder.Services.AddSingleton<IIdentityEmbedderFactory, ModelIdentityEmbedderFactory>(); // the QC's identity check
builder.Services.AddSingleton(builder.Configuration.GetSection("Rendering").Get<RetargetRenderOptions>() ?? RetargetRenderOptions.Default);
builder.Services.AddSingleton<RetargetRenderStage>();
builder.Services.AddMessageBus(builder.Configuration, bus =>
{
    bus.AddConsumer<RenderTrackOutputsConsumer, RenderTrackOutputsConsumerDefinition>();
    bus.AddConsumer<RenderRetargetOutputsConsumer, RenderRetargetOutputsConsumerDefinition>();
});

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();
