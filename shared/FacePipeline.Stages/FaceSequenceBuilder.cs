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
    internal const float LinkIou = 0.3f;

    /// <summary>The sequence of chunks held in memory (short clips, tools); the same records as the streamed <see cref="Build(Func{IEnumerable{IEnumerable{FrameRecord}}}, int, int, FaceSequenceOptions, Action{FrameRecord}, string?)"/>.</summary>
    public List<FrameRecord> Build(IReadOnlyList<IReadOnlyList<FrameRecord>> chunks, int width, int height, FaceSequenceOptions options)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        var frames = new List<FrameRecord>();
        Build(() => chunks, width, height, options, frames.Add);
        return frames;
    }

    /// <summary>
    /// Builds the sequence from the chunks' records, writing each frame's records to <paramref name="write"/> in order,
    /// without holding the clip (issue 16): the chunks are read twice (<paramref name="chunks"/> is called once per pass,
    /// each call reading them afresh, in order), a pass links the tracks and counts them, the next filters and poses each
    /// face and spills its pose-free landmarks (exact doubles) and its record to temporary files in
    /// <paramref name="spillDirectory"/> (default: the system's temporary folder); each track's neutral is then the
    /// per-point median over its spilled faces (<see cref="PointMedian"/>, equal to <see cref="NeutralEstimator.Estimate"/>)
    /// or its face on the named frame, and a last pass over the spill adds the expressions. Memory holds a frame and a few
    /// numbers per frame, whatever the clip's length, when each chunk's frames come one at a time
    /// (<see cref="ClipRecords.StreamChunks"/>): a chunk read whole lives long enough to be promoted, and a server GC then
    /// holds hundreds of MB of such chunks before it collects them (a 36,000-frame clip peaked at 2.6 × a 1,000-frame one).
    /// </summary>
    /// <exception cref="JobInputException">The named neutral frame shows no tracked face.</exception>
    public FaceSequenceSummary Build(
        Func<IEnumerable<IEnumerable<FrameRecord>>> chunks, int width, int height, FaceSequenceOptions options, Action<FrameRecord> write, string? spillDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(write);

        // Pass 1, records only: the tracks linked across chunks, faces per track, and whether each has irises throughout.
        var tallies = new Dictionary<int, TrackTally>();
        var (frameCount, faced, neutralShown) = (0, 0, false);
        var linker = new TrackLinker();
        foreach (var chunk in chunks())
        {
            foreach (var frame in linker.Link(chunk))
            {
                frameCount++;
                faced += frame.Faces.Count > 0 ? 1 : 0;
                neutralShown |= frame.Index == options.NeutralFrame && frame.Faces.Count > 0;
                foreach (var face in frame.Faces)
                {
                    ref var tally = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(tallies, face.TrackId, out var seen);
                    tally.Faces++;
                    tally.AllIrises = (!seen || tally.AllIrises) && face.Irises is { Length: FaceRecord.IrisPointCount };
                }
            }
        }

        if (options.NeutralFrame is { } neutralFrame && !neutralShown)
        {
            throw new JobInputException(
                FailureCodes.BadSettings,
                $"The neutral frame {neutralFrame} shows no tracked face ({faced} of the clip's {frameCount} frames do): "
                + "name a frame where the face is clearly visible, or leave neutralFrame out to have the neutral estimated over the clip.");
        }

        // Pass 2: per track, filtered landmarks (and irises), pose and pose-free landmarks, in frame order; spilled.
        using var poseFree = new PointSpill(FaceLandmarker.LandmarkCount, spillDirectory);
        using var partial = new FrameSpill(spillDirectory);
        var records = tallies.Keys.ToDictionary(id => id, id => new List<int>(tallies[id].Faces));
        var named = new Dictionary<int, int>();
        var filters = new Dictionary<int, LandmarkFilter>();
        var left = tallies.ToDictionary(t => t.Key, t => t.Value.Faces);
        linker = new TrackLinker();
        var built = 0;
        foreach (var chunk in chunks())
        {
            foreach (var frame in linker.Link(chunk))
            {
                if (built++ >= frameCount)
                {
                    throw new InvalidOperationException("The chunks gave more frames on the second pass than on the first.");
                }

                var faces = new FaceRecord[frame.Faces.Count];
                for (var i = 0; i < faces.Length; i++)
                {
                    var face = frame.Faces[i];
                    if (!filters.TryGetValue(face.TrackId, out var filter))
                    {
                        filters[face.TrackId] = filter = new LandmarkFilter(filterOptions);
                    }

                    var points = tallies[face.TrackId].AllIrises ? face.Landmarks.Concat(face.Irises!) : face.Landmarks;
                    var filtered = filter.Filter(points.Select(p => new Vec3(p[0], p[1], p[2])).ToArray(), frame.Time);
                    var count = face.Landmarks.Length;
                    var smoothed = filtered.Length == count ? filtered : filtered[..count];
                    var irises = filtered.Length == count ? null : filtered[count..];
                    var geo = geometry.Estimate(smoothed, width, height);
                    var record = poseFree.Append(geo.PoseFreeLandmarks);
                    records[face.TrackId].Add(record);
                    if (frame.Index == options.NeutralFrame)
                    {
                        named.TryAdd(face.TrackId, record);
                    }

                    var (box, landmarks) = StoredPoints(smoothed);
                    faces[i] = face with
                    {
                        Box = box,
                        Landmarks = landmarks,
                        Pose = ToRecord(geo.Pose),
                        Expression = null,
                        Irises = irises?.Select(Rounded).ToArray(),
                    };
                    if (--left[face.TrackId] == 0)
                    {
                        filters.Remove(face.TrackId); // a track that has ended never comes back
                    }
                }

                partial.Write(frame with { Faces = faces });
            }
        }

        if (built != frameCount)
        {
            throw new InvalidOperationException("The chunks gave fewer frames on the second pass than on the first.");
        }

        // Pass 3, over the spill: each face's expression from its track's neutral (found when the track starts, dropped when it ends).
        var neutrals = new Dictionary<int, Vec3[]>();
        var buffer = new Vec3[FaceLandmarker.LandmarkCount];
        var next = 0;
        left = tallies.ToDictionary(t => t.Key, t => t.Value.Faces);
        partial.Rewind();
        for (var f = 0; f < frameCount; f++)
        {
            var frame = partial.Read();
            var faces = new FaceRecord[frame.Faces.Count];
            for (var i = 0; i < faces.Length; i++)
            {
                var face = frame.Faces[i];
                if (!neutrals.TryGetValue(face.TrackId, out var neutral))
                {
                    var track = records[face.TrackId];
                    neutrals[face.TrackId] = neutral = named.TryGetValue(face.TrackId, out var n)
                        ? poseFree.Read(n)
                        : PointMedian.Estimate(track.Count, poseFree.PointCount, visit => poseFree.ForEach(track, visit));
                }

                poseFree.Read(next++, buffer);
                faces[i] = face with
                {
                    Expression = ExpressionModel.Expression(buffer, neutral)
                        .Select(d => new[] { (float)Math.Round(d.X, 4), (float)Math.Round(d.Y, 4), (float)Math.Round(d.Z, 4) }).ToArray(),
                };
                if (--left[face.TrackId] == 0)
                {
                    neutrals.Remove(face.TrackId);
                }
            }

            write(frame with { Faces = faces });
        }

        return new FaceSequenceSummary(frameCount, faced, tallies.Values.Any(t => t.AllIrises));
    }

    /// <summary>
    /// A face's filtered mesh points as the records store them: the points rounded (<see cref="Rounded"/>) and their box.
    /// The one-pass overlay (<see cref="SequenceFilters"/>) draws exactly these.
    /// </summary>
    internal static (BoxRecord Box, float[][] Landmarks) StoredPoints(Vec3[] smoothed) =>
        (Bounds([.. smoothed.Select(p => new Landmark((float)p.X, (float)p.Y, (float)p.Z))]), [.. smoothed.Select(Rounded)]);

    /// <summary>A filtered screen point as the records store it (pixels to 0.01).</summary>
    private static float[] Rounded(Vec3 p) => [(float)Math.Round(p.X, 2), (float)Math.Round(p.Y, 2), (float)Math.Round(p.Z, 2)];

    /// <summary>
    /// Concatenates the chunks, giving clip-wide track ids: a face on a chunk's first frame that
    /// overlaps a face on the previous chunk's last frame continues its track.
    /// </summary>
    public static List<FrameRecord> LinkTracks(IReadOnlyList<IReadOnlyList<FrameRecord>> chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        var linker = new TrackLinker();
        return [.. chunks.SelectMany(linker.Link)];
    }

    public static BoxRecord Bounds(Landmark[] points)
    {
        var box = FaceRoi.Bounds(points);
        return new BoxRecord(MathF.Round(box.X, 2), MathF.Round(box.Y, 2), MathF.Round(box.Width, 2), MathF.Round(box.Height, 2));
    }

    internal static float Iou(BoxRecord a, BoxRecord b)
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

/// <summary>What <see cref="FaceSequenceBuilder"/> built: frames, frames with a face, and whether any track kept its irises.</summary>
public sealed record FaceSequenceSummary(int FrameCount, int FramesWithFaces, bool Irises);

/// <summary>Faces per track, and whether every one of them carries irises.</summary>
internal struct TrackTally
{
    public int Faces;
    public bool AllIrises;
}

/// <summary>
/// Links chunk after chunk into clip-wide track ids (<see cref="FaceSequenceBuilder.LinkTracks"/>): a face on a chunk's
/// first frame that overlaps a face on the previous frame (the last one linked) continues its track. Keeps only that
/// last frame's faces.
/// </summary>
internal sealed class TrackLinker
{
    private IReadOnlyList<FaceRecord> _previous = [];
    private int _nextId;

    /// <summary>The chunk's frames with clip-wide track ids, as they are reached (the chunk is read once, a frame at a time).</summary>
    public IEnumerable<FrameRecord> Link(IEnumerable<FrameRecord> chunk)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        Dictionary<int, int>? map = null;
        foreach (var frame in chunk)
        {
            if (map is null)
            {
                // The chunk's first frame: its faces continue the previous chunk's last faces they overlap.
                map = [];
                foreach (var face in frame.Faces)
                {
                    var match = _previous
                        .Where(p => !map.ContainsValue(p.TrackId))
                        .Select(p => (p.TrackId, Iou: FaceSequenceBuilder.Iou(p.Box, face.Box)))
                        .Where(x => x.Iou > FaceSequenceBuilder.LinkIou)
                        .OrderByDescending(x => x.Iou)
                        .FirstOrDefault();
                    map[face.TrackId] = match.Iou > 0 ? match.TrackId : _nextId++;
                }
            }

            var faces = new FaceRecord[frame.Faces.Count];
            for (var i = 0; i < faces.Length; i++)
            {
                var face = frame.Faces[i];
                if (!map.TryGetValue(face.TrackId, out var id))
                {
                    map[face.TrackId] = id = _nextId++;
                }

                faces[i] = face with { TrackId = id };
            }

            var linked = frame with { Faces = faces };
            _previous = faces;
            yield return linked;
        }
    }
}
