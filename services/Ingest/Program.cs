using FacePipeline.Ingest.Api;
using FacePipeline.Orchestration;
using FacePipeline.Persistence;
using FacePipeline.ServiceDefaults;

// Ingest: the studios' HTTP API, and the job coordinator that owns job state and its outbox.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddJobStore(builder.Configuration.RequiredConnectionString("Jobs"));
builder.Services.AddJobOrchestration();
builder.Services.AddMessageBus(builder.Configuration, bus => bus.AddJobCoordinatorConsumers());
builder.AddIngestApi();

var app = builder.Build();
await app.MigrateJobStoreAsync();
app.MapIngestApi();
app.MapDefaultEndpoints();
app.Run();

/// <summary>Entry point type, for tests that host the API.</summary>
public partial class Program;
