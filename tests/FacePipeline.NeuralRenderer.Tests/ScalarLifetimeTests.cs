using FacePipeline.NeuralRenderer;
using TorchSharp;
using static TorchSharp.torch;

namespace FacePipeline.NeuralRenderer.Tests;

/// <summary>
/// TorchSharp does not keep a scalar alive while libtorch reads it, so the renderer holds the numbers its tensor
/// arithmetic uses (HeldScalars). A temporary <c>x * 2 - 1</c> under a thread that collects in a loop crashed the test
/// process within seconds; CI once failed a training test with "Unknown scalar type" from it.
/// </summary>
public sealed class ScalarLifetimeTests
{
    [Fact]
    [Trait("Lane", "Fast")]
    public void A_scalar_made_inside_a_dispose_scope_outlives_the_scope_so_a_held_scalar_first_used_in_one_stays_valid()
    {
        // HeldScalars are made on first use, which may be inside a training step's dispose scope: the scope must not
        // take them with it (it disposes tensors, not scalars).
        Scalar three;
        using (torch.NewDisposeScope())
        {
            three = 3.ToScalar();
        }

        using var x = torch.ones(4);
        using var y = x * three;
        Assert.Equal([3f, 3f, 3f, 3f], y.data<float>().ToArray());
        three.Dispose();
    }

    [Fact]
    public void The_renderers_tensor_arithmetic_survives_garbage_collections_during_its_native_calls()
    {
        using var generator = new UNetGenerator(new GeneratorConfig { BaseChannels = 4, MaxChannels = 8, Depth = 2 });
        using var discriminator = new PatchDiscriminator(new DiscriminatorConfig { BaseChannels = 4, Layers = 2 });
        generator.eval();
        discriminator.eval();
        var channels = generator.Config.InputChannels;
        using var input = torch.rand(1, channels, 16, 16, generator: new torch.Generator(7));
        using var target = torch.rand(1, 3, 16, 16, generator: new torch.Generator(8));
        using var mask = torch.ones(1, 1, 16, 16);

        float[] Pass()
        {
            using var scope = torch.NewDisposeScope();
            using var noGrad = torch.no_grad();
            var fake = generator.forward(input);
            var scores = discriminator.forward(input, fake);
            var losses = new[]
            {
                GanLosses.MaskedL1(fake, target, mask),
                GanLosses.MaskedL1(fake, target, HeldScalars.One - mask),
                GanLosses.LsganDiscriminator(scores[^1], scores[^1]),
                GanLosses.LsganGenerator(scores[^1]),
                GanLosses.FeatureMatching(scores, scores),
            };
            return [.. losses.Select(l => l.item<float>()), (float)ImageMetrics.MaskedPsnr(fake, target, mask), (float)ImageMetrics.MaskedSsim(fake, target, mask)];
        }

        var expected = Pass();
        using var stop = new CancellationTokenSource();
        var collector = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }) { IsBackground = true };
        collector.Start();
        var passes = 0;
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(3))
            {
                Assert.Equal(expected, Pass());
                passes++;
            }
        }
        finally
        {
            stop.Cancel();
            collector.Join();
        }

        Assert.True(passes > 10, $"only {passes} passes ran");
    }
}
