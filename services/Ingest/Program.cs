using FacePipeline.Ingest.Api;
using FacePipeline.Ingest.App;
using FacePipeline.Orchestration;
using FacePipeline.Persistence;
using FacePipeline.ServiceDefaults;

// Ingest: the studios' HTTP API, and the job coordinator that owns job state and its outbox.
// The studios' web app is under /app (docs/app.md).
// Settings (Ingest__*, Uploads__*, Outbox__*, Watchdog__*, Retention__*, Pipelines__*, RabbitMq__*, Media__Root) are checked at start-up, before the job store is migrated.
var builder = ServiceHost.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddJobStore(builder.Configuration.RequiredConnectionString("Jobs"));
builder.Services.AddJobOrchestration();
builder.Services.AddMessageBus(bus => bus.AddJobCoordinatorConsumers());
builder.AddIngestApi();
builder.AddUploadsApi();
builder.AddStudioApp();

var app = builder.Build();
if (!app.PassesStartupChecks())
{
    return 1;
}

await app.MigrateJobStoreAsync();
app.MapIngestApi();
app.MapStudioApp();
app.MapDefaultEndpoints();
app.Run();
return 0;

/// <summary>Entry point type, for tests that host the API.</summary>
public partial class Program;
