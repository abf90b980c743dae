using MassTransit;
using FacePipeline.ExpressionTransfer;
using FacePipeline.Geometry;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;
using FacePipeline.Storage;
using Microsoft.Extensions.Options;

// ExpressionTransfer: carries the source's per-frame expression onto the target's face (deformation transfer, or in
// blendshape space with the ICT-FaceKit model: ExpressionTransfer__BlendshapeSpace, on by default, needs the model) and
// plans the result's frames. Settings and models are checked at start-up.
var builder = ServiceHost.CreateBuilder(args);
builder.AddServiceDefaults();
builder.Services.AddExpressionTransferOptions();
builder.Services.AddSingleton(sp => CanonicalFaceMesh.Load(sp.GetRequiredService<ModelPaths>().FaceGeometry));
builder.Services.AddSingleton<IctFitterSource>(); // loads the ICT model on the first job that needs it
builder.Services.AddSingleton<IBlendshapeSpaceTransfer, IctBlendshapeSpaceTransfer>();
// Every dependency passed explicitly: the blendshape-space transfer is left out only when the setting says so.
builder.Services.AddSingleton(sp => new ExpressionTransferStage(
    sp.GetRequiredService<MediaStore>(),
    sp.GetRequiredService<CanonicalFaceMesh>(),
    sp.GetRequiredService<IOptions<ExpressionTransferOptions>>().Value.BlendshapeSpace ? sp.GetRequiredService<IBlendshapeSpaceTransfer>() : null));
builder.Services.AddMessageBus(bus =>
{
    bus.AddConsumer<TransferExpressionsConsumer, TransferExpressionsConsumerDefinition>();
    bus.AddEndedJobsListener(); // an ended job's transfer still queued is dropped
});

var app = builder.Build();
if (!app.PassesStartupChecks(typeof(ExpressionTransferStage)))
{
    return 1;
}

var options = app.Services.GetRequiredService<IOptions<ExpressionTransferOptions>>().Value;
app.Logger.LogInformation(
    "Blendshape-space transfer: {State} (ExpressionTransfer__BlendshapeSpace={Setting}; ICT-FaceKit model {Folder})",
    options.BlendshapeSpace ? "on" : "off, such jobs are refused",
    options.BlendshapeSpace,
    app.Services.GetRequiredService<ModelPaths>().IctFaceModel);
app.MapDefaultEndpoints();
app.Run();
return 0;
