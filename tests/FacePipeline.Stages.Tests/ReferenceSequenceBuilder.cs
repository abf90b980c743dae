using FacePipeline.Contracts;
using FacePipeline.Face;
using FacePipeline.Geometry;

namespace FacePipeline.Stages.Tests;

/// <summary>
/// The sequence builder as it was before issue 16 (every frame of the clip held, the neutral the sorted per-point median
/// of the track's faces in memory), kept as the reference the streamed <see cref="FaceSequenceBuilder"/> must match to the bit.
/// </summary>
internal sealed class ReferenceSequenceBuilder(MetricLandmarks geometry, LandmarkFilterOptions? filterOptions = null)
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
                    Box = FaceSequenceBuilder.Bounds(landmarks.Select(p => new Landmark((float)p.X, (float)p.Y, (float)p.Z)).ToArray()),
                    Landmarks = points,
                    Pose = FaceSequenceBuilder.ToRecord(geo.Pose),
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

    private static float Iou(BoxRecord a, BoxRecord b)
    {
        var iw = MathF.Max(0, MathF.Min(a.X + a.Width, b.X + b.Width) - MathF.Max(a.X, b.X));
        var ih = MathF.Max(0, MathF.Min(a.Y + a.Height, b.Y + b.Height) - MathF.Max(a.Y, b.Y));
        var inter = iw * ih;
        var union = (a.Width * a.Height) + (b.Width * b.Height) - inter;
        return union <= 0 ? 0 : inter / union;
    }
}
