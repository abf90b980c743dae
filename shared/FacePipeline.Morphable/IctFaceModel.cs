using System.Numerics;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace FacePipeline.Morphable;

/// <summary>
/// The ICT-FaceKit morphable face model (MIT, USC ICT; the release's <c>FaceXModel/</c> folder):
/// one topology of 26,719 vertices in centimetres, the mean head, 100 identity shapes and 57
/// expression shapes, all stored as deltas from the mean head:
/// <c>shape = neutral + Σ wᵢ·identityDeltaᵢ + Σ eⱼ·expressionDeltaⱼ</c>.
/// <para>
/// Arrays are flat float32, x y z per vertex: <see cref="Neutral"/> is 3N long,
/// <see cref="IdentityDeltas"/> is <see cref="IdentityCount"/>·3N (shape-major) and
/// <see cref="ExpressionDeltas"/> is <see cref="ExpressionNames"/>.Count·3N.
/// </para>
/// <para>
/// Expressions are in ICT's naming (<c>eyeBlink_L</c>): first the 53 of
/// <c>vertex_indices.json</c>'s <c>expressions</c> list (ARKit-like, see
/// <see cref="ArkitBlendshapes"/>), then the folder's other shapes in ordinal order
/// (<c>PupilDilate_L/R</c>, <c>cheekRaiser_L/R</c>).
/// </para>
/// </summary>
public sealed class IctFaceModel
{
    /// <summary>The mean head's file in the release folder.</summary>
    public const string NeutralFileName = "generic_neutral_mesh.obj";

    /// <summary>The release's index file (expression list, landmark and fitting vertices).</summary>
    public const string IndexFileName = "vertex_indices.json";

    /// <summary>
    /// Vertices 0..9408 are the face (ICT-FaceKit's topology table, geometry #0; polygons 0..9229,
    /// the <c>M_Face</c> material). Not in <c>vertex_indices.json</c>: a property of the topology.
    /// </summary>
    public const int FaceVertexCount = 9409;

    /// <summary>Vertices 9409..11247: the back of the head and the neck (geometry #1, <c>M_BackHead</c>).</summary>
    public static readonly Range HeadAndNeckVertices = new(9409, 11248);

    internal IctFaceModel(
        float[] neutral,
        int[] triangles,
        int polygonCount,
        float[] identityDeltas,
        int identityCount,
        string[] expressionNames,
        float[] expressionDeltas,
        IndexData indices)
    {
        var stride = neutral.Length;
        if (stride == 0 || stride % 3 != 0 || identityDeltas.Length != identityCount * stride ||
            expressionDeltas.Length != expressionNames.Length * stride)
        {
            throw new InvalidDataException("Inconsistent ICT face model arrays.");
        }

        Neutral = neutral;
        Triangles = triangles;
        PolygonCount = polygonCount;
        IdentityDeltas = identityDeltas;
        IdentityCount = identityCount;
        ExpressionNames = expressionNames;
        ExpressionDeltas = expressionDeltas;
        Indices = indices;
        expressionIndex = expressionNames.Select((n, i) => (n, i)).ToDictionary(p => p.n, p => p.i, StringComparer.Ordinal);
        arkitToExpression = [.. ArkitBlendshapes.Names.Select(a => ArkitBlendshapes.ToIct(a).Select(ExpressionIndex).Where(i => i >= 0).ToArray())];
    }

    private readonly Dictionary<string, int> expressionIndex;
    private readonly int[][] arkitToExpression;

    internal IndexData Indices { get; }

    /// <summary>Number of vertices (26,719 in the release).</summary>
    public int VertexCount => Neutral.Length / 3;

    /// <summary>Polygons in the OBJ files before triangulation (26,384 in the release, mostly quads).</summary>
    public int PolygonCount { get; }

    /// <summary>The mean head, x y z per vertex, in cm.</summary>
    public float[] Neutral { get; }

    /// <summary>Triangle vertex indices (0-based), three per triangle; quads and polygons fanned.</summary>
    public int[] Triangles { get; }

    /// <summary>Number of identity shapes (100).</summary>
    public int IdentityCount { get; }

    /// <summary>identity_i − neutral for each identity, shape-major, 3N floats each.</summary>
    public float[] IdentityDeltas { get; }

    /// <summary>ICT names of the expression shapes, in the order of <see cref="ExpressionDeltas"/>.</summary>
    public IReadOnlyList<string> ExpressionNames { get; }

    /// <summary>expression_j − neutral for each expression, shape-major, 3N floats each.</summary>
    public float[] ExpressionDeltas { get; }

    /// <summary>The vertex ids of the 68 Multi-PIE landmarks (<c>idx_to_landmark_verts</c>), in Multi-PIE order.</summary>
    public IReadOnlyList<int> LandmarkVertexIds => Indices.LandmarkVertices;

    /// <summary>The morphable vertices used for fitting (<c>idx_to_fitting_verts</c>).</summary>
    public IReadOnlyList<int> FittingVertexIds => Indices.FittingVertices;

    /// <summary>Vertices that move rigidly with the skull (<c>idx_to_rigid_verts</c>).</summary>
    public IReadOnlyList<int> RigidVertexIds => Indices.RigidVertices;

    /// <summary>Positions in the 68 landmarks of those on rigid parts of the face (<c>idx_to_rigid_landmark_idx</c>).</summary>
    public IReadOnlyList<int> RigidLandmarkIndices => Indices.RigidLandmarkIndices;

    /// <summary>The face region's vertices (0..9408).</summary>
    public static Range FaceVertices => new(0, FaceVertexCount);

    /// <summary>The release folder under a models root: <c>&lt;models&gt;/ict-facekit/FaceXModel</c> (where scripts/unpack-ict.sh puts it).</summary>
    public static string DefaultFolder(string modelsRoot) => Path.Combine(modelsRoot, "ict-facekit", "FaceXModel");

    /// <summary>The position of an ICT expression name in <see cref="ExpressionNames"/>, or -1.</summary>
    public int ExpressionIndex(string ictName) => expressionIndex.GetValueOrDefault(ictName, -1);

    /// <summary>identity_i − neutral.</summary>
    public ReadOnlySpan<float> IdentityDelta(int identity) =>
        IdentityDeltas.AsSpan(checked(identity * Neutral.Length), Neutral.Length);

    /// <summary>expression_j − neutral.</summary>
    public ReadOnlySpan<float> ExpressionDelta(int expression) =>
        ExpressionDeltas.AsSpan(checked(expression * Neutral.Length), Neutral.Length);

    /// <summary>The delta of an expression by ICT name (<c>jawOpen</c>, <c>eyeBlink_L</c>).</summary>
    public ReadOnlySpan<float> ExpressionDelta(string ictName)
    {
        var index = ExpressionIndex(ictName);
        return index >= 0
            ? ExpressionDelta(index)
            : throw new KeyNotFoundException($"The ICT face model has no expression '{ictName}'.");
    }

    /// <summary>
    /// ICT expression weights (in <see cref="ExpressionNames"/> order) from 52 ARKit weights (in
    /// <see cref="ArkitBlendshapes.Names"/> order): browInnerUp and cheekPuff drive both of ICT's
    /// sides, tongueOut drives nothing, ICT's extras stay 0.
    /// </summary>
    public float[] ExpressionWeightsFromArkit(ReadOnlySpan<float> arkitWeights)
    {
        if (arkitWeights.Length != ArkitBlendshapes.Names.Count)
        {
            throw new ArgumentException($"Expected {ArkitBlendshapes.Names.Count} ARKit weights, got {arkitWeights.Length}.", nameof(arkitWeights));
        }

        var weights = new float[ExpressionNames.Count];
        for (var a = 0; a < arkitWeights.Length; a++)
        {
            foreach (var e in arkitToExpression[a])
            {
                weights[e] = arkitWeights[a];
            }
        }

        return weights;
    }

    /// <summary>
    /// The 52 ARKit weights (in <see cref="ArkitBlendshapes.Names"/> order) of ICT expression weights
    /// (in <see cref="ExpressionNames"/> order, up to all of them; missing ones are 0): each ARKit
    /// shape takes its ICT shape's weight, browInnerUp and cheekPuff the mean of ICT's two sides,
    /// tongueOut 0; ICT's extras are dropped. The inverse of <see cref="ExpressionWeightsFromArkit"/>
    /// for weights with equal sides.
    /// </summary>
    public float[] ArkitWeightsFromExpression(ReadOnlySpan<float> expressionWeights)
    {
        if (expressionWeights.Length > ExpressionNames.Count)
        {
            throw new ArgumentException($"At most {ExpressionNames.Count} expression weights, got {expressionWeights.Length}.", nameof(expressionWeights));
        }

        var result = new float[ArkitBlendshapes.Names.Count];
        for (var a = 0; a < result.Length; a++)
        {
            var sources = arkitToExpression[a];
            var sum = 0f;
            foreach (var e in sources)
            {
                sum += e < expressionWeights.Length ? expressionWeights[e] : 0f;
            }

            result[a] = sources.Length == 0 ? 0f : sum / sources.Length;
        }

        return result;
    }

    /// <summary>
    /// The shape for identity weights (up to <see cref="IdentityCount"/>; missing ones are 0) and
    /// expression weights (up to <see cref="ExpressionNames"/>.Count, in that order): a new 3N array.
    /// </summary>
    public float[] Evaluate(ReadOnlySpan<float> identityWeights, ReadOnlySpan<float> expressionWeights)
    {
        var result = new float[Neutral.Length];
        Evaluate(identityWeights, expressionWeights, result);
        return result;
    }

    /// <summary>As <see cref="Evaluate(ReadOnlySpan{float}, ReadOnlySpan{float})"/>, into <paramref name="destination"/> (3N floats).</summary>
    public void Evaluate(ReadOnlySpan<float> identityWeights, ReadOnlySpan<float> expressionWeights, Span<float> destination)
    {
        if (identityWeights.Length > IdentityCount)
        {
            throw new ArgumentException($"At most {IdentityCount} identity weights, got {identityWeights.Length}.", nameof(identityWeights));
        }

        if (expressionWeights.Length > ExpressionNames.Count)
        {
            throw new ArgumentException($"At most {ExpressionNames.Count} expression weights, got {expressionWeights.Length}.", nameof(expressionWeights));
        }

        if (destination.Length != Neutral.Length)
        {
            throw new ArgumentException($"The destination needs {Neutral.Length} floats, has {destination.Length}.", nameof(destination));
        }

        Neutral.CopyTo(destination);
        for (var i = 0; i < identityWeights.Length; i++)
        {
            AddScaled(destination, IdentityDelta(i), identityWeights[i]);
        }

        for (var e = 0; e < expressionWeights.Length; e++)
        {
            AddScaled(destination, ExpressionDelta(e), expressionWeights[e]);
        }
    }

    private static void AddScaled(Span<float> destination, ReadOnlySpan<float> delta, float weight)
    {
        if (weight == 0f)
        {
            return;
        }

        var i = 0;
        if (Vector.IsHardwareAccelerated && destination.Length >= Vector<float>.Count)
        {
            var dv = MemoryMarshal.Cast<float, Vector<float>>(destination);
            var sv = MemoryMarshal.Cast<float, Vector<float>>(delta);
            var w = new Vector<float>(weight);
            for (var k = 0; k < dv.Length; k++)
            {
                dv[k] += sv[k] * w;
            }

            i = dv.Length * Vector<float>.Count;
        }

        for (; i < destination.Length; i++)
        {
            destination[i] += delta[i] * weight;
        }
    }

    /// <summary>
    /// Loads the model from the release folder, through the binary cache
    /// (<see cref="IctFaceModelCache.DefaultPath"/>) when it exists and is newer than the folder's
    /// files; otherwise parses the OBJ files and (re)writes the cache. A cache that cannot be read
    /// is replaced. <paramref name="cachePath"/> overrides the cache's place; <paramref name="useCache"/>
    /// false neither reads nor writes it.
    /// </summary>
    public static IctFaceModel Load(string folder, string? cachePath = null, bool useCache = true)
    {
        if (!useCache)
        {
            return LoadObj(folder);
        }

        cachePath ??= IctFaceModelCache.DefaultPath(folder);
        if (IctFaceModelCache.IsFresh(cachePath, folder))
        {
            try
            {
                return IctFaceModelCache.Load(cachePath);
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException or IOException)
            {
                // Fall through: rebuild it from the OBJ files.
            }
        }

        var model = LoadObj(folder);
        try
        {
            IctFaceModelCache.Save(model, cachePath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A read-only models folder: the model is still usable, only slower to load next time.
        }

        return model;
    }

    /// <summary>Parses the release folder's OBJ files and <c>vertex_indices.json</c> (no cache).</summary>
    public static IctFaceModel LoadObj(string folder)
    {
        var neutralPath = Path.Combine(folder, NeutralFileName);
        var indexPath = Path.Combine(folder, IndexFileName);
        if (!File.Exists(neutralPath) || !File.Exists(indexPath))
        {
            throw new FileNotFoundException(
                $"The ICT-FaceKit model is not at {folder} (no {NeutralFileName} or {IndexFileName}); run scripts/unpack-ict.sh.",
                File.Exists(neutralPath) ? indexPath : neutralPath);
        }

        var (indices, jsonExpressions) = ReadIndexFile(indexPath);
        var neutralMesh = ObjReader.Read(neutralPath);
        var neutral = neutralMesh.Positions;

        var identityFiles = new List<string>();
        for (var i = 0; File.Exists(Path.Combine(folder, $"identity{i:000}.obj")); i++)
        {
            identityFiles.Add(Path.Combine(folder, $"identity{i:000}.obj"));
        }

        var others = Directory.EnumerateFiles(folder, "*.obj")
            .Select(p => Path.GetFileNameWithoutExtension(p)!)
            .Where(n => n != Path.GetFileNameWithoutExtension(NeutralFileName) && !IsIdentityName(n))
            .ToHashSet(StringComparer.Ordinal);
        var missing = jsonExpressions.Where(n => !others.Contains(n)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidDataException($"{folder}: expressions listed in {IndexFileName} have no OBJ file: {string.Join(", ", missing)}.");
        }

        string[] expressionNames = [.. jsonExpressions, .. others.Except(jsonExpressions).Order(StringComparer.Ordinal)];

        var stride = neutral.Length;
        var identityDeltas = new float[checked(identityFiles.Count * stride)];
        var expressionDeltas = new float[checked(expressionNames.Length * stride)];
        var jobs = identityFiles.Select((p, i) => (Path: p, Target: identityDeltas, Slot: i))
            .Concat(expressionNames.Select((n, i) => (Path: Path.Combine(folder, n + ".obj"), Target: expressionDeltas, Slot: i)))
            .ToArray();
        Parallel.ForEach(jobs, job =>
        {
            var positions = ObjReader.ReadPositions(job.Path);
            if (positions.Length != stride)
            {
                throw new InvalidDataException($"{job.Path}: {positions.Length / 3} vertices, the neutral mesh has {stride / 3}.");
            }

            var target = job.Target.AsSpan(job.Slot * stride, stride);
            for (var k = 0; k < stride; k++)
            {
                target[k] = positions[k] - neutral[k];
            }
        });

        indices.Validate(neutral.Length / 3);
        return new IctFaceModel(neutral, neutralMesh.Triangles, neutralMesh.PolygonCount, identityDeltas, identityFiles.Count,
            expressionNames, expressionDeltas, indices);
    }

    private static bool IsIdentityName(string name) =>
        name.Length == 11 && name.StartsWith("identity", StringComparison.Ordinal) && name[8..].All(char.IsAsciiDigit);

    private static (IndexData Indices, string[] Expressions) ReadIndexFile(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;

        int[] Ints(string name) => root.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.Array
            ? [.. e.EnumerateArray().Select(x => x.GetInt32())]
            : throw new InvalidDataException($"{path}: no '{name}' array.");

        string[] expressions = root.TryGetProperty("expressions", out var ex) && ex.ValueKind == JsonValueKind.Array
            ? [.. ex.EnumerateArray().Select(x => x.GetString() ?? throw new InvalidDataException($"{path}: null expression name."))]
            : throw new InvalidDataException($"{path}: no 'expressions' array.");

        return (new IndexData(Ints("idx_to_landmark_verts"), Ints("idx_to_fitting_verts"), Ints("idx_to_rigid_verts"),
            Ints("idx_to_rigid_landmark_idx")), expressions);
    }

    /// <summary>The vertex lists of <c>vertex_indices.json</c>.</summary>
    internal sealed record IndexData(int[] LandmarkVertices, int[] FittingVertices, int[] RigidVertices, int[] RigidLandmarkIndices)
    {
        public void Validate(int vertexCount)
        {
            if (LandmarkVertices.Length != 68)
            {
                throw new InvalidDataException($"Expected 68 landmark vertices, got {LandmarkVertices.Length}.");
            }

            if (LandmarkVertices.Concat(FittingVertices).Concat(RigidVertices).Any(v => (uint)v >= (uint)vertexCount) ||
                RigidLandmarkIndices.Any(i => (uint)i >= 68u))
            {
                throw new InvalidDataException("A vertex index in vertex_indices.json is out of range.");
            }
        }
    }
}
