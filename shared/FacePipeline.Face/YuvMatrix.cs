namespace FacePipeline.Face;

/// <summary>
/// A Y'CbCr colour matrix (its luma weights K<sub>R</sub> and K<sub>B</sub>; K<sub>G</sub> = 1 − K<sub>R</sub> − K<sub>B</sub>),
/// for turning limited-range 8-bit 4:2:0 planes into R'G'B' as ffmpeg does when it decodes a clip to RGB24: by the
/// stream's colour-space tag, and BT.601 when the stream has none (<see cref="FromColorSpace"/>).
/// </summary>
/// <param name="Kr">Red's weight in luma.</param>
/// <param name="Kb">Blue's weight in luma.</param>
public readonly record struct YuvMatrix(double Kr, double Kb)
{
    /// <summary>ITU-R BT.601 (ffprobe: <c>bt470bg</c>, <c>smpte170m</c>); also what an untagged stream is converted with.</summary>
    public static readonly YuvMatrix Bt601 = new(0.299, 0.114);

    /// <summary>ITU-R BT.709 (HD).</summary>
    public static readonly YuvMatrix Bt709 = new(0.2126, 0.0722);

    /// <summary>FCC 73.682.</summary>
    public static readonly YuvMatrix Fcc = new(0.30, 0.11);

    /// <summary>SMPTE 240M.</summary>
    public static readonly YuvMatrix Smpte240M = new(0.212, 0.087);

    /// <summary>ITU-R BT.2020, non-constant luminance (the constant-luminance form is converted with it too).</summary>
    public static readonly YuvMatrix Bt2020 = new(0.2627, 0.0593);

    /// <summary>Green's weight in luma.</summary>
    public double Kg => 1 - Kr - Kb;

    /// <summary>
    /// The matrix ffmpeg converts a stream with, from its colour-space tag as ffprobe names it (<c>color_space</c>):
    /// <c>bt709</c>, <c>fcc</c>, <c>smpte240m</c>, <c>bt2020nc</c>/<c>bt2020c</c>; anything else, untagged included, BT.601.
    /// </summary>
    public static YuvMatrix FromColorSpace(string? colorSpace) => colorSpace switch
    {
        "bt709" => Bt709,
        "fcc" => Fcc,
        "smpte240m" => Smpte240M,
        "bt2020nc" or "bt2020c" => Bt2020,
        _ => Bt601,
    };
}
