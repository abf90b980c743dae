using System.Globalization;
using System.Security.Cryptography;
using System.Runtime.InteropServices;
using System.Text.Json;
using FacePipeline.Geometry;

namespace FacePipeline.Morphable;

/// <summary>How well MediaPipe's canonical face was brought onto the ICT neutral (centimetres, ICT frame).</summary>
/// <param name="LandmarkMeanCm">Mean distance of the 68 iBUG landmarks after the similarity alignment.</param>
/// <param name="LandmarkMaxCm">Largest of those (a jaw-line point: the contours differ most).</param>
/// <param name="InteriorLandmarkMeanCm">Mean over the 51 non-contour landmarks (brows, nose, eyes, lips).</param>
/// <param name="InteriorLandmarkMaxCm">Largest over the 51 non-contour landmarks.</param>
/// <param name="SurfaceMeanCm">Mean distance from each warped MediaPipe point to its projection on the ICT surface.</param>
/// <param name="SurfaceMaxCm">Largest of those.</param>
/// <param name="LipSideConstrainedPoints">MediaPipe points held to the upper or lower lip side during projection.</param>
public sealed record CorrespondenceResidual(
    double LandmarkMeanCm,
    double LandmarkMaxCm,
    double InteriorLandmarkMeanCm,
    double InteriorLandmarkMaxCm,
    double SurfaceMeanCm,
    double SurfaceMaxCm,
    int LipSideConstrainedPoints);

/// <summary>
/// Where MediaPipe's 468 face-mesh points sit on the ICT-FaceKit surface: one
/// <see cref="SurfacePoint"/> (face-region triangle + barycentric weights) per point, computed from
/// the two models at run time and cached beside the model.
/// <para>
/// Method (<see cref="Compute"/>):
/// </para>
/// <list type="number">
/// <item>Similarity (rotation, translation, uniform scale; <see cref="WeightedProcrustes"/>) taking
/// MediaPipe's canonical mesh onto the ICT neutral at the 68 iBUG landmarks
/// (<see cref="MediaPipeFaceIndices.Ibug68"/> ↔ <see cref="IctFaceModel.LandmarkVertexIds"/>); the
/// jaw-line landmarks, which follow the silhouette rather than a fixed point, weigh
/// <see cref="JawContourWeight"/>.</item>
/// <item>Non-rigid refinement: a smoothing 3D biharmonic spline (φ(r) = r plus an affine part) through
/// the 68 landmark offsets that remain, applied to all 468 points, so each MediaPipe point lands
/// where its neighbourhood of landmarks says it belongs on the ICT face.</item>
/// <item>Projection of each warped point onto the closest ICT face-region triangle (vertices
/// 0..9408). The lips touch in ICT's neutral, so points of MediaPipe's upper lip may only land on
/// triangles that stay with the skull when the jaw opens and lower-lip points only on triangles that
/// follow the jaw (ICT's <c>jawOpen</c> shape tells which: a triangle's mean downward motion relative
/// to the chin's, split at ½).</item>
/// </list>
/// </summary>
public sealed class MediaPipeCorrespondence
{
    /// <summary>The cache format and algorithm version; a cache of another version is recomputed.</summary>
    public const int Version = 1;

    /// <summary>Weight of the 17 jaw-line landmarks relative to the others, in the alignment and the spline.</summary>
    public const double JawContourWeight = 0.1;

    /// <summary>Smoothing of the biharmonic spline (cm; 0 interpolates the landmarks exactly).</summary>
    public const double SplineSmoothing = 0.05;

    private const string CacheFileName = "mediapipe-correspondence.json";

    private readonly SurfacePoint[] points;

    private MediaPipeCorrespondence(SurfacePoint[] points, SimilarityTransform canonicalToIct, CorrespondenceResidual residual, string fingerprint)
    {
        this.points = points;
        CanonicalToIct = canonicalToIct;
        Residual = residual;
        Fingerprint = fingerprint;
    }

    /// <summary>One surface point per MediaPipe point, in MediaPipe's order.</summary>
    public IReadOnlyList<SurfacePoint> Points => points;

    /// <summary>The similarity taking MediaPipe's canonical frame (and so pose-free landmarks) into the ICT frame.</summary>
    public SimilarityTransform CanonicalToIct { get; }

    /// <summary>Alignment and projection residuals.</summary>
    public CorrespondenceResidual Residual { get; }

    /// <summary>A hash of the inputs (ICT face region and <c>jawOpen</c>, landmark ids, MediaPipe's canonical mesh, <see cref="Version"/>).</summary>
    public string Fingerprint { get; }

    /// <summary>The default cache file for a release folder: <c>&lt;folder&gt;/../cache/mediapipe-correspondence.json</c>.</summary>
    public static string DefaultCachePath(string modelFolder) =>
        Path.Combine(Path.GetDirectoryName(IctFaceModelCache.DefaultPath(modelFolder))!, CacheFileName);

    /// <summary>The 468 points on a mesh of the ICT topology (x y z per vertex), e.g. a shape from <see cref="IctFaceModel.Evaluate(ReadOnlySpan{float}, ReadOnlySpan{float})"/>.</summary>
    public Vec3[] Sample(ReadOnlySpan<float> positions)
    {
        var result = new Vec3[points.Length];
        for (var i = 0; i < points.Length; i++)
        {
            result[i] = points[i].Evaluate(positions);
        }

        return result;
    }

    /// <summary>Reads the cache when it matches the models (same <see cref="Fingerprint"/>), else computes and writes it (best effort).</summary>
    public static MediaPipeCorrespondence LoadOrCompute(IctFaceModel model, CanonicalFaceMesh canonical, string cachePath)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(canonical);
        var fingerprint = ComputeFingerprint(model, canonical);
        if (File.Exists(cachePath))
        {
            try
            {
                var cached = Load(cachePath);
                if (cached.Fingerprint == fingerprint)
                {
                    return cached;
                }
            }
            catch (Exception e) when (e is InvalidDataException or JsonException or IOException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                // Recompute below.
            }
        }

        var computed = Compute(model, canonical);
        try
        {
            computed.Save(cachePath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only models folder: still usable, recomputed next time.
        }

        return computed;
    }

    /// <summary>Computes the correspondence (see the type's summary); about a second.</summary>
    public static MediaPipeCorrespondence Compute(IctFaceModel model, CanonicalFaceMesh canonical)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(canonical);
        if (canonical.VertexCount != MediaPipeFaceIndices.PointCount)
        {
            throw new ArgumentException($"Expected MediaPipe's {MediaPipeFaceIndices.PointCount}-point canonical mesh, got {canonical.VertexCount} points.", nameof(canonical));
        }

        var neutral = model.Neutral;
        Vec3 Vertex(int v) => new(neutral[3 * v], neutral[(3 * v) + 1], neutral[(3 * v) + 2]);

        // (1) Similarity at the 68 landmarks.
        var mp = canonical.Vertices.ToArray();
        var ibug = MediaPipeFaceIndices.Ibug68;
        var source = new Vec3[ibug.Count];
        var target = new Vec3[ibug.Count];
        var weights = new double[ibug.Count];
        for (var k = 0; k < ibug.Count; k++)
        {
            source[k] = mp[ibug[k]];
            target[k] = Vertex(model.LandmarkVertexIds[k]);
            weights[k] = MediaPipeFaceIndices.IsJawContour(k) ? JawContourWeight : 1;
        }

        var similarity = WeightedProcrustes.Solve(source, target, weights);
        var aligned = new Vec3[ibug.Count];
        double landmarkSum = 0, landmarkMax = 0, interiorSum = 0, interiorMax = 0;
        for (var k = 0; k < ibug.Count; k++)
        {
            aligned[k] = similarity.Apply(source[k]);
            var d = (aligned[k] - target[k]).Length;
            landmarkSum += d;
            landmarkMax = Math.Max(landmarkMax, d);
            if (!MediaPipeFaceIndices.IsJawContour(k))
            {
                interiorSum += d;
                interiorMax = Math.Max(interiorMax, d);
            }
        }

        // (2) Biharmonic spline through the remaining landmark offsets.
        var spline = BiharmonicSpline.Fit(aligned, target, weights, SplineSmoothing);
        var warped = new Vec3[mp.Length];
        for (var i = 0; i < mp.Length; i++)
        {
            var p = similarity.Apply(mp[i]);
            warped[i] = p + spline.Offset(p);
        }

        // (3) Projection onto the face region, upper and lower lip kept apart.
        var faceTriangles = FaceTriangles(model);
        var jawFollow = TriangleJawFollow(model, faceTriangles);
        var sides = LipSides(warped);
        var projector = new TriangleProjector(neutral, faceTriangles, model.Triangles);
        var result = new SurfacePoint[mp.Length];
        double surfaceSum = 0, surfaceMax = 0;
        for (var i = 0; i < mp.Length; i++)
        {
            Func<int, bool>? allowed = sides[i] switch
            {
                LipSide.Upper => t => jawFollow[t] < 0.5,
                LipSide.Lower => t => jawFollow[t] >= 0.5,
                _ => null,
            };
            var (point, distance) = projector.Closest(warped[i], allowed);
            result[i] = point;
            surfaceSum += distance;
            surfaceMax = Math.Max(surfaceMax, distance);
        }

        var residual = new CorrespondenceResidual(
            landmarkSum / ibug.Count,
            landmarkMax,
            interiorSum / (ibug.Count - 17),
            interiorMax,
            surfaceSum / mp.Length,
            surfaceMax,
            sides.Count(s => s != LipSide.Unconstrained));
        return new MediaPipeCorrespondence(result, similarity, residual, ComputeFingerprint(model, canonical));
    }

    /// <summary>Writes the correspondence as JSON (atomically: a temporary file renamed into place).</summary>
    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = path + $".{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write))
            using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false }))
            {
                json.WriteStartObject();
                json.WriteNumber("version", Version);
                json.WriteString("fingerprint", Fingerprint);
                json.WriteStartArray("canonicalToIct");
                var s = CanonicalToIct;
                for (var r = 0; r < 3; r++)
                {
                    for (var c = 0; c < 3; c++)
                    {
                        json.WriteNumberValue(s.Rotation[r, c]);
                    }
                }

                json.WriteNumberValue(s.Translation.X);
                json.WriteNumberValue(s.Translation.Y);
                json.WriteNumberValue(s.Translation.Z);
                json.WriteNumberValue(s.Scale);
                json.WriteEndArray();
                var res = Residual;
                json.WriteStartArray("residual");
                foreach (var v in new[] { res.LandmarkMeanCm, res.LandmarkMaxCm, res.InteriorLandmarkMeanCm, res.InteriorLandmarkMaxCm, res.SurfaceMeanCm, res.SurfaceMaxCm, res.LipSideConstrainedPoints })
                {
                    json.WriteNumberValue(v);
                }

                json.WriteEndArray();
                json.WriteStartArray("points");
                foreach (var p in points)
                {
                    json.WriteStartArray();
                    json.WriteNumberValue(p.Triangle);
                    json.WriteNumberValue(p.A);
                    json.WriteNumberValue(p.B);
                    json.WriteNumberValue(p.C);
                    json.WriteNumberValue(p.WeightA);
                    json.WriteNumberValue(p.WeightB);
                    json.WriteNumberValue(p.WeightC);
                    json.WriteEndArray();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>Reads a file written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">Another version, or not 468 points.</exception>
    public static MediaPipeCorrespondence Load(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;
        if (root.GetProperty("version").GetInt32() != Version)
        {
            throw new InvalidDataException($"{path}: correspondence cache of another version.");
        }

        var t = root.GetProperty("canonicalToIct").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var r = root.GetProperty("residual").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var list = root.GetProperty("points").EnumerateArray().Select(e =>
        {
            var f = e.EnumerateArray().ToArray();
            return new SurfacePoint(f[0].GetInt32(), f[1].GetInt32(), f[2].GetInt32(), f[3].GetInt32(), f[4].GetSingle(), f[5].GetSingle(), f[6].GetSingle());
        }).ToArray();
        if (t.Length != 13 || r.Length != 7 || list.Length != MediaPipeFaceIndices.PointCount)
        {
            throw new InvalidDataException($"{path}: malformed correspondence cache.");
        }

        var transform = new SimilarityTransform(new Matrix3(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8]), new Vec3(t[9], t[10], t[11]), t[12]);
        var residual = new CorrespondenceResidual(r[0], r[1], r[2], r[3], r[4], r[5], (int)r[6]);
        return new MediaPipeCorrespondence(list, transform, residual, root.GetProperty("fingerprint").GetString() ?? "");
    }

    /// <summary>Triangle indices (into <see cref="IctFaceModel.Triangles"/> ÷ 3) whose three vertices are in the face region.</summary>
    public static int[] FaceTriangles(IctFaceModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var tris = model.Triangles;
        var list = new List<int>(tris.Length / 3);
        for (var t = 0; t < tris.Length / 3; t++)
        {
            if (tris[3 * t] < IctFaceModel.FaceVertexCount && tris[(3 * t) + 1] < IctFaceModel.FaceVertexCount && tris[(3 * t) + 2] < IctFaceModel.FaceVertexCount)
            {
                list.Add(t);
            }
        }

        return [.. list];
    }

    private enum LipSide : byte
    {
        Unconstrained,
        Upper,
        Lower,
    }

    /// <summary>Per face triangle (by triangle index): its vertices' mean downward <c>jawOpen</c> motion over the chin's.</summary>
    private static Dictionary<int, double> TriangleJawFollow(IctFaceModel model, int[] faceTriangles)
    {
        var jaw = model.ExpressionDelta("jawOpen");
        var chinDrop = jaw[(3 * model.LandmarkVertexIds[8]) + 1];
        if (!(chinDrop < 0))
        {
            throw new InvalidDataException("ICT's jawOpen shape does not lower the chin.");
        }

        var tris = model.Triangles;
        var result = new Dictionary<int, double>(faceTriangles.Length);
        foreach (var t in faceTriangles)
        {
            var sum = jaw[(3 * tris[3 * t]) + 1] + jaw[(3 * tris[(3 * t) + 1]) + 1] + jaw[(3 * tris[(3 * t) + 2]) + 1];
            result[t] = sum / 3 / chinDrop;
        }

        return result;
    }

    /// <summary>
    /// Which MediaPipe points must stay on the upper or lower lip: those between the mouth corners
    /// within 1.5 cm of the inner-lip contact line (the midpoints of MediaPipe's inner upper and
    /// lower lip contours), above it upper, below it lower; the contours themselves by membership.
    /// </summary>
    private static LipSide[] LipSides(Vec3[] points)
    {
        const double band = 1.5;
        const double cornerMargin = 0.3;
        var upper = MediaPipeFaceIndices.InnerLipUpper;
        var lower = MediaPipeFaceIndices.InnerLipLower;
        var line = new Vec3[upper.Count];
        for (var k = 0; k < line.Length; k++)
        {
            line[k] = (points[upper[k]] + points[lower[k]]) * 0.5;
        }

        var sides = new LipSide[points.Length];
        var left = Math.Min(line[0].X, line[^1].X) + cornerMargin;
        var right = Math.Max(line[0].X, line[^1].X) - cornerMargin;
        for (var i = 0; i < points.Length; i++)
        {
            var p = points[i];
            if (p.X <= left || p.X >= right)
            {
                continue;
            }

            var y = LineHeight(line, p.X);
            if (Math.Abs(p.Y - y) < band)
            {
                sides[i] = p.Y < y ? LipSide.Lower : LipSide.Upper;
            }
        }

        for (var k = 1; k < upper.Count - 1; k++)
        {
            sides[upper[k]] = LipSide.Upper;
            sides[lower[k]] = LipSide.Lower;
        }

        sides[upper[0]] = sides[upper[^1]] = LipSide.Unconstrained;
        return sides;
    }

    private static double LineHeight(Vec3[] line, double x)
    {
        for (var k = 0; k + 1 < line.Length; k++)
        {
            var (a, b) = (line[k], line[k + 1]);
            if ((x - a.X) * (x - b.X) <= 0 && a.X != b.X)
            {
                return a.Y + ((b.Y - a.Y) * (x - a.X) / (b.X - a.X));
            }
        }

        return line.Average(p => p.Y);
    }

    private static string ComputeFingerprint(IctFaceModel model, CanonicalFaceMesh canonical)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(BitConverter.GetBytes(Version));
        var face = 3 * IctFaceModel.FaceVertexCount;
        hash.AppendData(MemoryMarshal.AsBytes(model.Neutral.AsSpan(0, face)));
        hash.AppendData(MemoryMarshal.AsBytes(model.ExpressionDelta("jawOpen")[..face]));
        hash.AppendData(MemoryMarshal.AsBytes(model.Triangles.AsSpan()));
        hash.AppendData(MemoryMarshal.AsBytes(model.LandmarkVertexIds.ToArray().AsSpan()));
        foreach (var v in canonical.Vertices)
        {
            hash.AppendData(BitConverter.GetBytes(v.X));
            hash.AppendData(BitConverter.GetBytes(v.Y));
            hash.AppendData(BitConverter.GetBytes(v.Z));
        }

        return Convert.ToHexString(hash.GetHashAndReset()).ToLower(CultureInfo.InvariantCulture);
    }
}
