namespace FacePipeline.NeuralRenderer;

/// <summary>
/// Watches one loss over the steps of a run and stops the run when it diverges (<see cref="TrainingDivergedException"/>):
/// <list type="bullet">
/// <item>at once when the loss is not finite (NaN or ±∞);</item>
/// <item>when it explodes: more than <see cref="Factor"/> times its running level (or times <see cref="Floor"/>, whichever is
///   larger) on <see cref="Patience"/> steps in a row. The level is the mean of the first <see cref="WarmupSteps"/> losses,
///   then an exponential moving average (weight <see cref="Smoothing"/>) of the losses that were not too high, so one
///   exploding stretch does not raise the bar it is measured against. A single odd batch (a spike that falls back) is
///   not divergence; no explosion is judged during the warm-up (losses fall fastest there).</item>
/// </list>
/// Pure arithmetic: no tensors. A resumed run starts a new guard (warm-up again).
/// </summary>
public sealed class DivergenceGuard
{
    private double level;
    private int observed;

    /// <summary>A guard for the loss named <paramref name="what"/> ("generator loss", "discriminator loss").</summary>
    public DivergenceGuard(string what, double factor = 100, int patience = 3, int warmupSteps = 20, double floor = 1, double smoothing = 0.05)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(what);
        if (!(factor > 1) || !double.IsFinite(factor))
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "The explosion factor must be finite and more than 1.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(patience, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(warmupSteps, 1);
        if (!(floor > 0) || !double.IsFinite(floor))
        {
            throw new ArgumentOutOfRangeException(nameof(floor), floor, "The floor must be finite and positive.");
        }

        if (!(smoothing > 0 && smoothing <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(smoothing), smoothing, "The smoothing weight must be in (0, 1].");
        }

        What = what;
        Factor = factor;
        Patience = patience;
        WarmupSteps = warmupSteps;
        Floor = floor;
        Smoothing = smoothing;
    }

    /// <summary>The loss watched, as the divergence names it.</summary>
    public string What { get; }

    /// <summary>How many times its level the loss must reach to count as exploding.</summary>
    public double Factor { get; }

    /// <summary>Exploding steps in a row that stop the run.</summary>
    public int Patience { get; }

    /// <summary>Steps whose mean is the first level; no explosion is judged before.</summary>
    public int WarmupSteps { get; }

    /// <summary>The smallest level the factor applies to (a loss near zero must not make an ordinary value look explosive).</summary>
    public double Floor { get; }

    /// <summary>Weight of a new loss in the running level.</summary>
    public double Smoothing { get; }

    /// <summary>The running level, once the warm-up is over (null before).</summary>
    public double? Level => observed >= WarmupSteps ? level : null;

    /// <summary>Exploding steps in a row so far.</summary>
    public int ExplodingSteps { get; private set; }

    /// <summary>The loss above which a step counts as exploding (null during the warm-up).</summary>
    public double? Limit => Level is { } l ? Factor * Math.Max(l, Floor) : null;

    /// <summary>Takes the loss of step <paramref name="step"/> (1-based).</summary>
    /// <exception cref="TrainingDivergedException">The loss is not finite, or has exploded for <see cref="Patience"/> steps in a row.</exception>
    public void Observe(int step, double loss)
    {
        if (!double.IsFinite(loss))
        {
            throw new TrainingDivergedException(step, What);
        }

        if (observed < WarmupSteps)
        {
            observed++;
            level += (loss - level) / observed; // the mean so far
            return;
        }

        if (loss > Limit)
        {
            ExplodingSteps++;
            if (ExplodingSteps >= Patience)
            {
                throw new TrainingDivergedException(step, What, detail: TrainingDivergedException.Exploded(loss, level, Factor, ExplodingSteps));
            }

            return;
        }

        ExplodingSteps = 0;
        level += Smoothing * (loss - level);
        observed++;
    }
}
