using FacePipeline.NeuralRenderer;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using TorchSharp;
using static TorchSharp.torch;

namespace FacePipeline.NeuralRenderer.Tests;

[Trait("Lane", "Fast")]
public sealed class OnnxExportTests
{
    public static TheoryData<UpsamplingMode, GeneratorOutput, int, int, int, int> Cases => new()
    {
        // upsampling, output, depth, base channels, height, width
        { UpsamplingMode.TransposedConvolution, GeneratorOutput.Direct, 4, 8, 64, 64 },
        { UpsamplingMode.TransposedConvolution, GeneratorOutput.BlendWithWarp, 3, 12, 48, 80 },
        { UpsamplingMode.NearestConvolution, GeneratorOutput.Direct, 4, 8, 64, 64 },
        { UpsamplingMode.NearestConvolution, GeneratorOutput.BlendWithWarp, 3, 6, 32, 56 },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void OnnxRuntime_and_TorchSharp_give_the_same_output_on_random_inputs(UpsamplingMode upsampling, GeneratorOutput outputMode, int depth, int baseChannels, int height, int width)
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
            Output = outputMode,
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
        using var transposed = new UNetGenerator(new GeneratorConfig { BaseChannels = 4, Depth = 3, Output = GeneratorOutput.Direct });
        var ops = GeneratorOnnxExporter.Build(transposed, 32, 32).NodeOpTypes;
        Assert.Equal(3 + 1, ops.Count(o => o == "Conv")); // three encoder levels + output
        Assert.Equal(3, ops.Count(o => o == "ConvTranspose"));
        Assert.Equal(2 + 3, ops.Count(o => o == "InstanceNormalization"));
        Assert.Equal(2 + 1, ops.Count(o => o == "Concat"));
        Assert.Single(ops, o => o == "Tanh");
        Assert.DoesNotContain("Resize", ops);
        Assert.DoesNotContain("Sigmoid", ops);

        using var nearest = new UNetGenerator(new GeneratorConfig { BaseChannels = 4, Depth = 3, Upsampling = UpsamplingMode.NearestConvolution });
        var nearestOps = GeneratorOnnxExporter.Build(nearest, 32, 32).NodeOpTypes;
        Assert.Equal(3, nearestOps.Count(o => o == "Resize"));
        Assert.DoesNotContain("ConvTranspose", nearestOps);

        Assert.Throws<ArgumentOutOfRangeException>(() => GeneratorOnnxExporter.Build(nearest, 36, 32));

        using var blend = new UNetGenerator(new GeneratorConfig { BaseChannels = 4, Depth = 3, Output = GeneratorOutput.BlendWithWarp });
        var blendOps = GeneratorOnnxExporter.Build(blend, 32, 32).NodeOpTypes;
        Assert.Equal(["Split", "Tanh", "Sigmoid", "Slice"], blendOps.Where(o => o is "Split" or "Tanh" or "Sigmoid" or "Slice"));
    }

    [Fact]
    public void A_blending_generator_returns_the_warp_where_its_weight_is_zero_and_its_own_image_where_it_is_one()
    {
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(3);
        using var generator = new UNetGenerator(new GeneratorConfig { BaseChannels = 4, Depth = 2, Output = GeneratorOutput.BlendWithWarp });
        var input = torch.rand([1, 8, 16, 16]);
        foreach (var (bias, expectWarp) in new[] { (-40f, true), (40f, false) })
        {
            using (torch.no_grad())
            {
                generator.Output.bias![3] = torch.tensor(bias);
                generator.Output.weight![3] = torch.zeros_like(generator.Output.weight![3]);
            }

            using var noGrad = torch.no_grad();
            var output = generator.forward(input);
            var distance = (output - input[.., ..3]).abs().max().item<float>();
            if (expectWarp)
            {
                Assert.True(distance < 1e-6, $"α ≈ 0 but the output is {distance:E2} from the warp");
            }
            else
            {
                Assert.True(distance > 0.05, "α ≈ 1 but the output is the warp");
            }
        }
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
