using FacePipeline.Geometry;
using FacePipeline.Morphable;
using FacePipeline.Stages;

namespace FacePipeline.Rendering;

/// <summary>
/// Track jobs' blendshape curves with the ICT-FaceKit model (FacePipeline.Morphable): loaded once,
/// on the first track job, from the models folder (<see cref="ModelPaths.IctFaceModel"/>). Without
/// the model (or with one that cannot be read) the jobs still complete, without curves (logged once).
/// Clips tracked with the refined landmark model (irises in the records) get their gaze measured
/// (<see cref="GazeEstimator"/>): the eyeLook curves.
/// </summary>
public sealed class IctTrackCurvesWriter(ModelPaths models, CanonicalFaceMesh canonical, ILogger<IctTrackCurvesWriter> logger) : ITrackCurvesWriter
{
    private readonly Lazy<BlendshapeFitter?> _fitter = new(() =>
    {
        var (fitter, problem, error) = BlendshapeFitter.TryLoad(models.IctFaceModel, canonical);
        if (fitter is null)
        {
            logger.LogWarning(error, "{Problem}: jobs get no blendshape curves.", problem);
            return null;
        }

        logger.LogInformation(
            "ICT-FaceKit model loaded from {Folder}; correspondence residual {Residual:F3} cm (interior landmarks, mean)",
            models.IctFaceModel,
            fitter.Correspondence.Residual.InteriorLandmarkMeanCm);
        return fitter;
    });

    private readonly MetricLandmarks _metric = new(canonical);

    public bool TryWrite(TrackCurvesInput input, Stream csv, Stream json)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (_fitter.Value is not { } fitter)
        {
            return false;
        }

        var animation = BlendshapeAnimation.FromScreenLandmarks(
            fitter,
            _metric,
            input.Landmarks,
            input.Width,
            input.Height,
            new RationalFrameRate(input.FrameRateNumerator, input.FrameRateDenominator),
            input.Times,
            input.NeutralFrame,
            input.Irises);
        Write(animation, input.SourceName, input.StartTimecode, csv, json);
        return true;
    }

    public bool TryWriteTransferred(TransferredCurvesInput input, Stream csv, Stream json)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (_fitter.Value is not { } fitter)
        {
            return false;
        }

        var faces = input.Faces.Select((face, i) => face is { } f && input.Poses[i] is { } pose ? new PoseFreeFace(f, pose) : null).ToList();

        // The performer's gaze, where the seam carries it (the source frame's 468 landmarks and irises per output frame).
        var gaze = input.PerformerEyes?.Select(eyes => eyes is { Length: GazeEstimator.RefinedPointCount } e ? GazeEstimator.Estimate(e) : (FaceGaze?)null).ToList();
        var animation = BlendshapeAnimation.CreateWithNeutral(
            fitter, faces, new RationalFrameRate(input.FrameRateNumerator, input.FrameRateDenominator), input.Times, input.Neutral, gaze);
        Write(animation, input.SourceName, input.StartTimecode, csv, json);
        return true;
    }

    /// <summary>The curves fitted and written frame by frame from the clip's main face (issue 16: memory flat in length).</summary>
    public bool TryWrite(TrackCurvesSource source, Stream csv, Stream json)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (_fitter.Value is not { } fitter)
        {
            return false;
        }

        using var writer = new StreamWriter(csv, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true);
        BlendshapeCurvesStream.FromScreenLandmarks(
            fitter,
            _metric,
            source.FrameCount,
            source.Frames.Select(f => new ScreenFaceFrame(f.Time, f.Landmarks, source.HasIrises ? f.Irises : null)),
            source.Width,
            source.Height,
            new RationalFrameRate(source.FrameRateNumerator, source.FrameRateDenominator),
            source.NeutralFrame,
            writer,
            json,
            source.SourceName,
            spillDirectory: SpillDirectory(json),
            startTimecode: source.StartTimecode);
        return true;
    }

    /// <summary>A retarget's curves fitted and written output frame by output frame (issue 16).</summary>
    public bool TryWriteTransferred(TransferredCurvesSource source, Stream csv, Stream json)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (_fitter.Value is not { } fitter)
        {
            return false;
        }

        using var writer = new StreamWriter(csv, new System.Text.UTF8Encoding(false), 1 << 16, leaveOpen: true);
        BlendshapeCurvesStream.WithNeutral(
            fitter,
            source.FrameCount,
            source.Frames.Select(f => new PoseFreeFaceFrame(
                f.Time,
                f.Face is { } face && f.Pose is { } pose ? new PoseFreeFace(face, pose) : null,
                f.Face is not null && f.Pose is not null && source.HasEyes && f.PerformerEyes is { Length: GazeEstimator.RefinedPointCount } eyes ? GazeEstimator.Estimate(eyes) : null)),
            new RationalFrameRate(source.FrameRateNumerator, source.FrameRateDenominator),
            source.Neutral,
            writer,
            json,
            source.SourceName,
            startTimecode: source.StartTimecode);
        return true;
    }

    /// <summary>The temporary files of a fit go beside the output being written (the media store's volume), when it is a file.</summary>
    private static string? SpillDirectory(Stream output) => output is FileStream file ? Path.GetDirectoryName(file.Name) : null;

    private static void Write(BlendshapeAnimation animation, string sourceName, Media.Timecode? start, Stream csv, Stream json)
    {
        using (var writer = new StreamWriter(csv, new System.Text.UTF8Encoding(false), leaveOpen: true))
        {
            LiveLinkFaceCsv.Write(writer, animation, start);
        }

        BlendshapeCurvesJson.Write(json, animation, sourceName, start: start);
    }
}
