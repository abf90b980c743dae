namespace FacePipeline.Face;

/// <summary>
/// A Y'CbCr colour matrix as ffmpeg's swscale holds it for turning limited-range 8-bit 4:2:0 into RGB
/// (<c>ff_yuv2rgb_coeffs</c>: the V→R, U→B, U→G and V→G weights in 16.16 fixed point, before the limited range is
/// scaled out). Only the two matrices whose conversion is checked byte for byte against ffmpeg's own RGB24 are here
/// (<c>Yuv420ConversionTests</c>); a clip in any other goes through the pipe as RGB24 (<c>FrameTimeline.PlanesMatrix</c>).
/// </summary>
/// <param name="Name">As <c>FrameTimeline.PlanesMatrix</c> names it.</param>
public readonly record struct YuvMatrix(string Name, int VToR, int UToB, int UToG, int VToG)
{
    /// <summary>ITU-R BT.601 (ffprobe: <c>smpte170m</c>, <c>bt470bg</c>), and what ffmpeg converts an untagged stream with.</summary>
    public static readonly YuvMatrix Bt601 = new("bt601", 104597, 132201, 25675, 53279);

    /// <summary>ITU-R BT.709 (HD).</summary>
    public static readonly YuvMatrix Bt709 = new("bt709", 117489, 138438, 13975, 34925);

    /// <summary>The matrix <paramref name="name"/> names (<c>bt601</c> or <c>bt709</c>).</summary>
    /// <exception cref="ArgumentException">Any other name.</exception>
    public static YuvMatrix FromName(string name) => name switch
    {
        "bt601" => Bt601,
        "bt709" => Bt709,
        _ => throw new ArgumentException($"No 4:2:0 conversion is known for the matrix '{name}'; expected bt601 or bt709.", nameof(name)),
    };
}
