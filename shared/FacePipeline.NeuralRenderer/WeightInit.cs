using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FacePipeline.NeuralRenderer;

/// <summary>
/// PyTorch's default initialisation, drawn from a private <see cref="Random"/> instead of libtorch's global generator:
/// convolution weights and biases uniform in ±1/√fan_in (what kaiming_uniform with a = √5 amounts to), InstanceNorm
/// scale 1 and shift 0. The global generator is shared by every thread of the process, so two trainers built at the same
/// time (or any other torch.rand) would otherwise interleave their draws and make "the same seed" give other weights.
/// </summary>
internal static class WeightInit
{
    public static void Apply(nn.Module module, int seed)
    {
        var rng = new Random(seed);
        using var noGrad = torch.no_grad();
        Visit(module, rng, new HashSet<nn.Module>(ReferenceEqualityComparer.Instance));
    }

    /// <summary>
    /// The module, then its children in registration order. TorchSharp's <c>named_modules()</c> does not descend into a
    /// ModuleList's items, so lists are walked through their enumerator.
    /// </summary>
    private static void Visit(nn.Module m, Random rng, HashSet<nn.Module> seen)
    {
        if (!seen.Add(m))
        {
            return;
        }

        switch (m)
        {
            case Conv2d conv:
                Uniform(conv.weight!, conv.bias, conv.weight!.shape[1] * conv.weight.shape[2] * conv.weight.shape[3], rng);
                break;
            case ConvTranspose2d conv:
                // PyTorch computes fan_in from dimension 1 of the weight, which for a transposed convolution is its output planes.
                Uniform(conv.weight!, conv.bias, conv.weight!.shape[1] * conv.weight.shape[2] * conv.weight.shape[3], rng);
                break;
            case InstanceNorm2d norm when norm.affine:
                norm.weight!.fill_(HeldScalars.One);
                norm.bias!.zero_();
                break;
        }

        foreach (var child in m.children())
        {
            Visit(child, rng, seen);
        }

        if (m is System.Collections.IEnumerable items)
        {
            foreach (var item in items)
            {
                if (item is nn.Module child)
                {
                    Visit(child, rng, seen);
                }
            }
        }
    }

    private static void Uniform(Tensor weight, Tensor? bias, long fanIn, Random rng)
    {
        var bound = 1 / Math.Sqrt(fanIn);
        Fill(weight, bound, rng);
        if (bias is not null)
        {
            Fill(bias, bound, rng);
        }
    }

    private static void Fill(Tensor t, double bound, Random rng)
    {
        var values = new float[t.numel()];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)((2 * rng.NextDouble() - 1) * bound);
        }

        using var source = torch.tensor(values, t.shape).to(t.device);
        t.copy_(source);
    }
}
