using MassTransit;
using FacePipeline.FrameExtraction;
using FacePipeline.Media;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;

// Frame extraction: probes and validates uploads, splits them into raw frame chunks in the media store.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddSingleton(builder.Configuration.GetSection("Extraction:Limits").Get<MediaLimits>() ?? MediaLimits.Default);
builder.Services.AddSingleton<FrameExtractionStage>();
builder.Services.AddMessageBus(builder.Configuration, bus => bus.AddConsumer<ExtractFramesConsumer, ExtractFramesConsumerDefinition>());

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();
