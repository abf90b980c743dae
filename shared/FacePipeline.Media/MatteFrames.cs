using System.Globalization;
using System.Runtime.CompilerServices;

namespace FacePipeline.Media;

/// <summary>
/// Turns mattes (one grey value a pixel) into the RGB24 frames the encoders pipe to ffmpeg (<see cref="ClipFrameLayout"/>):
/// a matte alone as grey RGB, or a picture with its matte side by side. One buffer, reused: valid until the next frame.
/// </summary>
internal static class MatteFrames
{
    /// <summary>Each matte (<paramref name="width"/>*<paramref name="height"/> bytes) as grey RGB24 (R = G = B = the matte's value).</summary>
    public static async IAsyncEnumerable<ReadOnlyMemory<byte>> GreyRgb(
        IAsyncEnumerable<ReadOnlyMemory<byte>> mattes, int width, int height, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var pixels = checked(width * height);
        var rgb = new byte[checked(pixels * 3)];
        var index = 0;
        await foreach (var matte in mattes.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            RequireLength(matte, pixels, index++, "matte");
            ToGrey(matte.Span, rgb);
            yield return rgb;
        }
    }

    /// <summary>
    /// Each picture with its matte (RGB24 then one grey value a pixel: <paramref name="width"/>*<paramref name="height"/>*4
    /// bytes) as one RGB24 frame twice as wide: the picture on the left, the matte as grey RGB on the right.
    /// </summary>
    public static async IAsyncEnumerable<ReadOnlyMemory<byte>> PictureBesideMatte(
        IAsyncEnumerable<ReadOnlyMemory<byte>> picturesWithMattes, int width, int height, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var pixels = checked(width * height);
        var row = width * 3;
        var wide = new byte[checked(pixels * 6)];
        var index = 0;
        await foreach (var frame in picturesWithMattes.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            RequireLength(frame, pixels * 4, index++, "picture with its matte");
            var picture = frame.Span[..(pixels * 3)];
            var matte = frame.Span[(pixels * 3)..];
            for (var y = 0; y < height; y++)
            {
                picture.Slice(y * row, row).CopyTo(wide.AsSpan(2 * y * row, row));
                ToGrey(matte.Slice(y * width, width), wide.AsSpan((2 * y * row) + row, row));
            }

            yield return wide;
        }
    }

    private static void ToGrey(ReadOnlySpan<byte> matte, Span<byte> rgb)
    {
        for (var i = 0; i < matte.Length; i++)
        {
            var value = matte[i];
            rgb[3 * i] = value;
            rgb[(3 * i) + 1] = value;
            rgb[(3 * i) + 2] = value;
        }
    }

    private static void RequireLength(ReadOnlyMemory<byte> frame, int expected, int index, string what)
    {
        if (frame.Length != expected)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"Frame {index} is {frame.Length} bytes; a {what} is {expected}."));
        }
    }
}
