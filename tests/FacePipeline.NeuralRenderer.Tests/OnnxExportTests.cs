using FacePipeline.NeuralRenderer;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace FacePipeline.NeuralRenderer.Tests;

public sealed class OnnxExportTests
{
    public static TheoryData<UpsamplingMode, int, int, int, int> Cases => new()
    {
        // upsampling, depth, base channels, height, width
        { UpsamplingMode.TransposedConvolution, 4, 8, 64, 64 },
        { UpsamplingMode.TransposedConvolution, 3, 12, 48, 80 },
        { UpsamplingMode.NearestConvolution, 4, 8, 64, 64 },
        { UpsamplingMode.NearestConvolution, 3, 6, 32, 56 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void OnnxRuntime_and_TorchSharp_give_the_same_output_on_random_inputs(UpsamplingMode upsampling, int depth, int baseChannels, int height, int width)
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(1234 + depth + baseChannels);
        using var generator = new UNetGenerator(new GeneratorConfig
        {
            InputChannels = ConditioningLayout.Channels,
            BaseChannels = baseChannels,
            MaxChannels = baseChannels * 4,
            Depth = depth,
            Upsampling = upsampling,
        });
        Randomise(generator);
        generator.eval();

        var bytes = GeneratorOnnxExporter.Export(generator, height, width);
        using var session = new InferenceSession(bytes);
        Assert.Equal(GeneratorOnnxExporter.InputName, Assert.Single(session.InputMetadata).Key);
        Assert.Equal(GeneratorOnnxExporter.OutputName, Assert.Single(session.OutputMetadata).Key);

        const int batch = 2;
        var input = torch.rand([batch, ConditioningLayout.Channels, height, width]);
        float[] expected;
        using (torch.no_grad())
        {
            expected = generator.forward(input).contiguous().data<float>().ToArray();
        }

        var inputData = input.contiguous().data<float>().ToArray();
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(
            GeneratorOnnxExporter.InputName,
            new DenseTensor<float>(inputData, [batch, ConditioningLayout.Channels, height, width]))]);
        var output = results.Single().AsTensor<float>();
        Assert.Equal([batch, 3, height, width], output.Dimensions.ToArray());
        var actual = output.ToArray();

        Assert.Equal(expected.Length, actual.Length);
        var maxDiff = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(maxDiff <= 1e-4, $"max |ORT − TorchSharp| = {maxDiff:E2}");

        // The output must not be trivially constant (a saturated or broken graph would pass a parity check).
        Assert.True(expected.Max() - expected.Min() > 0.1, "generator output has no range");
    }

    [Fact]
    public void The_exported_graph_uses_the_expected_operators()
    {
        torch.manual_seed(7);
        using var transposed = new UNetGenerator(new GeneratorConfig { BaseChannels = 4, Depth = 3 });
        var ops = GeneratorOnnxExporter.Build(transposed, 32, 32).NodeOpTypes;
        Assert.Equal(3 + 1, ops.Count(o => o == "Conv")); // three encoder levels + output
        Assert.Equal(3, ops.Count(o => o == "ConvTranspose"));
        Assert.Equal(2 + 3, ops.Count(o => o == "InstanceNormalization"));
        Assert.Equal(2 + 1, ops.Count(o => o == "Concat"));
        Assert.Single(ops, o => o == "Tanh");
        Assert.DoesNotContain("Resize", ops);

        using var nearest = new UNetGenerator(new GeneratorConfig { BaseChannels = 4, Depth = 3, Upsampling = UpsamplingMode.NearestConvolution });
        var nearestOps = GeneratorOnnxExporter.Build(nearest, 32, 32).NodeOpTypes;
        Assert.Equal(3, nearestOps.Count(o => o == "Resize"));
        Assert.DoesNotContain("ConvTranspose", nearestOps);

        Assert.Throws<ArgumentOutOfRangeException>(() => GeneratorOnnxExporter.Build(nearest, 36, 32));
    }

    /// <summary>Every parameter uniform in ±0.5 (InstanceNorm scales around 1), so no layer is left at its default.</summary>
    private static void Randomise(UNetGenerator generator)
    {
        using var noGrad = torch.no_grad();
        foreach (var (name, p) in generator.named_parameters())
        {
            if (name.Contains("Norm", StringComparison.OrdinalIgnoreCase) && name.EndsWith("weight", StringComparison.Ordinal))
            {
                p.uniform_(0.5, 1.5);
            }
            else
            {
                p.uniform_(-0.5, 0.5);
            }
        }
    }
}
