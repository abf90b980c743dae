using MassTransit;
using FacePipeline.FrameExtraction;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;

// Frame extraction: probes and validates uploads, splits them into raw frame chunks in the media store.
// Settings (Extraction__Limits__*) are checked at start-up.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddExtractionOptions();
builder.Services.AddSingleton<FrameExtractionStage>();
builder.Services.AddMessageBus(bus => bus.AddConsumer<ExtractFramesConsumer, ExtractFramesConsumerDefinition>());

var app = builder.Build();
if (!app.PassesStartupChecks(typeof(FrameExtractionStage)))
{
    return 1;
}

app.MapDefaultEndpoints();
app.Run();
return 0;
