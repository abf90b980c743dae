namespace FacePipeline.Media;

/// <summary>What an upload may be. Defaults suit studio clips: up to 30 minutes, up to 4096x4096.</summary>
public sealed record MediaLimits
{
    public static MediaLimits Default { get; } = new();

    /// <summary>Longest accepted duration.</summary>
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Largest accepted display (after rotation) width in pixels.</summary>
    public int MaxDisplayWidth { get; init; } = 4096;

    /// <summary>Largest accepted display (after rotation) height in pixels.</summary>
    public int MaxDisplayHeight { get; init; } = 4096;

    /// <summary>Most frames accepted (30 minutes at 60 fps by default); enforced on the probe estimate and while decoding.</summary>
    public long MaxFrameCount { get; init; } = 30 * 60 * 60;

    /// <summary>Accept a single still image (PNG/JPEG/...) as a one-frame clip, e.g. for a local analyze command.</summary>
    public bool AllowStillImages { get; init; }

    /// <summary>Container demuxers accepted; see <see cref="ContainerPolicy.DefaultVideoDemuxers"/>.</summary>
    public IReadOnlyList<string> AllowedContainers { get; init; } = ContainerPolicy.DefaultVideoDemuxers;

    /// <summary>Demuxers passed to ffmpeg/ffprobe as -format_whitelist.</summary>
    internal IEnumerable<string> DemuxerWhitelist =>
        AllowStillImages ? AllowedContainers.Concat(ContainerPolicy.StillImageDemuxers) : AllowedContainers;
}
