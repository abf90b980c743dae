using MassTransit;
using FacePipeline.Rendering;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;

// Rendering: draws the tracking on the frames, encodes the QC clip and writes the tracking data.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddSingleton<TrackRenderStage>();
builder.Services.AddMessageBus(builder.Configuration, bus => bus.AddConsumer<RenderTrackOutputsConsumer, RenderTrackOutputsConsumerDefinition>());

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();
