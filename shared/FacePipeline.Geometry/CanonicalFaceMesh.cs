namespace FacePipeline.Geometry;

/// <summary>Where the geometry pipeline's landmarks come from (MediaPipe's <c>InputSource</c>).</summary>
public enum InputSource
{
    /// <summary>Unset; treated as <see cref="FaceLandmarkPipeline"/>.</summary>
    Default = 0,

    /// <summary>3D landmarks with a relative Z on the scale of X (the face mesh model).</summary>
    FaceLandmarkPipeline = 1,

    /// <summary>2D landmarks with Z = 0 (face detection keypoints).</summary>
    FaceDetectionPipeline = 2,
}

/// <summary>A texture coordinate of the canonical mesh.</summary>
public readonly record struct TextureCoordinate(double U, double V);

/// <summary>A triangle of the canonical mesh, by vertex index (= face-mesh landmark index).</summary>
public readonly record struct Triangle(int A, int B, int C);

/// <summary>One landmark of the Procrustes basis and its (positive) weight.</summary>
public readonly record struct WeightedLandmark(int LandmarkId, double Weight);

/// <summary>
/// MediaPipe's canonical face (the face geometry module's <c>GeometryPipelineMetadata</c>): the
/// 468-vertex metric mesh (centimetres, right-handed, +Y up, the face looking down +Z), its texture
/// coordinates and triangles, and the weighted landmark basis used to solve for the head pose.
/// Read from <c>geometry_pipeline_metadata_landmarks.binarypb</c> (MediaPipe's serialized proto)
/// with a small wire-format reader: no protobuf dependency.
/// </summary>
public sealed class CanonicalFaceMesh
{
    /// <summary>Path of the metadata file under the models folder (<c>Models:Root</c>).</summary>
    public const string RelativePath = "mediapipe-face-mesh/geometry_pipeline_metadata_landmarks.binarypb";

    // Field numbers of mediapipe/modules/face_geometry/protos/geometry_pipeline_metadata.proto
    // and mesh_3d.proto.
    private const int MetadataCanonicalMesh = 1;
    private const int MetadataProcrustesBasis = 2;
    private const int MetadataInputSource = 3;
    private const int LandmarkRefId = 1;
    private const int LandmarkRefWeight = 2;
    private const int MeshVertexType = 1;
    private const int MeshPrimitiveType = 2;
    private const int MeshVertexBuffer = 3;
    private const int MeshIndexBuffer = 4;
    private const int VertexPtSize = 5; // VERTEX_PT: x, y, z, u, v

    private readonly Vec3[] vertices;
    private readonly TextureCoordinate[] textureCoordinates;
    private readonly Triangle[] triangles;
    private readonly WeightedLandmark[] basis;
    private readonly double[] vertexWeights;

    private CanonicalFaceMesh(InputSource inputSource, Vec3[] vertices, TextureCoordinate[] uvs, Triangle[] triangles, WeightedLandmark[] basis)
    {
        InputSource = inputSource;
        this.vertices = vertices;
        textureCoordinates = uvs;
        this.triangles = triangles;
        this.basis = basis;
        vertexWeights = new double[vertices.Length];
        foreach (var landmark in basis)
        {
            vertexWeights[landmark.LandmarkId] += landmark.Weight;
        }
    }

    /// <summary>The landmark source the metadata was made for.</summary>
    public InputSource InputSource { get; }

    /// <summary>Number of vertices (468 for MediaPipe's face mesh).</summary>
    public int VertexCount => vertices.Length;

    /// <summary>Vertex positions in centimetres; index = face-mesh landmark index.</summary>
    public ReadOnlySpan<Vec3> Vertices => vertices;

    /// <summary>Texture coordinates, one per vertex.</summary>
    public ReadOnlySpan<TextureCoordinate> TextureCoordinates => textureCoordinates;

    /// <summary>Triangles (898 for MediaPipe's face mesh).</summary>
    public ReadOnlySpan<Triangle> Triangles => triangles;

    /// <summary>The triangles as a flat list of vertex indices, three a triangle (what the overlays draw).</summary>
    public int[] TriangleIndices() => [.. triangles.SelectMany(t => new[] { t.A, t.B, t.C })];

    /// <summary>The weighted Procrustes landmark basis, as stored.</summary>
    public ReadOnlySpan<WeightedLandmark> ProcrustesBasis => basis;

    /// <summary>The basis as one weight per vertex (0 for vertices outside the basis).</summary>
    public ReadOnlySpan<double> VertexWeights => vertexWeights;

    /// <summary>The metadata file under a models folder.</summary>
    public static string DefaultPath(string modelsRoot) => Path.Combine(modelsRoot, RelativePath);

    /// <summary>Reads the metadata file; a clear error if it is missing.</summary>
    public static CanonicalFaceMesh Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"The canonical face mesh is missing: {path}. Run scripts/fetch-models.sh (it extracts MediaPipe's geometry_pipeline_metadata_landmarks.binarypb from npm).",
                path);
        }

        return Parse(File.ReadAllBytes(path));
    }

    /// <summary>Parses a serialized <c>GeometryPipelineMetadata</c> (repeated fields packed or not).</summary>
    public static CanonicalFaceMesh Parse(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoWireReader(data);
        var inputSource = InputSource.Default;
        var basis = new List<WeightedLandmark>();
        var vertexBuffer = new List<float>();
        var indexBuffer = new List<uint>();
        var sawMesh = false;
        while (!reader.AtEnd)
        {
            var (field, wireType) = reader.ReadTag();
            switch (field)
            {
                case MetadataInputSource when wireType == ProtoWireReader.Varint:
                    inputSource = (InputSource)(int)reader.ReadVarint();
                    break;
                case MetadataProcrustesBasis when wireType == ProtoWireReader.LengthDelimited:
                    basis.Add(ParseLandmarkRef(reader.ReadLengthDelimited()));
                    break;
                case MetadataCanonicalMesh when wireType == ProtoWireReader.LengthDelimited:
                    // A repeated occurrence of an embedded message merges into the first (protobuf rules).
                    ParseMesh(reader.ReadLengthDelimited(), vertexBuffer, indexBuffer);
                    sawMesh = true;
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        if (!sawMesh)
        {
            throw new FormatException("GeometryPipelineMetadata has no canonical_mesh.");
        }

        if (vertexBuffer.Count == 0 || vertexBuffer.Count % VertexPtSize != 0)
        {
            throw new FormatException($"The canonical mesh vertex buffer has {vertexBuffer.Count} floats, not a positive multiple of {VertexPtSize} (VERTEX_PT).");
        }

        if (indexBuffer.Count == 0 || indexBuffer.Count % 3 != 0)
        {
            throw new FormatException($"The canonical mesh index buffer has {indexBuffer.Count} indices, not a positive multiple of 3 (TRIANGLE).");
        }

        if (inputSource is not (InputSource.Default or InputSource.FaceLandmarkPipeline or InputSource.FaceDetectionPipeline))
        {
            throw new FormatException($"Unknown input_source {(int)inputSource}.");
        }

        var vertexCount = vertexBuffer.Count / VertexPtSize;
        var vertices = new Vec3[vertexCount];
        var uvs = new TextureCoordinate[vertexCount];
        for (var i = 0; i < vertexCount; i++)
        {
            var o = i * VertexPtSize;
            vertices[i] = new(vertexBuffer[o], vertexBuffer[o + 1], vertexBuffer[o + 2]);
            uvs[i] = new(vertexBuffer[o + 3], vertexBuffer[o + 4]);
        }

        var triangles = new Triangle[indexBuffer.Count / 3];
        for (var i = 0; i < triangles.Length; i++)
        {
            var (a, b, c) = (indexBuffer[3 * i], indexBuffer[(3 * i) + 1], indexBuffer[(3 * i) + 2]);
            if (a >= vertexCount || b >= vertexCount || c >= vertexCount)
            {
                throw new FormatException($"Triangle {i} ({a}, {b}, {c}) refers to a vertex beyond {vertexCount}.");
            }

            triangles[i] = new((int)a, (int)b, (int)c);
        }

        double totalWeight = 0;
        foreach (var landmark in basis)
        {
            if (landmark.LandmarkId < 0 || landmark.LandmarkId >= vertexCount)
            {
                throw new FormatException($"Procrustes basis landmark {landmark.LandmarkId} is not a vertex (0..{vertexCount - 1}).");
            }

            if (!(landmark.Weight >= 0) || double.IsInfinity(landmark.Weight))
            {
                throw new FormatException($"Procrustes basis landmark {landmark.LandmarkId} has weight {landmark.Weight}.");
            }

            totalWeight += landmark.Weight;
        }

        if (!(totalWeight > 0))
        {
            throw new FormatException("The Procrustes landmark basis is empty or has zero total weight.");
        }

        return new CanonicalFaceMesh(inputSource, vertices, uvs, triangles, [.. basis]);
    }

    private static WeightedLandmark ParseLandmarkRef(ReadOnlySpan<byte> data)
    {
        var reader = new ProtoWireReader(data);
        uint id = 0;
        float weight = 0;
        while (!reader.AtEnd)
        {
            var (field, wireType) = reader.ReadTag();
            switch (field)
            {
                case LandmarkRefId when wireType == ProtoWireReader.Varint:
                    id = checked((uint)reader.ReadVarint());
                    break;
                case LandmarkRefWeight when wireType == ProtoWireReader.Fixed32:
                    weight = reader.ReadFloat();
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }

        return new WeightedLandmark(checked((int)id), weight);
    }

    private static void ParseMesh(ReadOnlySpan<byte> data, List<float> vertexBuffer, List<uint> indexBuffer)
    {
        var reader = new ProtoWireReader(data);
        while (!reader.AtEnd)
        {
            var (field, wireType) = reader.ReadTag();
            switch (field)
            {
                case MeshVertexType when wireType == ProtoWireReader.Varint:
                    var vertexType = reader.ReadVarint();
                    if (vertexType != 0)
                    {
                        throw new FormatException($"Unsupported Mesh3d vertex_type {vertexType} (only VERTEX_PT = 0).");
                    }

                    break;
                case MeshPrimitiveType when wireType == ProtoWireReader.Varint:
                    var primitiveType = reader.ReadVarint();
                    if (primitiveType != 0)
                    {
                        throw new FormatException($"Unsupported Mesh3d primitive_type {primitiveType} (only TRIANGLE = 0).");
                    }

                    break;
                case MeshVertexBuffer:
                    reader.ReadRepeatedFloat(wireType, vertexBuffer);
                    break;
                case MeshIndexBuffer:
                    reader.ReadRepeatedUInt32(wireType, indexBuffer);
                    break;
                default:
                    reader.Skip(wireType);
                    break;
            }
        }
    }
}
