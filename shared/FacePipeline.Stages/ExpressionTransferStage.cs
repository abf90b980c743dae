using FacePipeline.Contracts;
using FacePipeline.Geometry;
using FacePipeline.Retarget;
using FacePipeline.Storage;

namespace FacePipeline.Stages;

/// <summary>
/// The expression-transfer stage of a retarget job: loads both clips' face records, plans the
/// result frame by frame (<see cref="RetargetPlanner"/>: timing, lost faces, deformation transfer,
/// head pose, destination meshes) and writes the transfer document.
/// </summary>
public sealed class ExpressionTransferStage(MediaStore store, CanonicalFaceMesh mesh)
{
    private readonly MetricLandmarks _geometry = new(mesh);

    public async Task<ExpressionsTransferred> RunAsync(TransferExpressions command, CancellationToken cancellationToken)
    {
        var settings = command.Settings;
        var source = await ClipRecords.LoadForRetargetAsync(store, _geometry, command.Source, settings.SourceNeutralFrame, cancellationToken);
        var target = await ClipRecords.LoadForRetargetAsync(store, _geometry, command.Target, settings.TargetNeutralFrame, cancellationToken);
        var plan = new RetargetPlanner(mesh).Plan(source, target, OptionsOf(settings));
        var document = Document(command, plan);
        using (var pending = store.BeginWrite(command.TransferKey))
        {
            await using (var stream = File.Create(pending.TempPath))
            {
                await document.WriteAsync(stream, cancellationToken);
            }

            pending.Commit();
        }

        return new ExpressionsTransferred(command.JobId, command.TransferKey, plan.Frames.Count, plan.Frames.Count(f => f.Source == SourceState.Held));
    }

    /// <summary>The planner's options from the job's settings.</summary>
    public static RetargetPlanOptions OptionsOf(RetargetSettings settings) => new(
        new TransferControls(settings.Intensity, settings.MouthGain, settings.EyesGain, settings.BrowsGain),
        settings.Pose == PoseSource.Source ? PoseMode.Source : PoseMode.Target,
        settings.Timing switch
        {
            TargetTiming.Loop => ShortTargetMode.Loop,
            TargetTiming.Hold => ShortTargetMode.HoldLast,
            _ => ShortTargetMode.PingPong,
        });

    public static RetargetDocument Document(TransferExpressions command, RetargetPlan plan)
    {
        var (source, target) = (command.Source.Video, command.Target.Video);
        var rate = plan.OutputRate;
        var output = new TrackedVideo(target.Width, target.Height, rate.ToString(), plan.Frames.Count, TimingMap.OutputTime(plan.Frames.Count, rate));
        var targetFrames = new RetargetTargetFrame[plan.TargetTracked.Count];
        for (var t = 0; t < targetFrames.Length; t++)
        {
            var tracked = plan.TargetTracked[t];
            targetFrames[t] = new RetargetTargetFrame(t, Name(plan.TargetStates[t]), tracked is null ? null : Points(tracked), plan.TargetPoseFree[t] is { } poseFree ? Points(poseFree, 4) : null);
        }

        var frames = plan.Frames.Select(f => new RetargetOutputFrame(
            f.Index,
            Math.Round(TimingMap.OutputTime(f.Index, rate), 6),
            Math.Round(f.SourcePosition, 4),
            f.TargetFrame,
            Name(f.Source),
            Name(f.Target),
            f.Pose is { } pose ? FaceSequenceBuilder.ToRecord(pose) : null,
            f.Transferred is { } transferred ? Points(ExpressionModel.Expression(transferred, plan.TargetNeutral), 4) : null,
            f.Destination is { } destination ? Points(destination) : null)).ToList();
        return new RetargetDocument(
            RetargetDocument.SchemaV1,
            new RetargetInput(command.Source.FileName, VideoOf(source)),
            new RetargetInput(command.Target.FileName, VideoOf(target)),
            output,
            command.Settings,
            Points(plan.SourceNeutral, 4),
            Points(plan.TargetNeutral, 4),
            targetFrames,
            frames);
    }

    private static TrackedVideo VideoOf(VideoInfo video) =>
        new(video.Width, video.Height, $"{video.FrameRateNumerator}/{video.FrameRateDenominator}", video.FrameCount, video.DurationSeconds);

    private static string Name<T>(T value)
        where T : struct, Enum => value.ToString().ToLowerInvariant();

    private static float[][] Points(ReadOnlySpan<Vec3> points, int decimals)
    {
        var result = new float[points.Length][];
        for (var k = 0; k < points.Length; k++)
        {
            result[k] = [(float)Math.Round(points[k].X, decimals), (float)Math.Round(points[k].Y, decimals), (float)Math.Round(points[k].Z, decimals)];
        }

        return result;
    }

    private static float[][] Points(ReadOnlySpan<Point2> points)
    {
        var result = new float[points.Length][];
        for (var k = 0; k < points.Length; k++)
        {
            result[k] = [(float)Math.Round(points[k].X, 2), (float)Math.Round(points[k].Y, 2)];
        }

        return result;
    }
}
