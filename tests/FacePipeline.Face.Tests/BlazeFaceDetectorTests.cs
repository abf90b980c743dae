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

        // Steady state, not warm-up: the first calls of a method go through the runtime's tiered compilation (call
        // counting, then the instrumented tier), and other test classes share these methods' counts, so how far each
        // is along depends on the order the classes ran in. Warm up past those counts first.
        for (var i = 0; i < 100; i++)
        {
            _detector.PrepareInput(image.Pixels, image.Width, image.Height);
            _detector.RunRaw();
        }

        // Then three blocks of calls each, and the least of them: a per-call allocation shows in every block, while a
        // single runtime event on this thread (one CI run in three saw 4.5 KB in one block) cannot fail the test.
        var prepare = Least(() => _detector.PrepareInput(image.Pixels, image.Width, image.Height));
        var run = Least(_detector.RunRaw);
        var detect = Least(() => _detector.Detect(image.Pixels, image.Width, image.Height));
        _output.WriteLine($"allocated (least of 3 blocks): 10 x prepare {prepare} B, 10 x RunRaw {run} B, 10 x Detect {detect} B");
        Assert.Equal(0, prepare);
        Assert.Equal(0, run);

        static long Least(Action call)
        {
            var least = long.MaxValue;
            for (var block = 0; block < 3; block++)
            {
                var before = GC.GetAllocatedBytesForCurrentThread();
                for (var i = 0; i < 10; i++)
                {
                    call();
                }

                least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
            }

            return least;
        }
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
