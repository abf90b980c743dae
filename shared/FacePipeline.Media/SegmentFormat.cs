namespace FacePipeline.Media;

/// <summary>
/// How an output clip is encoded when <see cref="ClipSegments"/> encodes it in segments and joins them: the codec,
/// container and settings of the one-piece encoder it stands for (so the joined clip is what that encoder writes), and
/// what each frame handed to a segment holds. One per output clip; the segments and the join must get the same.
/// </summary>
public sealed class SegmentFormat
{
    private readonly Func<IAsyncEnumerable<ReadOnlyMemory<byte>>, int, int, CancellationToken, IAsyncEnumerable<ReadOnlyMemory<byte>>> _piped;

    private SegmentFormat(
        ClipFormat format,
        TimeSpan? videoStartOffset,
        Func<IAsyncEnumerable<ReadOnlyMemory<byte>>, int, int, CancellationToken, IAsyncEnumerable<ReadOnlyMemory<byte>>>? piped = null)
    {
        Format = format;
        VideoStartOffset = videoStartOffset;
        _piped = piped ?? ((frames, _, _, _) => frames);
    }

    internal ClipFormat Format { get; }

    /// <summary>The join's video start against the audio (the one-piece encoder's option; null: from the timing).</summary>
    internal TimeSpan? VideoStartOffset { get; }

    /// <summary>As <see cref="H264ClipEncoder"/> with <paramref name="options"/>: frames as its <see cref="H264EncodeOptions.Input"/> (RGB24 by default).</summary>
    public static SegmentFormat H264(H264EncodeOptions? options = null)
    {
        options ??= new H264EncodeOptions();
        return new(H264ClipEncoder.Format(options), options.VideoStartOffset);
    }

    /// <summary>As <see cref="ProResClipEncoder"/> (ProRes 422 HQ): RGB24 frames.</summary>
    public static SegmentFormat ProRes(ProResEncodeOptions? options = null)
    {
        options ??= new ProResEncodeOptions();
        return new(ProResClipEncoder.Format(options), options.VideoStartOffset);
    }

    /// <summary>
    /// As <see cref="ProResClipEncoder.EncodeWithAlphaAsync"/> (ProRes 4444, the matte as alpha): each frame the RGB24
    /// picture followed by its matte, one byte a pixel.
    /// </summary>
    public static SegmentFormat ProRes4444(ProResEncodeOptions? options = null)
    {
        options ??= new ProResEncodeOptions();
        return new(ProResClipEncoder.Format4444(options), options.VideoStartOffset, MatteFrames.PictureBesideMatte);
    }

    /// <summary>As <see cref="DnxhrClipEncoder"/> (DNxHR HQ): RGB24 frames.</summary>
    public static SegmentFormat Dnxhr(DnxhrEncodeOptions? options = null)
    {
        options ??= new DnxhrEncodeOptions();
        return new(DnxhrClipEncoder.Format(options), options.VideoStartOffset);
    }

    /// <summary>As <see cref="MatteClipEncoder"/> (grey PNG in MOV, no audio): each frame a matte, one byte a pixel.</summary>
    public static SegmentFormat Matte(MatteEncodeOptions? options = null) =>
        new(MatteClipEncoder.Format(options ?? new MatteEncodeOptions()), null, MatteFrames.GreyRgb);

    /// <summary>The frames as ffmpeg is fed them (the mattes expanded as the one-piece encoder expands them).</summary>
    internal IAsyncEnumerable<ReadOnlyMemory<byte>> Piped(IAsyncEnumerable<ReadOnlyMemory<byte>> frames, int width, int height, CancellationToken cancellationToken) =>
        _piped(frames, width, height, cancellationToken);
}
