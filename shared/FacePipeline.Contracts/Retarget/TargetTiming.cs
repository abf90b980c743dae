namespace FacePipeline.Contracts;

/// <summary>What to do when the target clip is shorter than the source (the output always has the source's length).</summary>
public enum TargetTiming
{
    /// <summary>Play the target forward then backward (no jump cut at the turn).</summary>
    PingPong,

    /// <summary>Wrap around to the target's first frame.</summary>
    Loop,

    /// <summary>Freeze on the target's last frame.</summary>
    Hold,
}
