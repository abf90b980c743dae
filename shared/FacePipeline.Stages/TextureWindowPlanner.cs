namespace FacePipeline.Stages;

/// <summary>
/// Cuts a run of output frames into windows whose texture frames (the resting and donor frames each output frame takes
/// its face from) all fit in a <see cref="TextureFrameCache"/> at once, so each window's frames can be decoded together in
/// ascending order (one forward pass of the decoder, restarted only across gaps beyond its reach) instead of one by one in
/// the order the output frames want them (a restart for almost every donor). Pure.
/// </summary>
public static class TextureWindowPlanner
{
    /// <summary>
    /// The window starting at output frame <paramref name="start"/>: the output frames from <paramref name="start"/> up to
    /// (not including) the returned end, as many as keep their distinct texture frames within <paramref name="capacity"/>
    /// (always at least one output frame: one frame's own textures are never more than a cache holds), and those texture
    /// frames in ascending order.
    /// </summary>
    /// <param name="start">The first output frame of the window.</param>
    /// <param name="end">The end of the run (exclusive); the window stops there.</param>
    /// <param name="texturesOf">The texture frames output frame i reads.</param>
    /// <param name="capacity">Texture frames the cache holds.</param>
    public static (int End, IReadOnlyList<int> Textures) NextWindow(int start, int end, Func<int, IReadOnlyCollection<int>> texturesOf, int capacity)
    {
        ArgumentNullException.ThrowIfNull(texturesOf);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(start, end);
        var textures = new SortedSet<int>();
        var i = start;
        for (; i < end; i++)
        {
            var wanted = texturesOf(i);
            var added = wanted.Count(f => !textures.Contains(f));
            if (i > start && textures.Count + added > capacity)
            {
                break;
            }

            if (wanted.Count > capacity)
            {
                throw new ArgumentException($"Output frame {i} reads {wanted.Count} texture frames, more than the {capacity} a cache holds.", nameof(texturesOf));
            }

            textures.UnionWith(wanted);
        }

        return (i, [.. textures]);
    }
}
