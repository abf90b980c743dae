using MassTransit;
using FacePipeline.ExpressionTransfer;
using FacePipeline.Geometry;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;

// ExpressionTransfer: carries the source's per-frame expression onto the target's face (deformation transfer, or in blendshape space with the ICT-FaceKit model when installed) and plans the result's frames.
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
var models = new ModelPaths(builder.Configuration["Models:Root"] ?? ModelPaths.DefaultRoot());
builder.Services.AddSingleton(_ => CanonicalFaceMesh.Load(models.FaceGeometry));
builder.Services.AddSingleton(models);
builder.Services.AddSingleton<IctFitterSource>(); // loads the ICT model on the first job that needs it
builder.Services.AddSingleton<IBlendshapeSpaceTransfer, IctBlendshapeSpaceTransfer>();
builder.Services.AddSingleton<ExpressionTransferStage>();
builder.Services.AddMessageBus(builder.Configuration, bus => bus.AddConsumer<TransferExpressionsConsumer, TransferExpressionsConsumerDefinition>());

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();
