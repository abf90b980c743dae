using FacePipeline.Contracts;
using FacePipeline.Geometry;
using FacePipeline.NeuralRenderer;
using FacePipeline.Retarget;
using FacePipeline.Stages;
using FacePipeline.Storage;

namespace FacePipeline.ActorTraining;

/// <summary>Where a footage frame comes from.</summary>
/// <param name="Clip">The clip's name in its job.</param>
/// <param name="Frame">The frame's index in the clip.</param>
public readonly record struct FootageOrigin(string Clip, int Frame);

/// <summary>
/// An actor's frames ready for training: each a face-aligned crop of the footage (<see cref="ActorFootage.SpanInEyeDistances"/>
/// inter-ocular distances wide, so the pair builder's own crop and the warp's outer ring fit inside) with its tracked mesh
/// in the crop's pixels, and which frames train and which are held out.
/// </summary>
/// <param name="Frames">The frames, clip by clip, in time order.</param>
/// <param name="Origins">Clip and frame index of each of <paramref name="Frames"/>.</param>
/// <param name="Training">Indices into <paramref name="Frames"/> trained on.</param>
/// <param name="Validation">Indices into <paramref name="Frames"/> held out: the last stretch of each clip, never trained on.</param>
public sealed record ActorFootage(IReadOnlyList<ActorFrame> Frames, IReadOnlyList<FootageOrigin> Origins, IReadOnlyList<int> Training, IReadOnlyList<int> Validation)
{
    /// <summary>Side of a footage crop in inter-ocular distances: the whole head with room around it.</summary>
    public const double SpanInEyeDistances = NeuralFaceRenderer.FootageSpanInEyeDistances;

    /// <summary>
    /// Loads up to <paramref name="maxFrames"/> tracked frames of <paramref name="clips"/> (spread evenly over each clip, in
    /// proportion to its tracked frames) as <paramref name="footageSize"/>² crops. The last
    /// <paramref name="validationFraction"/> of each clip's chosen frames are held out (at least one when the clip has two or
    /// more). Memory: <paramref name="maxFrames"/> × <paramref name="footageSize"/>² × 3 bytes.
    /// </summary>
    /// <exception cref="JobInputException">No clip has a tracked face, or too few frames to hold any out.</exception>
    public static async Task<ActorFootage> LoadAsync(
        MediaStore store,
        MetricLandmarks geometry,
        IReadOnlyList<ClipTrack> clips,
        int footageSize,
        int maxFrames,
        double validationFraction,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(clips);
        ArgumentOutOfRangeException.ThrowIfLessThan(footageSize, 16);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFrames, 2);
        if (validationFraction is <= 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "The held-out share must be between 0 and 1.");
        }

        var tracked = new List<(ClipTrack Clip, List<(int Frame, Point2[] Mesh)> Faces)>();
        foreach (var clip in clips)
        {
            var faces = await ClipRecords.LoadForRetargetAsync(store, geometry, clip, null, cancellationToken);
            var list = new List<(int, Point2[])>();
            for (var f = 0; f < faces.Frames.Count; f++)
            {
                if (faces.Frames[f] is { } face)
                {
                    list.Add((f, [.. face.Screen.Select(p => new Point2(p.X, p.Y))]));
                }
            }

            tracked.Add((clip, list));
        }

        var total = tracked.Sum(t => t.Faces.Count);
        if (total < 2)
        {
            throw new JobInputException(FailureCodes.InsufficientFootage, $"The actor's clips have {total} frame(s) with a tracked face; training needs at least 2.");
        }

        var frames = new List<ActorFrame>();
        var origins = new List<FootageOrigin>();
        var training = new List<int>();
        var validation = new List<int>();
        foreach (var (clip, faces) in tracked)
        {
            var share = Math.Min(faces.Count, Math.Max(faces.Count == 0 ? 0 : 1, (int)Math.Round((double)maxFrames * faces.Count / total)));
            if (share == 0)
            {
                continue;
            }

            var held = share < 2 ? 0 : Math.Max(1, (int)Math.Round(share * validationFraction));
            using var reader = new ClipFrameReader(store, clip);
            var pixels = new byte[reader.FrameBytes];
            for (var k = 0; k < share; k++)
            {
                var (frame, mesh) = faces[share == 1 ? 0 : (int)Math.Round((double)k * (faces.Count - 1) / (share - 1))];
                await reader.ReadAsync(frame, pixels, cancellationToken);
                var crop = FaceCrop.Of(mesh, footageSize, SpanInEyeDistances); // as NeuralFaceRenderer.FootageCrop cuts it at render time
                var rgb = new byte[footageSize * footageSize * 3];
                crop.Resample(pixels, reader.Width, reader.Height, rgb);
                var local = new Point2[mesh.Length];
                crop.ToCrop(mesh, local);
                (k >= share - held ? validation : training).Add(frames.Count);
                frames.Add(new ActorFrame(rgb, footageSize, footageSize, local));
                origins.Add(new FootageOrigin(clip.Clip, frame));
            }
        }

        if (training.Count == 0 || validation.Count == 0)
        {
            throw new JobInputException(FailureCodes.InsufficientFootage, $"Too little footage to train and hold frames out ({frames.Count} usable frames); upload a longer clip.");
        }

        return new ActorFootage(frames, origins, training, validation);
    }
}
