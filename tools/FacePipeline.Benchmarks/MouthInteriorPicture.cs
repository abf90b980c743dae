using System.Globalization;
using FacePipeline.Contracts;
using FacePipeline.Face;
using FacePipeline.Geometry;
using FacePipeline.Media;
using FacePipeline.Retarget;
using FacePipeline.Stages;
using FacePipeline.Storage;

namespace FacePipeline.Benchmarks;

/// <summary>
/// The mouth interior's before/after picture (issue 13): a performer who shows the teeth onto an actor whose footage never
/// opens the mouth (a still made into a 3 s clip, or a clip's resting first 0.32 s played forward and back), rendered by the warp alone (lip texture stretched over the opening) and with <see cref="MouthInterior"/>;
/// the output frame with the widest wanted opening, the mouth region of the performer, before and after side by side,
/// enlarged. Prints the wanted opening, the source's, and how dark the opening's centre is in each.
/// </summary>
internal static class MouthInteriorPicture
{
    public static async Task<string> RunAsync(string media, string performerFile, string actorFile, string output, string workParent, CancellationToken ct)
    {
        var scratch = BenchPaths.CreateScratch(workParent, "mouth-interior");
        try
        {
            var models = BenchModels.Load();
            using var detector = new BlazeFaceDetector(models.FaceDetector);
            using var landmarker = new FaceLandmarker(models.FaceLandmarks);
            var mesh = CanonicalFaceMesh.Load(models.FaceGeometry);
            var rig = new RetargetRig(new MediaStore(scratch), detector, landmarker, mesh);

            var actorClip = Path.Combine(scratch, "actor.mp4");
            var actorInput = Path.Combine(media, actorFile);
            IReadOnlyList<string> make = Path.GetExtension(actorFile).ToLowerInvariant() is ".png" or ".jpg" or ".jpeg"
                ? ["-v", "error", "-y", "-loop", "1", "-t", "3", "-i", actorInput, "-vf", "scale=trunc(iw/4)*2:trunc(ih/4)*2", "-r", "25", "-c:v", "libx264", "-preset", "veryfast", "-crf", "12", "-pix_fmt", "yuv420p", actorClip]
                : ["-v", "error", "-y", "-i", actorInput, "-filter_complex",
                    "[0:v]trim=start_frame=0:end_frame=8,setpts=PTS-STARTPTS,split[f][b];[b]reverse[r];[f][r]concat=n=2:v=1,loop=loop=4:size=16:start=0,setpts=N/25/TB[out]",
                    "-map", "[out]", "-an", "-r", "25", "-c:v", "libx264", "-preset", "veryfast", "-crf", "12", "-pix_fmt", "yuv420p", actorClip];
            await BenchClip.RunFfmpegAsync(make, ct);
            var performer = await rig.TrackAsync(Path.Combine(media, performerFile), "performer", ct);
            var actor = await rig.TrackAsync(actorClip, "actor", ct);
            performer = performer with { Faces = ExpressionTransferStage.WithNeutral(performer.Faces, NeutralMode.Resting) };
            actor = actor with { Faces = ExpressionTransferStage.WithNeutral(actor.Faces, NeutralMode.Resting) };

            var (plan, before, _) = await rig.RetargetAsync(performer, actor, RetargetPlanOptions.Default, RetargetSettings.Default, ct, warp: new WarpRendererOptions { PaintMouthInterior = false });
            var (_, after, _) = await rig.RetargetAsync(performer, actor, RetargetPlanOptions.Default, RetargetSettings.Default, ct);
            var widest = Enumerable.Range(0, plan.Frames.Count).Where(k => plan.Frames[k].Destination is not null)
                .MaxBy(k => MouthInterior.Opening(plan.Frames[k].Destination!));
            var frame = plan.Frames[widest];
            var destination = frame.Destination!;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"performer openings: max {performer.Faces.Frames.Where(f => f is not null).Max(f => MouthInterior.Opening([.. f!.Screen.Select(p => new Point2(p.X, p.Y))])):F3}; tracked actor frames {actor.Faces.Frames.Count(f => f is not null)} of {actor.Faces.Frames.Count}; driven {plan.Frames.Count(f => f.Destination is not null)}"));
            var actorOpening = actor.Faces.Frames.Where(f => f is not null).Max(f => MouthInterior.Opening([.. f!.Screen.Select(p => new Point2(p.X, p.Y))]));

            // The performer's frame at that moment, from its own extraction.
            var (sw, sh) = (performer.Clip.Video.Width, performer.Clip.Video.Height);
            using var sourceReader = new ClipFrameReader(new MediaStore(scratch), performer.Clip);
            var sourcePixels = new byte[sourceReader.FrameBytes];
            var sourceIndex = Math.Clamp((int)Math.Round(frame.SourcePosition), 0, sourceReader.FrameCount - 1);
            await sourceReader.ReadAsync(sourceIndex, sourcePixels, ct);
            var sourceMesh = performer.Faces.Frames[sourceIndex]!.Screen.Select(p => new Point2(p.X, p.Y)).ToArray();

            var (tw, th) = (actor.Clip.Video.Width, actor.Clip.Video.Height);
            const int panel = 240;
            var picture = new byte[3 * panel * panel * 3];
            Panel(sourcePixels, sw, sh, sourceMesh, picture, 0, panel);
            Panel(before[widest], tw, th, destination, picture, 1, panel);
            Panel(after[widest], tw, th, destination, picture, 2, panel);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
            await StillImageWriter.WriteAsync(picture, 3 * panel, panel, output, ct);

            var centre = new Point2((destination[13].X + destination[14].X) / 2, (destination[13].Y + destination[14].Y) / 2);
            return string.Join('\n',
                $"### Mouth interior: {performerFile} onto {actorFile}, whose footage never opens the mouth",
                "",
                $"Command: `{Md.Command(["mouth-interior", "--media", BenchArgs.PathArg(media), "--performer", performerFile, "--actor", actorFile, "--out", output])}`",
                "",
                string.Create(CultureInfo.InvariantCulture, $"Output frame {widest} of {plan.Frames.Count}: wanted opening {MouthInterior.Opening(destination):F3} IOD; the widest opening anywhere in the actor's footage {actorOpening:F3} IOD."),
                string.Create(CultureInfo.InvariantCulture, $"Luma at the opening's centre: warp only {Luma(before[widest], tw, centre):F0}, with the interior {Luma(after[widest], tw, centre):F0} (the lips around it: {Luma(after[widest], tw, new Point2(destination[0].X, destination[0].Y)):F0})."),
                $"Picture: `{output}` (performer | warp only | with the mouth interior; the mouth region, enlarged).",
                "") + "\n";
        }
        finally
        {
            BenchPaths.DeleteQuietly(scratch);
        }
    }

    /// <summary>The square around the mouth and nose (1.6 inter-ocular distances wide), scaled into one panel of the picture.</summary>
    private static void Panel(ReadOnlySpan<byte> frame, int width, int height, Point2[] mesh, byte[] picture, int index, int panel)
    {
        var iod = ClosedLoopCorrection.InterOcular(mesh);
        var (cx, cy) = ((mesh[13].X + mesh[14].X) / 2, ((mesh[13].Y + mesh[14].Y) / 2) - (0.25 * iod));
        var side = 1.6 * iod;
        for (var y = 0; y < panel; y++)
        {
            for (var x = 0; x < panel; x++)
            {
                var sx = Math.Clamp((int)Math.Round(cx - (side / 2) + (side * (x + 0.5) / panel)), 0, width - 1);
                var sy = Math.Clamp((int)Math.Round(cy - (side / 2) + (side * (y + 0.5) / panel)), 0, height - 1);
                var s = ((sy * width) + sx) * 3;
                var d = ((y * 3 * panel) + (index * panel) + x) * 3;
                (picture[d], picture[d + 1], picture[d + 2]) = (frame[s], frame[s + 1], frame[s + 2]);
            }
        }
    }

    private static double Luma(byte[] frame, int width, Point2 p)
    {
        var k = ((((int)Math.Round(p.Y)) * width) + (int)Math.Round(p.X)) * 3;
        return (0.299 * frame[k]) + (0.587 * frame[k + 1]) + (0.114 * frame[k + 2]);
    }
}
