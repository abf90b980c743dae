namespace FacePipeline.Contracts;

/// <summary>The video facts that later stages need, as frame extraction measured them.</summary>
public sealed record VideoInfo(
    int Width,
    int Height,
    long FrameRateNumerator,
    long FrameRateDenominator,
    int FrameCount,
    double DurationSeconds,
    bool HasAudio);
