using MassTransit;
using FacePipeline.Geometry;
using FacePipeline.Media;
using FacePipeline.NeuralRenderer;
using FacePipeline.Rendering;
using FacePipeline.Retarget;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;
using FacePipeline.Storage;
using Microsoft.Extensions.Options;

// Rendering: track jobs: the QC clip in segments (any number of workers at once), joined without re-encoding, the
// tracking data and the blendshape curves (ICT-FaceKit:
// Rendering__BlendshapeCurves, on by default, needs the model). Retarget jobs, in segments too: the result (warp renderer,
// or the actor's neural renderer on ONNX Runtime), the review clip, the matte and the mastering formats asked for, the QC
// (identity check: Rendering__IdentityCheck).
// Settings and models are checked at start-up.
var builder = ServiceHost.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddRenderingOptions();
builder.Services.AddSingleton(sp => CanonicalFaceMesh.Load(sp.GetRequiredService<ModelPaths>().FaceGeometry));
builder.Services.AddSingleton<ITrackCurvesWriter, IctTrackCurvesWriter>();
builder.Services.AddSingleton<IFaceRendererFactory, NeuralFaceRendererFactory>();
builder.Services.AddSingleton<IRenderedFaceTrackerFactory, LandmarkRenderedFaceTrackerFactory>(); // the retarget renderer's closed loop and QC
builder.Services.AddSingleton<IIdentityEmbedderFactory, ModelIdentityEmbedderFactory>(); // the QC's identity check
builder.Services.AddSingleton<MediaToolsCheck>(); // ffmpeg, ffprobe and setpriv (each encoder dies with this process)
// Every dependency passed explicitly: a capability is left out only when its setting says so.
builder.Services.AddSingleton(sp =>
{
    var options = sp.GetRequiredService<IOptions<RenderingOptions>>().Value;
    return new TrackRenderStage(
        sp.GetRequiredService<MediaStore>(),
        sp.GetRequiredService<CanonicalFaceMesh>(),
        options.BlendshapeCurves ? sp.GetRequiredService<ITrackCurvesWriter>() : null);
});
builder.Services.AddSingleton(sp => new QcSegmentRenderStage(sp.GetRequiredService<MediaStore>(), sp.GetRequiredService<CanonicalFaceMesh>()));
builder.Services.AddSingleton(sp =>
{
    var options = sp.GetRequiredService<IOptions<RenderingOptions>>().Value;
    return new RetargetRenderStage(
        sp.GetRequiredService<MediaStore>(),
        sp.GetRequiredService<CanonicalFaceMesh>(),
        neuralRenderers: sp.GetRequiredService<IFaceRendererFactory>(),
        curves: options.BlendshapeCurves ? sp.GetRequiredService<ITrackCurvesWriter>() : null,
        feedback: sp.GetRequiredService<IRenderedFaceTrackerFactory>(),
        restingFace: true,
        options: options.ToRetargetRenderOptions(),
        identities: options.IdentityCheck ? sp.GetRequiredService<IIdentityEmbedderFactory>() : null);
});
builder.Services.AddMessageBus(bus =>
{
    bus.AddEndedJobsListener(); // an ended job's work still queued is dropped
    bus.AddConsumer<RenderQcSegmentConsumer, RenderQcSegmentConsumerDefinition>();
    bus.AddConsumer<RenderTrackOutputsConsumer, RenderTrackOutputsConsumerDefinition>();
    bus.AddConsumer<RenderRetargetSegmentConsumer, RenderRetargetSegmentConsumerDefinition>();
    bus.AddConsumer<RenderRetargetOutputsConsumer, RenderRetargetOutputsConsumerDefinition>();
});

var app = builder.Build();
if (!app.PassesStartupChecks(typeof(TrackRenderStage), typeof(QcSegmentRenderStage), typeof(RetargetRenderStage), typeof(MediaToolsCheck)))
{
    return 1;
}

var settings = app.Services.GetRequiredService<IOptions<RenderingOptions>>().Value;
app.Logger.LogInformation(
    "Blendshape curves: {Curves} (Rendering__BlendshapeCurves); identity check: {Identity} (Rendering__IdentityCheck); closed loop: {Rounds} round(s) per frame",
    settings.BlendshapeCurves ? "on" : "off",
    settings.IdentityCheck ? "on" : "off",
    settings.ClosedLoopRounds);
app.Logger.LogInformation("{Children}", app.Services.GetRequiredService<MediaToolsCheck>().Description);
app.MapDefaultEndpoints();
app.Run();
return 0;
