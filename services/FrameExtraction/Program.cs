using MassTransit;
using FacePipeline.FrameExtraction;
using FacePipeline.Media;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;

// Frame extraction: probes and validates uploads, splits them into raw frame chunks in the media store.
// Settings (Extraction__Limits__*, Extraction__Staging__*) are checked at start-up, and so is setpriv, which makes each
// ffmpeg die with this process; the staging folders of extractions that died anyway are swept (StagingSweepService).
var builder = ServiceHost.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddExtractionOptions();
builder.Services.AddSingleton<FrameExtractionStage>();
builder.Services.AddSingleton<MediaToolsCheck>();
builder.Services.AddStagingSweep();
builder.Services.AddMessageBus(bus =>
{
    bus.AddConsumer<ExtractFramesConsumer, ExtractFramesConsumerDefinition>();
    bus.AddEndedJobsListener(); // an ended job's extraction still queued is dropped
});

var app = builder.Build();
if (!app.PassesStartupChecks(typeof(FrameExtractionStage), typeof(MediaToolsCheck)))
{
    return 1;
}

app.Logger.LogInformation("{Children}", app.Services.GetRequiredService<MediaToolsCheck>().Description);

app.MapDefaultEndpoints();
app.Run();
return 0;
