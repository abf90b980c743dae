using System.Diagnostics;
using FacePipeline.NeuralRenderer;
using FacePipeline.TestSupport;

namespace FacePipeline.NeuralRenderer.Tests;

public sealed class PreviewAndPairSourceTests
{
    [Fact]
    [Trait("Lane", "Fast")]
    public void Random_pairs_are_reproducible_and_stay_inside_their_frame_set()
    {
        int[] held = [60, 61, 62, 63, 64];
        var a = SelfReenactmentPairSource.RandomPairs(held, 3, seed: 8);
        Assert.Equal(a, SelfReenactmentPairSource.RandomPairs(held, 3, seed: 8));
        Assert.NotEqual(a, SelfReenactmentPairSource.RandomPairs(held, 3, seed: 9));
        Assert.Equal(15, a.Count);
        Assert.All(a, p => { Assert.Contains(p.Source, held); Assert.Contains(p.Target, held); Assert.NotEqual(p.Source, p.Target); });
        Assert.Equal(held, a.Select(p => p.Target).Distinct().Order());
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void Held_out_targets_can_take_their_sources_from_the_training_frames()
    {
        int[] held = [60, 61, 62];
        var training = Enumerable.Range(0, 60).ToArray();
        var pairs = SelfReenactmentPairSource.RandomPairs(held, training, 2, seed: 3);
        Assert.Equal([60, 60, 61, 61, 62, 62], pairs.Select(p => p.Target));
        Assert.All(pairs, p => Assert.Contains(p.Source, training));
        Assert.Equal(pairs, SelfReenactmentPairSource.RandomPairs(held, training, 2, seed: 3));
        Assert.Equal(SelfReenactmentPairSource.RandomPairs(held, 2, seed: 3), SelfReenactmentPairSource.RandomPairs(held, held, 2, seed: 3));
    }

    [Fact]
    public void A_lazy_pair_source_builds_the_pairs_the_builder_builds()
    {
        var builder = new SelfReenactmentPairBuilder(GridClipFrames.Mesh, 64);
        var source = new SelfReenactmentPairSource(builder, GridClipFrames.All, [(3, 9), (9, 3)]);
        Assert.Equal((2, 8, 64, 64), (source.Count, source.InputChannels, source.Height, source.Width));
        var expected = new SelfReenactmentPairBuilder(GridClipFrames.Mesh, 64).Build(GridClipFrames.All[9], GridClipFrames.All[3]);
        var got = source.Get(1);
        Assert.Equal(expected.Input, got.Input);
        Assert.Equal(expected.Target, got.Target);
        Assert.Equal(expected.Mask, got.Mask);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SelfReenactmentPairSource(builder, GridClipFrames.All, [(0, 999)]));
    }

    [Fact]
    public void The_warp_renderer_is_near_perfect_on_identity_pairs_and_good_on_nearby_frames()
    {
        var builder = new SelfReenactmentPairBuilder(GridClipFrames.Mesh, 64);
        var identity = RendererPreview.WarpMetrics(new SelfReenactmentPairSource(builder, GridClipFrames.All, [(10, 10), (50, 50)]));
        var nearby = RendererPreview.WarpMetrics(new SelfReenactmentPairSource(builder, GridClipFrames.All, [(10, 14), (50, 46)]));
        Assert.True(identity.Psnr > 40, $"identity warp PSNR {identity.Psnr:F1} dB");
        Assert.True(identity.Ssim > 0.98, $"identity warp SSIM {identity.Ssim:F3}");
        Assert.InRange(nearby.Psnr, 20, identity.Psnr);
        Assert.True(nearby.L1 > identity.L1);
    }

    [Fact]
    public void The_preview_shows_real_warp_and_generated_side_by_side_and_decodes_as_PNG()
    {
        var builder = new SelfReenactmentPairBuilder(GridClipFrames.Mesh, 32);
        var pairs = new SelfReenactmentPairSource(builder, GridClipFrames.All, [(1, 5), (7, 2)]);
        var grey = Enumerable.Repeat(0.5f, 3 * 32 * 32).ToArray();
        var (rgb, width, height) = RendererPreview.Compose(pairs, [0, 1], [grey, grey]);
        Assert.Equal((96, 64), (width, height));

        // Row 1, right tile: the generated grey; left tile: the real target frame's pixels.
        Assert.Equal(128, rgb[((40 * width) + 80) * 3]);
        var target = new byte[3 * 32 * 32];
        GeneratorSession.ToRgb24(pairs.Get(1).Target, 32, 32, target);
        Assert.Equal(target.AsSpan(5 * 32 * 3, 32 * 3).ToArray(), rgb.AsSpan(((32 + 5) * width) * 3, 32 * 3).ToArray());

        var path = Path.Combine(RepoPaths.NewScratchFolder("preview"), "preview.png");
        using (var file = File.Create(path))
        {
            RendererPreview.WritePng(file, rgb, width, height);
        }

        Assert.Equal(rgb, DecodeWithFfmpeg(path, width * height * 3));
    }

    private static byte[] DecodeWithFfmpeg(string path, int bytes)
    {
        var start = new ProcessStartInfo("ffmpeg") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        using var buffer = new MemoryStream();
        var stderr = process.StandardError.ReadToEndAsync();
        process.StandardOutput.BaseStream.CopyTo(buffer);
        process.WaitForExit();
        Assert.True(process.ExitCode == 0 && buffer.Length == bytes, $"ffmpeg: {stderr.Result}");
        return buffer.ToArray();
    }
}
