using FacePipeline.Onnx;
using FacePipeline.Retarget;

namespace FacePipeline.NeuralRenderer.Tests;

public class NeuralFaceRendererTests
{
    private const int W = 400;
    private const int H = 360;

    /// <summary>A "generator" that returns its warped-image planes: rendering through it must give the frame back.</summary>
    private static byte[] IdentityGenerator(int size)
    {
        var b = new OnnxModelBuilder("identity");
        b.AddInput(GeneratorOnnxExporter.InputName, OnnxElementType.Float, -1, ConditioningLayout.Channels, size, size);
        var starts = b.AddInitializer("starts", new long[] { 0 }, 1);
        var ends = b.AddInitializer("ends", new long[] { 3 }, 1);
        var axes = b.AddInitializer("axes", new long[] { 1 }, 1);
        b.AddNode("Slice", [GeneratorOnnxExporter.InputName, starts, ends, axes], [GeneratorOnnxExporter.OutputName]);
        b.AddOutput(GeneratorOnnxExporter.OutputName, OnnxElementType.Float, -1, 3, size, size);
        return b.ToBytes();
    }

    /// <summary>The canonical face seen from the front, 11 px per cm, centred at (200, 170).</summary>
    private static Point2[] Face() =>
        [.. GridClipFrames.Mesh.Vertices.ToArray().Select(v => new Point2(200 + (11 * v.X), 170 - (11 * v.Y)))];

    /// <summary>Smooth colours (so resampling twice changes them by rounding only).</summary>
    private static byte[] Smooth()
    {
        var image = new byte[W * H * 3];
        for (var y = 0; y < H; y++)
        {
            for (var x = 0; x < W; x++)
            {
                var k = ((y * W) + x) * 3;
                (image[k], image[k + 1], image[k + 2]) = ((byte)(40 + (x / 2)), (byte)(30 + (y / 2)), (byte)(120 + ((x + y) / 8)));
            }
        }

        return image;
    }

    [Fact]
    public void An_identity_generator_gives_the_frame_back_inside_the_face_and_nothing_changes_outside()
    {
        using var renderer = new NeuralFaceRenderer(IdentityGenerator(64), GridClipFrames.Mesh, preferCuda: false);
        var (frame, face) = (Smooth(), Face());
        var output = new byte[frame.Length];

        var rect = renderer.Render(frame, W, H, face, face, output);

        Assert.Equal(64, renderer.CropSize);
        Assert.True(rect.Width > 100 && rect.Height > 100, $"{rect} covers the face");
        double sum = 0;
        var counted = 0;
        for (var y = 0; y < H; y++)
        {
            for (var x = 0; x < W; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    var k = (((y * W) + x) * 3) + c;
                    if (!rect.Contains(x, y))
                    {
                        Assert.Equal(frame[k], output[k]);
                    }
                    else
                    {
                        sum += Math.Abs(frame[k] - output[k]);
                        counted++;
                    }
                }
            }
        }

        Assert.InRange(sum / counted, 0, 1.0); // two bilinear resamplings of smooth colours, rounded
    }

    [Fact]
    public void The_generated_face_lands_where_the_destination_puts_it()
    {
        // A generator that paints everything white: the white lands inside the destination face, not the tracked one.
        var b = new OnnxModelBuilder("white");
        b.AddInput(GeneratorOnnxExporter.InputName, OnnxElementType.Float, -1, ConditioningLayout.Channels, 64, 64);
        var starts = b.AddInitializer("starts", new long[] { 0 }, 1);
        var ends = b.AddInitializer("ends", new long[] { 3 }, 1);
        var axes = b.AddInitializer("axes", new long[] { 1 }, 1);
        var sliced = b.AddNode("Slice", [GeneratorOnnxExporter.InputName, starts, ends, axes], ["sliced"]);
        var zero = b.AddInitializer("zero", [0f], 1);
        var one = b.AddInitializer("one", [1f], 1);
        var zeros = b.AddNode("Mul", [sliced, zero], ["zeros"]);
        b.AddNode("Add", [zeros, one], [GeneratorOnnxExporter.OutputName]);
        b.AddOutput(GeneratorOnnxExporter.OutputName, OnnxElementType.Float, -1, 3, 64, 64);
        using var renderer = new NeuralFaceRenderer(b.ToBytes(), GridClipFrames.Mesh, preferCuda: false);
        var frame = new byte[W * H * 3];
        var tracked = Face();
        var moved = tracked.Select(p => new Point2(p.X + 60, p.Y + 10)).ToArray();
        var output = new byte[frame.Length];

        renderer.Render(frame, W, H, tracked, moved, output);

        byte At(Point2 p) => output[((((int)p.Y) * W) + (int)p.X) * 3];
        Assert.Equal(255, At(moved[4])); // nose, destination
        Assert.Equal(0, At(new Point2(tracked[234].X - 5, tracked[234].Y))); // beside the tracked face's left cheek, outside the moved face
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void The_feathered_mask_is_zero_outside_and_on_the_border_and_one_well_inside()
    {
        const int size = 32;
        var hard = new float[size * size];
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                hard[(y * size) + x] = ((x - 15.5) * (x - 15.5)) + ((y - 15.5) * (y - 15.5)) <= 12 * 12 ? 1 : 0;
            }
        }

        var soft = new float[hard.Length];
        NeuralFaceRenderer.Feather(hard, soft, size, 2);

        Assert.All(Enumerable.Range(0, hard.Length), i => Assert.True(hard[i] > 0 || soft[i] == 0));
        Assert.Equal(1f, soft[(16 * size) + 16], 3);
        var rim = soft[(16 * size) + 4]; // the disc's edge (x = 3.5 … 4)
        Assert.InRange(rim, 0f, 0.5f);
        for (var x = 4; x < 16; x++)
        {
            Assert.True(soft[(16 * size) + x + 1] >= soft[(16 * size) + x] - 1e-6f, "rises towards the centre");
        }
    }
}
