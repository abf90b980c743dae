namespace FacePipeline.NeuralRenderer;

/// <summary>Training-pair augmentation (see <see cref="TrainingOptions.ColourJitter"/> and <see cref="TrainingOptions.MaxShiftPixels"/>).</summary>
internal static class Augmentation
{
    /// <summary>Applies one random colour gain and one random shift to a pair's planes, in place.</summary>
    public static void Apply(Random rng, double jitter, int maxShift, int height, int width, Span<float> input, Span<float> target, Span<float> mask)
    {
        var plane = height * width;
        if (jitter > 0)
        {
            for (var c = 0; c < 3; c++)
            {
                var gain = (float)(1 + jitter * (2 * rng.NextDouble() - 1));
                Scale(input.Slice(c * plane, plane), gain);
                Scale(target.Slice(c * plane, plane), gain);
            }
        }

        if (maxShift > 0)
        {
            var dx = rng.Next(-maxShift, maxShift + 1);
            var dy = rng.Next(-maxShift, maxShift + 1);
            if (dx != 0 || dy != 0)
            {
                var scratch = new float[plane];
                for (var k = 0; k < input.Length / plane; k++)
                {
                    Shift(input.Slice(k * plane, plane), scratch, height, width, dx, dy);
                }

                for (var k = 0; k < 3; k++)
                {
                    Shift(target.Slice(k * plane, plane), scratch, height, width, dx, dy);
                }

                Shift(mask, scratch, height, width, dx, dy);
            }
        }
    }

    private static void Scale(Span<float> plane, float gain)
    {
        for (var i = 0; i < plane.Length; i++)
        {
            plane[i] = Math.Clamp(plane[i] * gain, 0f, 1f);
        }
    }

    /// <summary>out(x, y) = in(clamp(x − dx), clamp(y − dy)).</summary>
    private static void Shift(Span<float> plane, float[] scratch, int height, int width, int dx, int dy)
    {
        plane.CopyTo(scratch);
        for (var y = 0; y < height; y++)
        {
            var sy = Math.Clamp(y - dy, 0, height - 1);
            for (var x = 0; x < width; x++)
            {
                plane[y * width + x] = scratch[sy * width + Math.Clamp(x - dx, 0, width - 1)];
            }
        }
    }
}
