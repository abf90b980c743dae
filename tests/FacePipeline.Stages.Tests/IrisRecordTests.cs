using System.Text;
using FacePipeline.Contracts;
using FacePipeline.Face;
using FacePipeline.Geometry;
using FacePipeline.TestSupport;

namespace FacePipeline.Stages.Tests;

/// <summary>
/// The irises of the refined landmark model in the face records: apart from the 468 landmarks (<see cref="FaceRecord.Irises"/>),
/// through the compact binary (version 2, version 1 still read), tracking.json and the sequence builder's filter.
/// </summary>
public sealed class IrisRecordTests
{
    private static readonly CanonicalFaceMesh Mesh = CanonicalFaceMesh.Load(new ModelPaths(RepoPaths.Models).FaceGeometry);

    [Fact]
    public void A_tracked_face_of_478_points_becomes_the_468_landmarks_and_the_10_iris_points()
    {
        var points = Enumerable.Range(0, 478).Select(i => new Landmark(100 + (i % 50), 80 + (i / 50), -i)).ToArray();
        points[470] = new Landmark(9999, 9999, 0); // an iris point outside the mesh does not widen the face's box

        var record = ChunkFaceTracking.ToRecord(new TrackedFace(3, new FaceLandmarks(points, 0.9f, default), Detected: true));
        var without = ChunkFaceTracking.ToRecord(new TrackedFace(3, new FaceLandmarks(points[..468], 0.9f, default), Detected: true));

        Assert.Equal(468, record.Landmarks.Length);
        Assert.Equal([100f, 80f, 0f], record.Landmarks[0]);
        Assert.Equal([100f + (467 % 50), 80f + (467 / 50), -467f], record.Landmarks[467]);
        Assert.Equal(10, record.Irises!.Length);
        Assert.Equal([100f + (468 % 50), 80f + (468 / 50), -468f], record.Irises[FaceRecord.RightIrisCentre]);
        Assert.Equal([100f + (473 % 50), 80f + (473 / 50), -473f], record.Irises[FaceRecord.LeftIrisCentre]);
        Assert.Equal(without.Box, record.Box);
        Assert.Equal(without.Landmarks, record.Landmarks);
        Assert.Null(without.Irises);
        Assert.Throws<ArgumentException>(() => ChunkFaceTracking.ToRecord(new TrackedFace(3, new FaceLandmarks(points[..470], 0.9f, default), Detected: true)));
    }

    [Fact]
    public void The_binary_records_round_trip_irises_beside_faces_without_them_as_version_2()
    {
        FrameRecord[] frames =
        [
            new(0, 0.0, [Face(0, 0f, irises: true, geometry: true), Face(1, 5f, irises: false, geometry: true)]),
            new(1, 0.04, []),
            new(2, 0.08, [Face(0, 1f, irises: true, geometry: false)]),
        ];
        using var stream = new MemoryStream();

        TrackingBinary.Write(stream, frames);
        stream.Position = 4;
        var version = new BinaryReader(stream).ReadInt32();
        stream.Position = 0;
        var read = TrackingBinary.Read(stream);

        Assert.Equal(2, version);
        Assert.Equal(stream.Length, stream.Position); // every byte read
        Assert.Equal(3, read.Count);
        AssertSameFace(frames[0].Faces[0], read[0].Faces[0]);
        AssertSameFace(frames[0].Faces[1], read[0].Faces[1]);
        Assert.Null(read[0].Faces[1].Irises);
        Assert.Empty(read[1].Faces);
        AssertSameFace(frames[2].Faces[0], read[2].Faces[0]);
        Assert.Null(read[2].Faces[0].Pose);
        Assert.Throws<InvalidDataException>(() => TrackingBinary.Write(new MemoryStream(), [new FrameRecord(0, 0, [Face(0, 0, irises: true, geometry: false) with { Irises = [[1f, 2f, 3f]] }])]));
    }

    [Fact]
    public void A_version_1_file_written_byte_by_byte_is_still_read_and_its_faces_have_no_irises()
    {
        var face = Face(7, 2f, irises: false, geometry: true);
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            // The version 1 layout (docs/tracking-format.md): header, then per face no iris flag after the geometry.
            w.Write("FPTK"u8);
            w.Write(1);
            w.Write(468);
            w.Write(2);
            foreach (var (index, time, faces) in new[] { (0, 0.0, new[] { face }), (1, 0.04, new[] { face, face with { TrackId = 8 } }) })
            {
                w.Write(index);
                w.Write(time);
                w.Write(faces.Length);
                foreach (var f in faces)
                {
                    w.Write(f.TrackId);
                    w.Write(f.FaceScore);
                    foreach (var v in new[] { f.Box.X, f.Box.Y, f.Box.Width, f.Box.Height })
                    {
                        w.Write(v);
                    }

                    foreach (var v in f.Landmarks.SelectMany(p => p))
                    {
                        w.Write(v);
                    }

                    w.Write((byte)1);
                    foreach (var v in new[] { f.Pose!.Yaw, f.Pose.Pitch, f.Pose.Roll }.Concat(f.Pose.Rotation).Concat(f.Pose.Translation).Append(f.Pose.Scale))
                    {
                        w.Write(v);
                    }

                    foreach (var v in f.Expression!.SelectMany(p => p))
                    {
                        w.Write(v);
                    }
                }
            }
        }

        stream.Position = 0;
        var read = TrackingBinary.Read(stream);

        Assert.Equal(stream.Length, stream.Position);
        Assert.Equal([1, 2], read.Select(f => f.Faces.Count));
        Assert.Equal([7, 7, 8], read.SelectMany(f => f.Faces).Select(f => f.TrackId));
        Assert.All(read.SelectMany(f => f.Faces), f =>
        {
            AssertSameFace(face with { TrackId = f.TrackId }, f);
            Assert.Null(f.Irises);
        });
    }

    [Fact]
    public void A_file_of_an_unknown_version_is_refused()
    {
        using var stream = new MemoryStream();
        stream.Write("FPTK"u8);
        stream.Write(BitConverter.GetBytes(3));
        stream.Write(new byte[8]);
        stream.Position = 0;

        var error = Assert.Throws<InvalidDataException>(() => TrackingBinary.Read(stream));
        Assert.Contains("version 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tracking_json_carries_the_irises_and_reads_records_without_the_field_as_none()
    {
        var face = Face(0, 1f, irises: true, geometry: true);

        var json = TrackingJson.SerializeFrames([new FrameRecord(0, 0, [face])]);
        var back = await TrackingJson.ReadFramesAsync(new MemoryStream(json), CancellationToken.None);
        var text = Encoding.UTF8.GetString(json).Replace(",\"irises\":", ",\"ignored\":", StringComparison.Ordinal);
        var old = await TrackingJson.ReadFramesAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)), CancellationToken.None);

        Assert.Contains("\"irises\":[[", Encoding.UTF8.GetString(json), StringComparison.Ordinal);
        AssertSameFace(face, back[0].Faces[0]);
        Assert.DoesNotContain("\"irises\"", text, StringComparison.Ordinal);
        Assert.Null(old[0].Faces[0].Irises);
        Assert.Equal(face.Landmarks, old[0].Faces[0].Landmarks);
    }

    [Fact]
    public void A_neutral_frame_without_a_tracked_face_is_refused_as_the_studios_setting_not_replaced_by_an_estimate()
    {
        var frames = Enumerable.Range(0, 10).Select(f => new FrameRecord(f, f / 30.0, f == 4 ? [] : [Screen(f, withIrises: false)])).ToList();
        var builder = new FaceSequenceBuilder(new MetricLandmarks(Mesh));

        var refused = Assert.Throws<JobInputException>(() => builder.Build([frames], 1280, 720, new FaceSequenceOptions(NeutralFrame: 4)));

        Assert.Equal(FailureCodes.BadSettings, refused.Code);
        Assert.StartsWith("The neutral frame 4 shows no tracked face (9 of the clip's 10 frames do)", refused.Message, StringComparison.Ordinal);
        Assert.Equal(10, builder.Build([frames], 1280, 720, new FaceSequenceOptions(NeutralFrame: 5)).Count); // a frame with a face is taken
    }

    [Fact]
    public void The_sequence_builder_filters_irises_with_the_landmarks_and_leaves_the_mesh_as_it_would_be_without_them()
    {
        // A head moving and jittering over 30 frames, irises wobbling in their eyes.
        var frames = Enumerable.Range(0, 30).Select(f => new FrameRecord(f, f / 30.0, [Screen(f, withIrises: true)])).ToList();
        var withoutIrises = frames.Select(f => f with { Faces = [f.Faces[0] with { Irises = null }] }).ToList();

        var built = new FaceSequenceBuilder(new MetricLandmarks(Mesh)).Build([frames], 1280, 720, FaceSequenceOptions.Default);
        var plain = new FaceSequenceBuilder(new MetricLandmarks(Mesh)).Build([withoutIrises], 1280, 720, FaceSequenceOptions.Default);

        // Independently: one One Euro filter over the 478 points of each frame, rounded as the records are.
        var filter = new LandmarkFilter();
        for (var f = 0; f < frames.Count; f++)
        {
            var face = frames[f].Faces[0];
            var filtered = filter.Filter([.. face.Landmarks.Concat(face.Irises!).Select(p => new Vec3(p[0], p[1], p[2]))], frames[f].Time);
            var expected = filtered[468..].Select(p => new[] { (float)Math.Round(p.X, 2), (float)Math.Round(p.Y, 2), (float)Math.Round(p.Z, 2) });
            Assert.Equal(expected, built[f].Faces[0].Irises!);
            Assert.Equal(plain[f].Faces[0].Landmarks, built[f].Faces[0].Landmarks);
            Assert.Equal(plain[f].Faces[0].Pose, built[f].Faces[0].Pose, PoseComparer.Instance);
            Assert.Null(plain[f].Faces[0].Irises);
        }

        Assert.NotEqual(frames[12].Faces[0].Irises![0], built[12].Faces[0].Irises![0]); // filtered, not copied

        // A track missing its irises on one frame has none on any (never on some frames only).
        var gap = frames.Select((f, i) => i == 7 ? withoutIrises[i] : f).ToList();
        var gapBuilt = new FaceSequenceBuilder(new MetricLandmarks(Mesh)).Build([gap], 1280, 720, FaceSequenceOptions.Default);
        Assert.All(gapBuilt, f => Assert.Null(f.Faces[0].Irises));
        Assert.Equal(plain[20].Faces[0].Landmarks, gapBuilt[20].Faces[0].Landmarks);
    }

    [Fact]
    public void The_tracking_models_name_the_refined_landmark_model_when_the_records_carry_irises()
    {
        Assert.Equal(TrackingModels.Current, TrackingModels.For([new FrameRecord(0, 0, [Face(0, 0, irises: false, geometry: false)]), new FrameRecord(1, 0.1, [])]));
        Assert.Equal(TrackingModels.Refined, TrackingModels.For([new FrameRecord(0, 0, []), new FrameRecord(1, 0.1, [Face(0, 0, irises: true, geometry: false)])]));
        Assert.Contains("478", TrackingModels.Refined.Landmarks, StringComparison.Ordinal);
        Assert.Equal(TrackingModels.Current.Detector, TrackingModels.Refined.Detector);
    }

    [Fact]
    public void The_curves_input_carries_the_main_faces_irises_and_none_for_a_clip_without_them()
    {
        FrameRecord[] frames = [new(0, 0, [Face(0, 0, irises: true, geometry: false)]), new(1, 0.1, []), new(2, 0.2, [Face(0, 3, irises: true, geometry: false)])];

        var input = ITrackCurvesWriter.InputFor(frames, "clip.mp4", 1280, 720, 25, 1, null)!;
        var plain = ITrackCurvesWriter.InputFor([.. frames.Select(f => f with { Faces = [.. f.Faces.Select(x => x with { Irises = null })] })], "clip.mp4", 1280, 720, 25, 1, null)!;

        Assert.Equal(3, input.Irises!.Count);
        Assert.Null(input.Irises[1]);
        Assert.Equal(frames[2].Faces[0].Irises![5][0], input.Irises[2]![5].X);
        Assert.Null(plain.Irises);
        var eyes = ITrackCurvesWriter.ScreenEyes(frames[2].Faces[0])!;
        Assert.Equal(478, eyes.Length);
        Assert.Equal(frames[2].Faces[0].Landmarks[467][1], eyes[467].Y);
        Assert.Equal(frames[2].Faces[0].Irises![0][1], eyes[468].Y);
        Assert.Null(ITrackCurvesWriter.ScreenEyes(frames[0].Faces[0] with { Irises = null }));
    }

    /// <summary>A record with recognisable values (offset by <paramref name="shift"/>).</summary>
    private static FaceRecord Face(int track, float shift, bool irises, bool geometry) => new(
        track,
        0.75f,
        new BoxRecord(10 + shift, 20, 30, 40),
        [.. Enumerable.Range(0, 468).Select(i => new[] { i + shift, (2 * i) + shift, -i * 0.5f })],
        geometry ? new PoseRecord(1.5, -2.5, 3.5, [1, 0, 0, 0, 1, 0, 0, 0, 1], [1, 2, -50], 1.25) : null,
        geometry ? [.. Enumerable.Range(0, 468).Select(i => new[] { i * 0.001f, -i * 0.002f, shift })] : null,
        irises ? [.. Enumerable.Range(0, 10).Select(k => new[] { 500 + k + shift, 300 - k, -7f - k })] : null);

    private static void AssertSameFace(FaceRecord expected, FaceRecord actual)
    {
        Assert.Equal((expected.TrackId, expected.FaceScore, expected.Box), (actual.TrackId, actual.FaceScore, actual.Box));
        Assert.Equal(expected.Landmarks, actual.Landmarks);
        Assert.Equal(expected.Expression, actual.Expression);
        Assert.Equal(expected.Irises, actual.Irises);
        Assert.Equal(expected.Pose, actual.Pose, PoseComparer.Instance);
    }

    /// <summary>A tracked face on frame <paramref name="f"/>: the canonical mesh in pixels, moving and jittering, with irises in its eyes.</summary>
    private static FaceRecord Screen(int f, bool withIrises)
    {
        var random = new Random(1000 + f);
        var (dx, dy) = (3.0 * f, 1.5 * Math.Sin(f * 0.4));
        var points = Mesh.Vertices.ToArray()
            .Select(v => new[] { (float)(640 + (12 * v.X) + dx + random.NextDouble() - 0.5), (float)(360 - (12 * v.Y) + dy + random.NextDouble() - 0.5), (float)(12 * v.Z) })
            .ToArray();
        float[][]? irises = null;
        if (withIrises)
        {
            irises = new float[10][];
            foreach (var (start, a, b) in new[] { (0, 33, 133), (5, 362, 263) })
            {
                var (cx, cy) = ((points[a][0] + points[b][0]) / 2, (points[a][1] + points[b][1]) / 2);
                var wobble = (float)(4 * Math.Sin(f * 0.9));
                for (var k = 0; k < 5; k++)
                {
                    var angle = k == 0 ? 0 : (k - 1) * Math.PI / 2;
                    var radius = k == 0 ? 0 : 10;
                    irises[start + k] = [cx + wobble + (float)(radius * Math.Cos(angle)), cy + (float)(radius * Math.Sin(angle)), points[a][2]];
                }
            }
        }

        return new FaceRecord(0, 1, FaceSequenceBuilder.Bounds([.. points.Select(p => new Landmark(p[0], p[1], p[2]))]), points, null, null, irises);
    }

    private sealed class PoseComparer : IEqualityComparer<PoseRecord?>
    {
        public static readonly PoseComparer Instance = new();

        public bool Equals(PoseRecord? a, PoseRecord? b) =>
            a is null ? b is null : b is not null && (a.Yaw, a.Pitch, a.Roll, a.Scale) == (b.Yaw, b.Pitch, b.Roll, b.Scale)
                && a.Rotation.SequenceEqual(b.Rotation) && a.Translation.SequenceEqual(b.Translation);

        public int GetHashCode(PoseRecord? obj) => 0;
    }
}
