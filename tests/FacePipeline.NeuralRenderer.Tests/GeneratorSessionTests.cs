using FacePipeline.NeuralRenderer;
using TorchSharp;

namespace FacePipeline.NeuralRenderer.Tests;

[Trait("Lane", "Fast")]
public sealed class GeneratorSessionTests
{
    [Fact]
    public void The_session_renders_partial_and_full_batches_as_TorchSharp_does()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(99);
        using var generator = new UNetGenerator(new GeneratorConfig { BaseChannels = 6, Depth = 3 });
        using var session = new GeneratorSession(GeneratorOnnxExporter.Export(generator, 32, 40), maxBatch: 3, preferCuda: false);
        Assert.Equal(GeneratorSession.CpuExecutionProvider, session.Provider);
        Assert.Equal((8, 32, 40, 3), (session.InputChannels, session.Height, session.Width, session.MaxBatch));

        var frames = torch.rand([3, 8, 32, 40]);
        float[] expected;
        using (torch.no_grad())
        {
            expected = generator.forward(frames).contiguous().data<float>().ToArray();
        }

        var input = frames.contiguous().data<float>().ToArray();
        var rgb = new float[expected.Length];
        session.Run(input, 3, rgb);
        Assert.True(expected.Zip(rgb, (e, a) => Math.Abs(e - a)).Max() <= 1e-4);

        // A batch of one after a batch of three: only the first frame is rendered, from the same buffers.
        var one = new float[3 * 32 * 40];
        session.Run(input.AsSpan(8 * 32 * 40 * 2), 1, one);
        Assert.True(expected.AsSpan(3 * 32 * 40 * 2).ToArray().Zip(one, (e, a) => Math.Abs(e - a)).Max() <= 1e-4);

        Assert.Throws<ArgumentOutOfRangeException>(() => session.RunBound(4));
        Assert.Throws<ArgumentException>(() => session.Run(input.AsSpan(0, 10), 1, one));
    }

    [Fact]
    public void Planes_become_rounded_clamped_RGB24()
    {
        float[] planes = [0f, 1f, -0.5f, 2f, /* G */ 0.5f, 0.2f, 0.0f, 1f, /* B */ 1f, 0f, 0.999f, 0.001f];
        var rgb = new byte[12];
        GeneratorSession.ToRgb24(planes, 2, 2, rgb);
        Assert.Equal(new byte[] { 0, 128, 255, 255, 51, 0, 0, 0, 255, 255, 255, 0 }, rgb);
    }
}
