using MassTransit;
using FacePipeline.Geometry;
using FacePipeline.Rendering;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;

// Rendering: builds the clip's 3D face records (filter, pose, expression), draws the mesh, encodes the QC clip, writes the tracking data.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
var models = new ModelPaths(builder.Configuration["Models:Root"] ?? ModelPaths.DefaultRoot());
builder.Services.AddSingleton(_ => CanonicalFaceMesh.Load(models.FaceGeometry));
builder.Services.AddSingleton<TrackRenderStage>();
builder.Services.AddMessageBus(builder.Configuration, bus => bus.AddConsumer<RenderTrackOutputsConsumer, RenderTrackOutputsConsumerDefinition>());

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();
