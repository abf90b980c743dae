using FacePipeline.Face.Tests.Support;
using Xunit.Abstractions;

namespace FacePipeline.Face.Tests;

public class BlazeFaceDetectorTests : IClassFixture<DetectorFixture>
{
    private readonly BlazeFaceDetector _detector;

    private readonly ITestOutputHelper _output;

    public BlazeFaceDetectorTests(DetectorFixture fixture, ITestOutputHelper output)
    {
        _detector = fixture.Detector;
        _output = output;
    }

    [Fact]
    public void ModelHasTheExpectedInputAndOutputs()
    {
        Assert.Equal("input:0", _detector.InputName);
        Assert.Equal(128, _detector.InputWidth);
        Assert.Equal(128, _detector.InputHeight);
        Assert.Equal(["Identity:0", "Identity_1:0", "Identity_2:0", "Identity_3:0"], _detector.OutputNames.Order(StringComparer.Ordinal));
        Assert.Equal(128 * 128 * 3, _detector.InputTensor.Length);
        Assert.Contains(_detector.ExecutionProvider, new[] { BlazeFaceDetector.CpuExecutionProvider, BlazeFaceDetector.CudaExecutionProvider });
    }

    [Fact]
    public void PlainImagesHaveNoFaces()
    {
        foreach (var (w, h) in new[] { (640, 480), (1280, 720), (97, 301) })
        {
            var image = RgbImage.Solid(w, h, 128, 128, 128);
            Assert.Empty(_detector.Detect(image.Pixels, w, h));
        }
    }

    [Fact]
    public void DetectIsTheStepsInOrder()
    {
        var golden = MediaPipeGolden.Load("astronaut");
        var image = golden.DecodeImage();
        var faces = _detector.Detect(image.Pixels, image.Width, image.Height);

        var letterbox = _detector.PrepareInput(image.Pixels, image.Width, image.Height);
        _detector.RunRaw();
        var raw = _detector.DecodeOutputs();

        Assert.Equal(faces.Count, raw.Count);
        for (var i = 0; i < faces.Count; i++)
        {
            Assert.Equal(faces[i].BoundingBox, letterbox.ToImage(raw[i]).BoundingBox);
        }

        for (var i = 1; i < faces.Count; i++)
        {
            Assert.True(faces[i - 1].Score >= faces[i].Score);
        }
    }

    [Fact]
    public void PreparingTheSameFrameSizeAgainAllocatesNothing()
    {
        var image = RgbImage.Solid(1280, 720, 90, 60, 30);
        _detector.PrepareInput(image.Pixels, image.Width, image.Height);
        _detector.RunRaw();
        var before = GC.GetAllocatedBytesForCurrentThread();
        _detector.PrepareInput(image.Pixels, image.Width, image.Height);
        var prepare = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10; i++)
        {
            _detector.RunRaw();
        }

        var run = GC.GetAllocatedBytesForCurrentThread() - before;
        before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10; i++)
        {
            _detector.Detect(image.Pixels, image.Width, image.Height);
        }

        var detect = GC.GetAllocatedBytesForCurrentThread() - before;
        _output.WriteLine($"allocated: prepare {prepare} B, 10 x RunRaw {run} B, 10 x Detect {detect} B");
        Assert.Equal(0, prepare);
        Assert.Equal(0, run);
    }

    [Fact]
    public void RejectsAFrameThatIsTooSmall()
    {
        Assert.Throws<ArgumentException>(() => _detector.Detect(new byte[10], 64, 64));
    }

    [Fact]
    public void AMissingModelFailsWithTheFetchInstruction()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => new BlazeFaceDetector("/nonexistent/face_detection_short_range.onnx"));
        Assert.Contains("scripts/fetch-models.sh", ex.Message, StringComparison.Ordinal);
    }
}
