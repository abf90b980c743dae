using FacePipeline.Geometry;
using FacePipeline.Stages;

namespace FacePipeline.MemoryProbe;

/// <summary>
/// Synthetic per-chunk landmark records of one face: the canonical face posed and projected, its head turning slowly,
/// its mouth opening and its eyes blinking, with tracker-like noise and irises; the face lost for 4 frames every 997
/// frames and for 40 frames every 5003 (a short gap and a long one).
/// </summary>
public static class Synthetic
{
    public const int Width = 640, Height = 480;

    public static IEnumerable<List<FrameRecord>> Chunks(CanonicalFaceMesh mesh, int frames, int chunkSize = 64, int seed = 1, double rate = 25)
    {
        var canonical = mesh.Vertices.ToArray();
        var random = new Random(seed);
        for (var first = 0; first < frames; first += chunkSize)
        {
            var chunk = new List<FrameRecord>(chunkSize);
            for (var f = first; f < Math.Min(frames, first + chunkSize); f++)
            {
                var lost = f % 997 is >= 500 and < 504 || f % 5003 is >= 2000 and < 2040;
                chunk.Add(new FrameRecord(f, Math.Round(f / rate, 6), lost ? [] : [Face(canonical, f, random)]));
            }

            yield return chunk;
        }
    }

    private static FaceRecord Face(Vec3[] canonical, int f, Random random)
    {
        var t = f / 25.0;
        var open = Math.Max(0, Math.Sin(t * 2.1)) * 1.2;
        var blink = f % 90 < 3 ? 0.35 : 0;
        var face = new Vec3[canonical.Length];
        for (var i = 0; i < face.Length; i++)
        {
            var v = canonical[i];
            var below = Math.Clamp((-4.1 - v.Y) / 0.5, 0, 1) * Math.Clamp((6.5 - Math.Abs(v.X)) / 2, 0, 1);
            var lid = Math.Abs(v.Y - 3.4) < 0.6 && Math.Abs(Math.Abs(v.X) - 3.4) < 1.8 ? blink : 0;
            face[i] = v + new Vec3(0, -(open * below) - lid, -0.3 * open * below);
        }

        var rotation = new EulerAngles(12 * Math.Sin(t * 0.3), 6 * Math.Sin(t * 0.5), 3 * Math.Sin(t * 0.7)).ToMatrix();
        var translation = new Vec3(2 * Math.Sin(t * 0.2), 1 * Math.Sin(t * 0.25), -55 + (3 * Math.Sin(t * 0.1)));
        var posed = face.Select(p => (rotation * p) + translation).ToArray();
        var screen = PerspectiveCamera.Default.ProjectToScreen(posed, Width, Height);
        var landmarks = screen.Select(p => new[] { (float)(p.X + Noise(random)), (float)(p.Y + Noise(random)), (float)p.Z }).ToArray();
        var irises = new float[FaceRecord.IrisPointCount][];
        foreach (var (centre, a, b) in new[] { (0, 33, 133), (5, 362, 263) })
        {
            var (cx, cy) = ((landmarks[a][0] + landmarks[b][0]) / 2, (landmarks[a][1] + landmarks[b][1]) / 2);
            var r = Math.Abs(landmarks[b][0] - landmarks[a][0]) / 5;
            var z = (landmarks[a][2] + landmarks[b][2]) / 2;
            irises[centre] = [cx, cy, z];
            irises[centre + 1] = [cx + r, cy, z];
            irises[centre + 2] = [cx, cy - r, z];
            irises[centre + 3] = [cx - r, cy, z];
            irises[centre + 4] = [cx, cy + r, z];
        }

        var box = FaceSequenceBuilder.Bounds([.. landmarks.Select(p => new FacePipeline.Face.Landmark(p[0], p[1], p[2]))]);
        return new FaceRecord(0, 0.99f, box, landmarks, null, null, irises);
    }

    private static double Noise(Random random) => (random.NextDouble() - 0.5) * 0.6;
}
