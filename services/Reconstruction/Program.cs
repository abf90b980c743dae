using MassTransit;
using FacePipeline.Face;
using FacePipeline.Reconstruction;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;
using FacePipeline.Storage;

// Reconstruction: finds the faces on every frame of a chunk (one ONNX Runtime session per process).
var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
var models = new ModelPaths(builder.Configuration["Models:Root"] ?? ModelPaths.DefaultRoot());
builder.Services.AddSingleton(_ => new BlazeFaceDetector(models.BlazeFace));
builder.Services.AddSingleton(sp => new FaceDetectionStage(sp.GetRequiredService<MediaStore>(), sp.GetRequiredService<BlazeFaceDetector>()));
builder.Services.AddMessageBus(builder.Configuration, bus => bus.AddConsumer<DetectFacesConsumer, DetectFacesConsumerDefinition>());

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();
