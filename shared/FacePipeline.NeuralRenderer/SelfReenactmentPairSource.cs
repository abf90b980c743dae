namespace FacePipeline.NeuralRenderer;

/// <summary>
/// Pairs built on demand from an actor's frames (nothing but the frames is kept in memory: at 256² a pair is 2 MiB,
/// and building one costs a few milliseconds against a training step of a second or more).
/// </summary>
public sealed class SelfReenactmentPairSource : ITrainingPairSource
{
    private readonly SelfReenactmentPairBuilder builder;
    private readonly IReadOnlyList<ActorFrame> frames;
    private readonly (int Source, int Target)[] pairs;

    /// <summary>Pairs (source frame index, target frame index) of <paramref name="frames"/>.</summary>
    public SelfReenactmentPairSource(SelfReenactmentPairBuilder builder, IReadOnlyList<ActorFrame> frames, IEnumerable<(int Source, int Target)> pairs)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentNullException.ThrowIfNull(pairs);
        this.builder = builder;
        this.frames = frames;
        this.pairs = [.. pairs];
        if (this.pairs.Length == 0)
        {
            throw new ArgumentException("No pairs.", nameof(pairs));
        }

        foreach (var (s, t) in this.pairs)
        {
            if ((uint)s >= (uint)frames.Count || (uint)t >= (uint)frames.Count)
            {
                throw new ArgumentOutOfRangeException(nameof(pairs), $"Pair ({s}, {t}) is outside the {frames.Count} frames.");
            }
        }
    }

    /// <inheritdoc/>
    public int Count => pairs.Length;

    /// <inheritdoc/>
    public int InputChannels => ConditioningLayout.Channels;

    /// <inheritdoc/>
    public int Height => builder.CropSize;

    /// <inheritdoc/>
    public int Width => builder.CropSize;

    /// <summary>The (source, target) frame indices of every pair.</summary>
    public IReadOnlyList<(int Source, int Target)> Pairs => pairs;

    /// <inheritdoc/>
    public TrainingPair Get(int index)
    {
        var (s, t) = pairs[index];
        return builder.Build(frames[s], frames[t]);
    }

    /// <summary>
    /// For every target frame in <paramref name="frameIndices"/>, <paramref name="sourcesPerTarget"/> source frames drawn
    /// from the same set (never the target itself when there is another), reproducibly from <paramref name="seed"/>.
    /// Keep training and validation frames in separate sets (a held-out stretch of the footage) so that no validation
    /// target or source is ever trained on.
    /// </summary>
    public static IReadOnlyList<(int Source, int Target)> RandomPairs(IReadOnlyList<int> frameIndices, int sourcesPerTarget, int seed) =>
        RandomPairs(frameIndices, frameIndices, sourcesPerTarget, seed);

    /// <summary>
    /// For every target frame in <paramref name="targets"/>, <paramref name="sourcesPerTarget"/> source frames drawn from
    /// <paramref name="sources"/> (never the target itself when there is another), reproducibly from <paramref name="seed"/>.
    /// Held-out targets with training sources measure what a retarget does: the warp always starts from the actor's
    /// footage (what the network trained on) and must reach an expression that footage may not show; the real frame the
    /// result is compared with is never trained on.
    /// </summary>
    public static IReadOnlyList<(int Source, int Target)> RandomPairs(IReadOnlyList<int> targets, IReadOnlyList<int> sources, int sourcesPerTarget, int seed)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(sources);
        var frameIndices = sources;
        ArgumentOutOfRangeException.ThrowIfLessThan(sourcesPerTarget, 1);
        if (frameIndices.Count == 0 || targets.Count == 0)
        {
            throw new ArgumentException("No frames.", nameof(sources));
        }

        var rng = new Random(seed);
        var result = new List<(int, int)>(targets.Count * sourcesPerTarget);
        foreach (var target in targets)
        {
            for (var k = 0; k < sourcesPerTarget; k++)
            {
                var source = frameIndices[rng.Next(frameIndices.Count)];
                while (source == target && frameIndices.Count > 1)
                {
                    source = frameIndices[rng.Next(frameIndices.Count)];
                }

                result.Add((source, target));
            }
        }

        return result;
    }
}
