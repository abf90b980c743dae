using System.Buffers.Binary;
using System.IO.Compression;
using TorchSharp;
using static TorchSharp.torch;

namespace FacePipeline.NeuralRenderer;

/// <summary>
/// Quality of the warp renderer alone and pictures of real | warp | neural renderer, on held-out pairs.
/// </summary>
public static class RendererPreview
{
    /// <summary>
    /// The warp renderer's own figures on <paramref name="pairs"/>: its image (input planes 0–2) against the real target,
    /// L1, PSNR and SSIM in the face mask, as <see cref="GanTrainer.Validate"/> measures the generator.
    /// </summary>
    public static ValidationMetrics WarpMetrics(ITrainingPairSource pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        double l1 = 0, psnr = 0, ssim = 0;
        for (var i = 0; i < pairs.Count; i++)
        {
            using var scope = torch.NewDisposeScope();
            var (warp, target, mask) = Tensors(pairs.Get(i), pairs.Height, pairs.Width, pairs.InputChannels);
            l1 += GanLosses.MaskedL1(warp, target, mask).item<float>();
            psnr += ImageMetrics.MaskedPsnr(warp, target, mask);
            ssim += ImageMetrics.MaskedSsim(warp, target, mask);
        }

        return new ValidationMetrics(l1 / pairs.Count, psnr / pairs.Count, ssim / pairs.Count, pairs.Count);
    }

    /// <summary>
    /// One row per pair: real target | warp renderer (input planes 0–2) | generated, each <paramref name="pairs"/>' crop
    /// wide, as RGB24. <paramref name="generated"/> holds 3×H×W planes in [0, 1] per pair (from
    /// <see cref="GanTrainer.Generate"/> or <see cref="GeneratorSession.Run"/>).
    /// </summary>
    public static (byte[] Rgb24, int Width, int Height) Compose(ITrainingPairSource pairs, IReadOnlyList<int> indices, IReadOnlyList<float[]> generated)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentNullException.ThrowIfNull(generated);
        if (indices.Count == 0 || generated.Count != indices.Count)
        {
            throw new ArgumentException("One generated image per pair, at least one pair.");
        }

        var (h, w) = (pairs.Height, pairs.Width);
        var plane = h * w;
        var width = 3 * w;
        var rgb = new byte[width * h * indices.Count * 3];
        var tile = new byte[plane * 3];
        for (var r = 0; r < indices.Count; r++)
        {
            var pair = pairs.Get(indices[r]);
            for (var col = 0; col < 3; col++)
            {
                var source = col switch
                {
                    0 => pair.Target.AsSpan(),
                    1 => pair.Input.AsSpan(0, 3 * plane),
                    _ => generated[r].AsSpan(),
                };
                GeneratorSession.ToRgb24(source, h, w, tile);
                for (var y = 0; y < h; y++)
                {
                    tile.AsSpan(y * w * 3, w * 3).CopyTo(rgb.AsSpan((((r * h) + y) * width + col * w) * 3, w * 3));
                }
            }
        }

        return (rgb, width, h * indices.Count);
    }

    /// <summary>Writes RGB24 pixels as a PNG (8-bit truecolour, no filter, zlib-compressed).</summary>
    public static void WritePng(Stream destination, ReadOnlySpan<byte> rgb24, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (width < 1 || height < 1 || rgb24.Length != width * height * 3)
        {
            throw new ArgumentException("The pixels do not match the size.");
        }

        destination.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0d, 0x0a, 0x1a, 0x0a]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 8; // bit depth
        header[9] = 2; // truecolour
        Chunk(destination, "IHDR"u8, header);

        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (var y = 0; y < height; y++)
            {
                zlib.WriteByte(0); // filter: none
                zlib.Write(rgb24.Slice(y * width * 3, width * 3));
            }
        }

        Chunk(destination, "IDAT"u8, compressed.ToArray());
        Chunk(destination, "IEND"u8, []);
    }

    private static (Tensor Warp, Tensor Target, Tensor Mask) Tensors(TrainingPair pair, int h, int w, int channels)
    {
        pair.Require(channels, h, w);
        var plane = h * w;
        return (
            torch.tensor(pair.Input.AsSpan(0, 3 * plane).ToArray(), [1, 3, h, w]),
            torch.tensor(pair.Target, [1, 3, h, w]),
            torch.tensor(pair.Mask, [1, 1, h, w]));
    }

    private static void Chunk(Stream destination, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
        destination.Write(length);
        destination.Write(type);
        destination.Write(data);
        var crc = Crc32(Crc32(0xffffffffu, type), data) ^ 0xffffffffu;
        BinaryPrimitives.WriteUInt32BigEndian(length, crc);
        destination.Write(length);
    }

    private static uint Crc32(uint crc, ReadOnlySpan<byte> data)
    {
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xedb88320u ^ (crc >> 1) : crc >> 1;
            }
        }

        return crc;
    }
}
