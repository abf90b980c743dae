namespace FacePipeline.NeuralRenderer;

/// <summary>
/// One training example, planar float (channel-major, row-major within a plane), all values in [0, 1].
/// </summary>
/// <param name="Input">The generator's input, C×H×W (see <see cref="ConditioningLayout"/>).</param>
/// <param name="Target">The real RGB image the generator should produce, 3×H×W.</param>
/// <param name="Mask">Where the face is, 1×H×W (the L1 loss and the validation metrics are taken inside it).</param>
public sealed record TrainingPair(float[] Input, float[] Target, float[] Mask)
{
    /// <summary>Throws when the arrays do not fit <paramref name="channels"/>×<paramref name="height"/>×<paramref name="width"/>.</summary>
    public void Require(int channels, int height, int width)
    {
        var plane = height * width;
        if (Input is null || Target is null || Mask is null || Input.Length != channels * plane || Target.Length != 3 * plane || Mask.Length != plane)
        {
            throw new ArgumentException(
                $"A pair must hold {channels}×{height}×{width} input, 3×{height}×{width} target and 1×{height}×{width} mask values.");
        }
    }
}

/// <summary>
/// Training or validation examples of one actor, filled by the caller (the training service builds them from the
/// actor's footage; <see cref="SelfReenactmentPairBuilder"/> builds them from frames in memory). Implementations
/// must return the same pair for the same index every time (the trainer's sampling is reproducible) and may be
/// called from one thread at a time.
/// </summary>
public interface ITrainingPairSource
{
    /// <summary>Number of pairs (at least 1).</summary>
    int Count { get; }

    /// <summary>Input planes of every pair.</summary>
    int InputChannels { get; }

    /// <summary>Rows of every pair.</summary>
    int Height { get; }

    /// <summary>Columns of every pair.</summary>
    int Width { get; }

    /// <summary>Pair <paramref name="index"/> (0 ≤ index &lt; <see cref="Count"/>).</summary>
    TrainingPair Get(int index);
}

/// <summary>Pairs held in memory.</summary>
public sealed class InMemoryPairSource : ITrainingPairSource
{
    private readonly TrainingPair[] pairs;

    /// <summary>Checks every pair against the shape.</summary>
    public InMemoryPairSource(IEnumerable<TrainingPair> pairs, int inputChannels, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        this.pairs = [.. pairs];
        if (this.pairs.Length == 0)
        {
            throw new ArgumentException("No pairs.", nameof(pairs));
        }

        foreach (var p in this.pairs)
        {
            p.Require(inputChannels, height, width);
        }

        InputChannels = inputChannels;
        Height = height;
        Width = width;
    }

    /// <inheritdoc/>
    public int Count => pairs.Length;

    /// <inheritdoc/>
    public int InputChannels { get; }

    /// <inheritdoc/>
    public int Height { get; }

    /// <inheritdoc/>
    public int Width { get; }

    /// <inheritdoc/>
    public TrainingPair Get(int index) => pairs[index];
}
