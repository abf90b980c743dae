using FacePipeline.Contracts;
using FacePipeline.Face;
using FacePipeline.Geometry;

namespace FacePipeline.Stages;

/// <summary>Per-job choices for the 3D face records.</summary>
/// <param name="NeutralFrame">
/// A frame the user names as the actor's neutral face; null: estimated robustly (per-point median over the track). The
/// frame must show a tracked face (else the studio is told, <see cref="FailureCodes.BadSettings"/>); with several faces,
/// a face whose track does not reach that frame gets its neutral estimated.
/// </param>
public sealed record FaceSequenceOptions(int? NeutralFrame = null)
{
    public static FaceSequenceOptions Default { get; } = new();
}

/// <summary>
/// Turns the chunks' landmark records into the clip's 3D face records: links track ids across
/// chunk boundaries (by box overlap), filters each track's landmarks over time (One Euro),
/// estimates the head pose and the pose-free face per frame, the actor's neutral per track, and
/// the expression (pose-free minus neutral). Runs once per clip, in frame order.
/// <para>
/// Irises (<see cref="FaceRecord.Irises"/>, refined landmark model) go through the same filter as the
/// landmarks: one filter over the 468 mesh points and the 10 iris points together, so the irises are
/// smoothed with the same face-size normalisation and stay where they were relative to the lids (the
/// iris points lie inside the mesh's bounds, so the 468 points come out as they would alone). A track
/// keeps its irises only when every one of its faces has them; otherwise they are dropped from the
/// whole track (never on some frames only).
/// </para>
/// </summary>
public sealed class FaceSequenceBuilder(MetricLandmarks geometry, LandmarkFilterOptions? filterOptions = null)
{
    private const float LinkIou = 0.3f;

    public List<FrameRecord> Build(IReadOnlyList<IReadOnlyList<FrameRecord>> chunks, int width, int height, FaceSequenceOptions options)
    {
        var frames = LinkTracks(chunks);
        if (options.NeutralFrame is { } neutralFrame && !frames.Any(f => f.Index == neutralFrame && f.Faces.Count > 0))
        {
            throw new JobInputException(
                FailureCodes.BadSettings,
                $"The neutral frame {neutralFrame} shows no tracked face ({frames.Count(f => f.Faces.Count > 0)} of the clip's {frames.Count} frames do): "
                + "name a frame where the face is clearly visible, or leave neutralFrame out to have the neutral estimated over the clip.");
        }

        // Tracks whose every face carries irises keep them (filtered with the landmarks).
        var withIrises = frames.SelectMany(fr => fr.Faces).GroupBy(face => face.TrackId)
            .Where(g => g.All(face => face.Irises is { Length: FaceRecord.IrisPointCount }))
            .Select(g => g.Key).ToHashSet();

        // Per track: filtered landmarks (and irises), pose and pose-free landmarks, in frame order.
        var perTrack = new Dictionary<int, List<(int Frame, int Face, Vec3[] Landmarks, Vec3[]? Irises, FaceGeometry Geometry)>>();
        var filters = new Dictionary<int, LandmarkFilter>();
        for (var f = 0; f < frames.Count; f++)
        {
            for (var i = 0; i < frames[f].Faces.Count; i++)
            {
                var face = frames[f].Faces[i];
                if (!filters.TryGetValue(face.TrackId, out var filter))
                {
                    filters[face.TrackId] = filter = new LandmarkFilter(filterOptions);
                    perTrack[face.TrackId] = [];
                }

                var points = withIrises.Contains(face.TrackId) ? face.Landmarks.Concat(face.Irises!) : face.Landmarks;
                var filtered = filter.Filter(points.Select(p => new Vec3(p[0], p[1], p[2])).ToArray(), frames[f].Time);
                var count = face.Landmarks.Length;
                var smoothed = filtered.Length == count ? filtered : filtered[..count];
                var irises = filtered.Length == count ? null : filtered[count..];
                perTrack[face.TrackId].Add((f, i, smoothed, irises, geometry.Estimate(smoothed, width, height)));
            }
        }

        var output = frames.Select(fr => fr.Faces.ToArray()).ToArray();
        foreach (var (_, track) in perTrack)
        {
            var poseFree = track.Select(t => t.Geometry.PoseFreeLandmarks).ToList();
            var named = options.NeutralFrame is { } n ? track.FindIndex(t => frames[t.Frame].Index == n) : -1;
            var neutral = named >= 0 ? NeutralEstimator.FromFrame(poseFree, named) : NeutralEstimator.Estimate(poseFree);
            foreach (var (frame, faceIndex, landmarks, irises, geo) in track)
            {
                var face = output[frame][faceIndex];
                var points = landmarks.Select(Rounded).ToArray();
                var expression = ExpressionModel.Expression(geo.PoseFreeLandmarks, neutral)
                    .Select(d => new[] { (float)Math.Round(d.X, 4), (float)Math.Round(d.Y, 4), (float)Math.Round(d.Z, 4) }).ToArray();
                output[frame][faceIndex] = face with
                {
                    Box = Bounds(landmarks.Select(p => new Landmark((float)p.X, (float)p.Y, (float)p.Z)).ToArray()),
                    Landmarks = points,
                    Pose = ToRecord(geo.Pose),
                    Expression = expression,
                    Irises = irises?.Select(Rounded).ToArray(),
                };
            }
        }

        return [.. frames.Select((fr, i) => fr with { Faces = output[i] })];
    }

    /// <summary>A filtered screen point as the records store it (pixels to 0.01).</summary>
    private static float[] Rounded(Vec3 p) => [(float)Math.Round(p.X, 2), (float)Math.Round(p.Y, 2), (float)Math.Round(p.Z, 2)];

    /// <summary>
    /// Concatenates the chunks, giving clip-wide track ids: a face on a chunk's first frame that
    /// overlaps a face on the previous chunk's last frame continues its track.
    /// </summary>
    public static List<FrameRecord> LinkTracks(IReadOnlyList<IReadOnlyList<FrameRecord>> chunks)
    {
        var result = new List<FrameRecord>();
        var nextId = 0;
        foreach (var chunk in chunks)
        {
            var map = new Dictionary<int, int>();
            var previous = result.Count > 0 ? result[^1].Faces : [];
            if (chunk.Count > 0)
            {
                foreach (var face in chunk[0].Faces)
                {
                    var match = previous
                        .Where(p => !map.ContainsValue(p.TrackId))
                        .Select(p => (p.TrackId, Iou: Iou(p.Box, face.Box)))
                        .Where(x => x.Iou > LinkIou)
                        .OrderByDescending(x => x.Iou)
                        .FirstOrDefault();
                    map[face.TrackId] = match.Iou > 0 ? match.TrackId : nextId++;
                }
            }

            foreach (var frame in chunk)
            {
                var faces = new FaceRecord[frame.Faces.Count];
                for (var i = 0; i < faces.Length; i++)
                {
                    var face = frame.Faces[i];
                    if (!map.TryGetValue(face.TrackId, out var id))
                    {
                        map[face.TrackId] = id = nextId++;
                    }

                    faces[i] = face with { TrackId = id };
                }

                result.Add(frame with { Faces = faces });
            }
        }

        return result;
    }

    public static BoxRecord Bounds(Landmark[] points)
    {
        var box = FaceRoi.Bounds(points);
        return new BoxRecord(MathF.Round(box.X, 2), MathF.Round(box.Y, 2), MathF.Round(box.Width, 2), MathF.Round(box.Height, 2));
    }

    private static float Iou(BoxRecord a, BoxRecord b)
    {
        var iw = MathF.Max(0, MathF.Min(a.X + a.Width, b.X + b.Width) - MathF.Max(a.X, b.X));
        var ih = MathF.Max(0, MathF.Min(a.Y + a.Height, b.Y + b.Height) - MathF.Max(a.Y, b.Y));
        var inter = iw * ih;
        var union = (a.Width * a.Height) + (b.Width * b.Height) - inter;
        return union <= 0 ? 0 : inter / union;
    }

    /// <summary>A head pose as the face records store it (angles in degrees, rounded).</summary>
    public static PoseRecord ToRecord(FacePose pose)
    {
        var angles = pose.Angles;
        var r = pose.Rotation;
        return new PoseRecord(
            Math.Round(angles.YawDegrees, 3),
            Math.Round(angles.PitchDegrees, 3),
            Math.Round(angles.RollDegrees, 3),
            [.. Enumerable.Range(0, 9).Select(k => Math.Round(r[k / 3, k % 3], 6))],
            [Math.Round(pose.Translation.X, 4), Math.Round(pose.Translation.Y, 4), Math.Round(pose.Translation.Z, 4)],
            Math.Round(pose.Scale, 6));
    }
}
