using System.Globalization;
using System.Text;

namespace FacePipeline.Morphable;

/// <summary>
/// Writes the fitted ICT-FaceKit mesh of a range of frames as an OBJ sequence
/// (<c>frame_000000.obj</c> …, named by clip frame index): the actor's identity with each frame's
/// expression weights, every vertex of the release's topology, in ICT's model frame (cm, head
/// pose not applied; the pose is in the curves), the polygons as triangles.
/// </summary>
public static class IctObjSequence
{
    /// <summary>The file name of a frame.</summary>
    public static string FileName(int frameIndex) => $"frame_{frameIndex:000000}.obj";

    /// <summary>
    /// Writes frames <paramref name="first"/> … <paramref name="first"/> + <paramref name="count"/> − 1
    /// into <paramref name="folder"/> (created if missing) and returns the paths written.
    /// </summary>
    public static IReadOnlyList<string> Write(string folder, BlendshapeFitter fitter, BlendshapeAnimation animation, int first, int count)
    {
        ArgumentNullException.ThrowIfNull(folder);
        ArgumentNullException.ThrowIfNull(fitter);
        ArgumentNullException.ThrowIfNull(animation);
        if (first < 0 || count < 0 || first + count > animation.Frames.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"Frames {first}…{first + count - 1} are outside the clip's 0…{animation.Frames.Count - 1}.");
        }

        Directory.CreateDirectory(folder);
        var faces = FaceLines(fitter.Model.Triangles);
        var paths = new List<string>(count);
        for (var f = first; f < first + count; f++)
        {
            var mesh = fitter.EvaluateMesh(animation.Actor, animation.Fit.Frames[f]);
            var path = Path.Combine(folder, FileName(f));
            using (var writer = new StreamWriter(path, append: false, new UTF8Encoding(false), bufferSize: 1 << 16))
            {
                writer.Write(string.Create(CultureInfo.InvariantCulture,
                    $"# FacePipeline: fitted ICT-FaceKit mesh (MIT, USC ICT), frame {f}, t = {animation.Frames[f].TimeSeconds:0.######} s, cm\n"));
                for (var v = 0; v < mesh.Length; v += 3)
                {
                    writer.Write(string.Create(CultureInfo.InvariantCulture, $"v {mesh[v]:0.#####} {mesh[v + 1]:0.#####} {mesh[v + 2]:0.#####}\n"));
                }

                writer.Write(faces);
            }

            paths.Add(path);
        }

        return paths;
    }

    private static string FaceLines(int[] triangles)
    {
        var text = new StringBuilder(triangles.Length * 8);
        for (var t = 0; t < triangles.Length; t += 3)
        {
            text.Append("f ").Append(triangles[t] + 1).Append(' ').Append(triangles[t + 1] + 1).Append(' ').Append(triangles[t + 2] + 1).Append('\n');
        }

        return text.ToString();
    }
}
