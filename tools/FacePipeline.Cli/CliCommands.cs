using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FacePipeline.Cli.Progress;
using FacePipeline.Cli.Uploads;
using FacePipeline.Geometry;
using FacePipeline.Morphable;
using FacePipeline.Persistence;
using FacePipeline.Stages;
using Microsoft.EntityFrameworkCore;
using Spectre.Console;

namespace FacePipeline.Cli;

/// <summary>The facepipe commands. Each one is a few lines over <see cref="JobsClient"/> or a local stage.</summary>
public static class CliCommands
{
    private static readonly Option<string> Api = new("--api")
    {
        Description = "Ingest API base URL (env FACEPIPE_API).",
        Recursive = true,
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("FACEPIPE_API") ?? "http://127.0.0.1:8080",
    };

    /// <summary>
    /// The studio's API key. It has no default value on purpose: help would print a default, and with it the key from
    /// the environment, into terminals and screenshots. <see cref="ApiKey"/> falls back to the environment instead.
    /// </summary>
    private static readonly Option<string?> Key = new("--key")
    {
        Description = $"Your studio's API key; without it, the environment variable {ApiKeyVariable} (never printed).",
        Recursive = true,
    };

    private static readonly Option<ProgressStyle> ProgressOption = new("--progress")
    {
        Description = "How waiting shows progress: 'bars' (one live bar per stage), 'lines' (plain lines, for logs) or 'auto' (bars on a terminal, lines otherwise).",
        Recursive = true,
        DefaultValueFactory = _ => ProgressStyle.Auto,
    };

    private static readonly Option<double?> PollSeconds = new("--poll-seconds")
    {
        Description = "How often waiting asks the service for news, in seconds (default 0.5 for a job, 2 for a batch).",
        Recursive = true,
    };

    private static readonly Option<bool> Resumable = new("--resumable")
    {
        Description = $"Send the footage as a resumable upload (tus) even when it is under {JobInputs.ResumableFromBytes / (1024 * 1024)} MiB; larger files always are. A run stopped mid-upload goes on from where it was when run again.",
    };

    private static readonly Option<int?> ChunkMiB = new("--chunk-mib")
    {
        Description = "Resumable uploads: the piece sent per request, in MiB (default 8; smaller loses less to a drop).",
        Recursive = true,
    };

    public const string ApiKeyVariable = "FACEPIPE_API_KEY";

    /// <summary>The whole command line: every command and the options they share.</summary>
    public static RootCommand Root()
    {
        var root = new RootCommand("facepipe: submit footage to FacePipeline, follow jobs, download results, and analyse files locally.");
        AddTo(root);
        return root;
    }

    public static void AddTo(RootCommand root)
    {
        root.Options.Add(Api);
        root.Options.Add(Key);
        root.Options.Add(ProgressOption);
        root.Options.Add(PollSeconds);
        root.Options.Add(ChunkMiB);
        root.Subcommands.Add(Upload());
        root.Subcommands.Add(Submit());
        root.Subcommands.Add(Retarget());
        root.Subcommands.Add(Actor());
        root.Subcommands.Add(Status());
        root.Subcommands.Add(List());
        root.Subcommands.Add(Wait());
        root.Subcommands.Add(Download());
        root.Subcommands.Add(Cancel());
        root.Subcommands.Add(Delete());
        root.Subcommands.Add(Open());
        root.Subcommands.Add(BatchCommands.Batch());
        root.Subcommands.Add(Tenant());
        root.Subcommands.Add(WebhookCommands.Webhook());
        root.Subcommands.Add(WebhookCommands.Events());
        root.Subcommands.Add(Analyze());
        root.Subcommands.Add(Mesh());
    }

    private static Command Upload()
    {
        var file = new Argument<FileInfo>("file") { Description = "The footage to upload." };
        var command = new Command("upload", "Upload a file resumably (tus, docs/uploads.md) and print its reference, upload:<id>, to name in jobs and batch manifests. Run the same command again after a drop: it goes on from the server's offset.") { file };
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(file)!;
            if (!path.Exists)
            {
                throw new CliException($"No such file: {path.FullName}");
            }

            using var client = Client(parse);
            await JobInputs.UploadAsync(parse, client, path, ct);
            return 0;
        });
        return command;
    }

    private static Command Submit()
    {
        var clip = new Argument<string>("clip") { Description = "The footage to process: a file, or upload:<id> (an upload already made)." };
        var kind = new Option<string>("--kind") { Description = "Job kind.", DefaultValueFactory = _ => "track" };
        var chunk = new Option<int?>("--chunk-size") { Description = "Frames per chunk (default: the server's)." };
        var maxFaces = new Option<int?>("--max-faces") { Description = "Faces to track at most, the largest first (default 1)." };
        var neutral = new Option<int?>("--neutral-frame") { Description = "A frame showing the actor's neutral face (default: estimated over the clip)." };
        var facePoint = new Option<string?>("--face-point") { Description = "Follow the face nearest this point, 'x,y' in pixels of the upright frame (default: the largest face)." };
        var wait = new Option<bool>("--wait") { Description = "Wait for the job, showing progress, then download its outputs." };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Where --wait puts the outputs (default ./facepipe-out/<job id>)." };
        var command = new Command("submit", "Submit a clip as a new job.") { clip, kind, chunk, maxFaces, neutral, facePoint, Resumable, wait, output };
        command.SetAction(async (parse, ct) =>
        {
            using var client = Client(parse);
            var (files, references) = await JobInputs.PrepareAsync(parse, client, [("clip", parse.GetValue(clip)!)], parse.GetValue(Resumable), ct);
            var options = new Dictionary<string, string?>(references)
            {
                ["chunkSize"] = Text(parse.GetValue(chunk)),
                ["maxFaces"] = Text(parse.GetValue(maxFaces)),
                ["neutralFrame"] = Text(parse.GetValue(neutral)),
                ["facePoint"] = parse.GetValue(facePoint),
            };
            var job = await client.SubmitAsync(files, parse.GetValue(kind)!, options, ct);
            Console.WriteLine($"job {job.Id} submitted ({InputName(parse.GetValue(clip)!)})");
            return parse.GetValue(wait) ? await WaitAndDownload(parse, client, job.Id, parse.GetValue(output), ct) : 0;
        });
        return command;
    }

    private static Command Retarget()
    {
        var source = new Argument<string>("source") { Description = "The performer's clip: whose expressions and audio are used (a file, or upload:<id>)." };
        var target = new Argument<string?>("target") { Description = "The actor's clip: whose footage is rendered (a file, or upload:<id>; omit with --actor).", Arity = ArgumentArity.ZeroOrOne };
        var actor = new Option<Guid?>("--actor") { Description = "Retarget onto a trained actor instead of a target clip: the actor's footage, rendered by its neural renderer." };
        var modelVersion = new Option<int?>("--model-version") { Description = "With --actor: the model version (default: the latest ready one)." };
        var intensity = new Option<double?>("--intensity") { Description = "Expression intensity, 0 to 3 (default 1)." };
        var mouth = new Option<double?>("--mouth-gain") { Description = "Gain of the mouth and jaw, 0 to 3 (default 1)." };
        var eyes = new Option<double?>("--eyes-gain") { Description = "Gain of the eyes and lids, 0 to 3 (default 1)." };
        var brows = new Option<double?>("--brows-gain") { Description = "Gain of the brows, 0 to 3 (default 1)." };
        var pose = new Option<string?>("--pose") { Description = "Head pose from the 'target' footage (default) or the 'source'." };
        var timing = new Option<string?>("--timing") { Description = "A target shorter than the source: 'pingpong' (default), 'loop' or 'hold'." };
        var space = new Option<string?>("--space") { Description = "How the expression is transferred: 'mesh' (default: deformation transfer on the 468 points) or 'blendshapes' (the source's ARKit weights on the target's ICT-FaceKit identity; the server needs that model)." };
        var proRes = new Option<bool>("--prores") { Description = "Also write the result as ProRes 422 HQ (result.mov)." };
        var proRes4444 = new Option<bool>("--prores4444") { Description = "Also write the result as ProRes 4444 with the matte as its alpha (result_4444.mov)." };
        var dnxhr = new Option<bool>("--dnxhr") { Description = "Also write the result as Avid DNxHR HQ (result_dnxhr.mov)." };
        var noMatte = new Option<bool>("--no-matte") { Description = "Skip matte.mov, the soft matte of the region the retarget changed (written by default; docs/outputs.md)." };
        var neutral = new Option<string?>("--neutral") { Description = "Each actor's neutral where no frame is named: 'resting' (default: the frames with the least expression, so a held smile is not taken for rest) or 'first' (the clip's first frame with a face)." };
        var sourceNeutral = new Option<int?>("--source-neutral-frame") { Description = "A source frame showing the performer's neutral face (default: estimated)." };
        var targetNeutral = new Option<int?>("--target-neutral-frame") { Description = "A target frame showing the actor's neutral face (default: estimated)." };
        var chunk = new Option<int?>("--chunk-size") { Description = "Frames per chunk (default: the server's)." };
        var noWait = new Option<bool>("--no-wait") { Description = "Submit and print the job id without waiting." };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Where the result, the review clip and transfer.json go (default ./facepipe-out/<job id>)." };
        var command = new Command("retarget", "The target actor performs the source's expressions: submit, wait with progress, download the result and the review clip.")
        {
            source, target, actor, modelVersion, intensity, mouth, eyes, brows, pose, timing, space, proRes, proRes4444, dnxhr, noMatte, neutral, sourceNeutral, targetNeutral, chunk, Resumable, noWait, output,
        };
        command.SetAction(async (parse, ct) =>
        {
            var onto = parse.GetValue(actor);
            if ((onto is null) == (parse.GetValue(target) is null))
            {
                throw new CliException("Give either a target clip or --actor <id>.");
            }

            using var client = Client(parse);
            var inputs = new[] { ("source", parse.GetValue(source)), ("target", parse.GetValue(target)) }.Where(i => i.Item2 is not null).Select(i => (i.Item1, i.Item2!));
            var (files, references) = await JobInputs.PrepareAsync(parse, client, inputs, parse.GetValue(Resumable), ct);
            var options = new Dictionary<string, string?>(references)
            {
                ["intensity"] = Text(parse.GetValue(intensity)),
                ["mouthGain"] = Text(parse.GetValue(mouth)),
                ["eyesGain"] = Text(parse.GetValue(eyes)),
                ["browsGain"] = Text(parse.GetValue(brows)),
                ["pose"] = parse.GetValue(pose),
                ["timing"] = parse.GetValue(timing),
                ["space"] = parse.GetValue(space),
                ["prores"] = parse.GetValue(proRes) ? "true" : null,
                ["prores4444"] = parse.GetValue(proRes4444) ? "true" : null,
                ["dnxhr"] = parse.GetValue(dnxhr) ? "true" : null,
                ["matte"] = parse.GetValue(noMatte) ? "false" : null,
                ["neutral"] = parse.GetValue(neutral),
                ["sourceNeutralFrame"] = Text(parse.GetValue(sourceNeutral)),
                ["targetNeutralFrame"] = Text(parse.GetValue(targetNeutral)),
                ["chunkSize"] = Text(parse.GetValue(chunk)),
                ["actor"] = onto?.ToString(),
                ["modelVersion"] = Text(parse.GetValue(modelVersion)),
            };
            var job = await client.SubmitAsync(files, "retarget", options, ct);
            Console.WriteLine($"job {job.Id} submitted ({InputName(parse.GetValue(source)!)} onto {(onto is { } a ? $"actor {a}" : InputName(parse.GetValue(target)!))})");
            return parse.GetValue(noWait) ? 0 : await WaitAndDownload(parse, client, job.Id, parse.GetValue(output), ct);
        });
        return command;
    }

    private static Command Actor()
    {
        var name = new Argument<string>("name") { Description = "The actor's name." };
        var clips = new Argument<FileInfo[]>("clips") { Description = "One to eight clips of the actor.", Arity = new ArgumentArity(1, 8) };
        var cropSize = new Option<int?>("--crop-size") { Description = "Face crop the renderer works on: 64 to 512, a multiple of 32 (default 128)." };
        var maxSteps = new Option<int?>("--max-steps") { Description = "Training steps at most (default 2000)." };
        var maxMinutes = new Option<double?>("--max-minutes") { Description = "Wall-time budget of the training (default: steps only)." };
        var batch = new Option<int?>("--batch-size") { Description = "Pairs per step (default 4)." };
        var wait = new Option<bool>("--wait") { Description = "Wait for the training with progress, then download the generator and the preview." };
        var output = new Option<DirectoryInfo?>("--out") { Description = "Where --wait puts generator.onnx and preview.png." };
        Dictionary<string, string?> Fields(ParseResult parse) => new()
        {
            ["cropSize"] = Text(parse.GetValue(cropSize)),
            ["maxSteps"] = Text(parse.GetValue(maxSteps)),
            ["maxMinutes"] = Text(parse.GetValue(maxMinutes)),
            ["batchSize"] = Text(parse.GetValue(batch)),
        };

        async Task<int> Train(ParseResult parse, Guid? actorId, Dictionary<string, string?> fields, CancellationToken ct)
        {
            var paths = parse.GetValue(clips)!.Select(f => f.Exists ? f.FullName : throw new CliException($"No such file: {f.FullName}")).ToList();
            using var client = Client(parse);
            var started = await client.TrainActorAsync(actorId, paths, fields, ct);
            Console.WriteLine($"actor {started.ActorId}: training model version {started.Version} (job {started.JobId})");
            return parse.GetValue(wait) ? await WaitAndDownload(parse, client, started.JobId, parse.GetValue(output), ct) : 0;
        }

        var create = new Command("create", "Create an actor from clips of that person and train its neural renderer (version 1).") { name, clips, cropSize, maxSteps, maxMinutes, batch, wait, output };
        create.SetAction((parse, ct) => Train(parse, null, new Dictionary<string, string?>(Fields(parse)) { ["name"] = parse.GetValue(name) }, ct));

        var id = new Argument<Guid>("id") { Description = "The actor's id." };
        var train = new Command("train", "Train the actor's next model version on new clips.") { id, clips, cropSize, maxSteps, maxMinutes, batch, wait, output };
        train.SetAction((parse, ct) => Train(parse, parse.GetValue(id), Fields(parse), ct));

        var show = new Command("show", "An actor's model versions: state, progress, held-out quality against the warp renderer.") { id };
        show.SetAction(async (parse, ct) =>
        {
            using var client = Client(parse);
            Console.WriteLine(JsonSerializer.Serialize(await client.GetActorAsync(parse.GetValue(id), ct), new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
            return 0;
        });

        var list = new Command("list", "Your actors.");
        list.SetAction(async (parse, ct) =>
        {
            using var client = Client(parse);
            foreach (var a in (await client.ListActorsAsync(ct)).EnumerateArray())
            {
                var latest = a.GetProperty("latestReadyVersion");
                Console.WriteLine($"{a.GetProperty("id").GetString()}  {a.GetProperty("name").GetString()}  models: {a.GetProperty("models").GetArrayLength()}  latest ready: {(latest.ValueKind == JsonValueKind.Null ? "none" : latest.GetInt32())}");
            }

            return 0;
        });

        var delete = new Command("delete", "Delete an actor now: cancels its running training, removes its footage (its training jobs), its models and their records; retarget jobs rendered onto it keep their outputs. Cannot be undone.") { id };
        delete.SetAction(async (parse, ct) =>
        {
            using var client = Client(parse);
            PrintDeletion(await client.DeleteActorAsync(parse.GetValue(id), ct));
            return 0;
        });

        return new Command("actor", "Actors and their neural renderers.") { create, train, show, list, delete };
    }

    private static Command Status()
    {
        var id = new Argument<Guid>("job-id");
        var command = new Command("status", "Show a job's state and progress.") { id };
        command.SetAction(async (parse, ct) =>
        {
            using var client = Client(parse);
            var job = await client.GetAsync(parse.GetValue(id), ct);
            Console.WriteLine(ProgressLine(job));
            if (job.Failure is { } failure)
            {
                Console.WriteLine($"failed in {failure.Stage} ({failure.Code}): {failure.Reason}");
            }

            if (job.MediaDeletedAt is { } deleted)
            {
                Console.WriteLine($"inputs and outputs deleted on {deleted:u} (retention, docs/retention.md)");
                return 0;
            }

            foreach (var output in job.Outputs)
            {
                Console.WriteLine($"output {output.Name}: {output.Url}");
            }

            if (job.MediaKeptUntil is { } until)
            {
                Console.WriteLine($"inputs and outputs kept until {until:u}");
            }

            return 0;
        });
        return command;
    }

    private static Command List()
    {
        var page = new Option<int>("--page") { DefaultValueFactory = _ => 1 };
        var command = new Command("list", "List your jobs, newest first.") { page };
        command.SetAction(async (parse, ct) =>
        {
            using var client = Client(parse);
            var jobs = await client.ListAsync(parse.GetValue(page), 20, ct);
            foreach (var job in jobs.Items)
            {
                Console.WriteLine($"{job.Id}  {job.CreatedAt:u}  {job.Kind,-8} {job.State,-14} {job.InputFileName}");
            }

            Console.WriteLine($"page {jobs.Page}, {jobs.Items.Count} of {jobs.Total} jobs");
            return 0;
        });
        return command;
    }

    private static Command Wait()
    {
        var id = new Argument<Guid>("job-id");
        var output = new Option<DirectoryInfo?>("--out") { Description = "Where to put the outputs." };
        var command = new Command("wait", "Wait for a job with a progress display, then download its outputs.") { id, output };
        command.SetAction(async (parse, ct) =>
        {
            using var client = Client(parse);
            return await WaitAndDownload(parse, client, parse.GetValue(id), parse.GetValue(output), ct);
        });
        return command;
    }

    private static Command Download()
    {
        var id = new Argument<Guid>("job-id");
        var output = new Option<DirectoryInfo?>("--out") { Description = "Where to put the outputs." };
        var command = new Command("download", "Download a completed job's outputs.") { id, output };
        command.SetAction(async (parse, ct) =>
        {
            using var client = Client(parse);
            var job = await client.GetAsync(parse.GetValue(id), ct);
            await DownloadOutputs(client, job, parse.GetValue(output), ct);
            return 0;
        });
        return command;
    }

    private static Command Cancel()
    {
        var id = new Argument<Guid>("job-id");
        var command = new Command("cancel", "Cancel a running job.") { id };
        command.SetAction(async (parse, ct) =>
        {
            using var client = Client(parse);
            var job = await client.CancelAsync(parse.GetValue(id), ct);
            Console.WriteLine($"job {job.Id}: {job.State}");
            return 0;
        });
        return command;
    }

    private static Command Delete()
    {
        var id = new Argument<Guid>("job-id");
        var command = new Command("delete", "Delete a job now: cancels it if it runs, removes its media (inputs, frames, face data, outputs) and its record; a deletion record without face data stays. Cannot be undone. (An actor's training job: delete the actor.)") { id };
        command.SetAction(async (parse, ct) =>
        {
            using var client = Client(parse);
            PrintDeletion(await client.DeleteJobAsync(parse.GetValue(id), ct));
            return 0;
        });
        return command;
    }

    private static Command Open()
    {
        var id = new Argument<Guid>("id") { Description = "A job's or a batch's id." };
        var command = new Command("open", "Print the studio web app's page of a job or a batch (sign in there with your API key; the URL never holds it).") { id };
        command.SetAction(async (parse, ct) =>
        {
            var target = parse.GetValue(id);
            var api = parse.GetValue(Api)!;

            // With a key, say which it is (and whether it is the studio's at all); without one, a job's page is the guess.
            var page = "jobs";
            if (!string.IsNullOrWhiteSpace(ApiKey(parse)))
            {
                using var client = Client(parse);
                page = await client.ExistsAsync($"v1/jobs/{target}", ct) ? "jobs"
                    : await client.ExistsAsync($"v1/batches/{target}", ct) ? "batches"
                    : throw new CliException($"Your studio has no job or batch {target}.");
            }

            Console.WriteLine(StudioAppUrls.Page(api, page, target));
            return 0;
        });
        return command;
    }

    private static void PrintDeletion(DeletionView deletion)
    {
        Console.WriteLine(deletion.Message);
        foreach (var job in deletion.CancelledJobs)
        {
            Console.WriteLine($"  cancelled first: job {job}");
        }

        foreach (var job in deletion.Jobs)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  deleted with it: {job.Kind} job {job.Id} ({job.Files} file(s), {job.Bytes} bytes)"));
        }

        if (!deletion.Complete)
        {
            Console.Error.WriteLine("facepipe: some files could not be deleted at once; the service retries them (docs/retention.md).");
        }
    }

    private static Command Tenant()
    {
        var name = new Argument<string>("name") { Description = "The studio's name." };
        // No default value: help would print it, and the connection string holds the database's password.
        var db = new Option<string?>("--db") { Description = "Job database connection string; without it, the environment variable ConnectionStrings__Jobs (never printed)." };
        var create = new Command("create", "Create a studio and print its API key (shown once; only its hash is kept).") { name, db };
        create.SetAction(async (parse, ct) =>
        {
            var connection = parse.GetValue(db) ?? Environment.GetEnvironmentVariable("ConnectionStrings__Jobs") ?? throw new CliException("No database: pass --db or set ConnectionStrings__Jobs.");
            await using var context = new JobsDbContext(new DbContextOptionsBuilder<JobsDbContext>().UseNpgsql(connection).Options);
            await context.MigrateAsync(ct);
            var (tenant, key) = await TenantKeys.CreateTenantAsync(context, parse.GetValue(name)!, TimeProvider.System, ct);
            Console.Error.WriteLine($"tenant {tenant.Id} ({tenant.Name}) created; its API key follows (store it now, it is not shown again):");
            Console.WriteLine(key);
            return 0;
        });
        return new Command("tenant", "Manage studios (tenants).") { create };
    }

    private static Command Analyze()
    {
        var input = new Argument<FileInfo>("file") { Description = "An image or a clip." };
        var json = new Option<bool>("--json") { Description = "Print the per-frame records as JSON (the tracking schema)." };
        var models = new Option<DirectoryInfo?>("--models")
        {
            Description = "Folder of converted models (env Models__Root; default <repo>/.data/models).",
        };
        var maxFaces = new Option<int?>("--max-faces") { Description = "Faces to track at most, the largest first (default 1)." };
        var neutral = new Option<int?>("--neutral-frame") { Description = "A frame showing the actor's neutral face (default: estimated over the clip)." };
        var facePoint = new Option<string?>("--face-point") { Description = "Follow the face nearest this point, 'x,y' in pixels (default: the largest face)." };
        var meshOnly = new Option<bool>("--mesh-landmarks") { Description = "Track with the 468-point landmark model (no irises) even when the refined model is installed." };
        var command = new Command("analyze", "Run the face stages in-process on a local file, without the servers.") { input, json, models, maxFaces, neutral, facePoint, meshOnly };
        command.SetAction(async (parse, ct) =>
        {
            var file = parse.GetValue(input)!;
            if (!file.Exists)
            {
                throw new CliException($"No such file: {file.FullName}");
            }

            var modelRoot = parse.GetValue(models)?.FullName ?? ModelPaths.DefaultRoot();
            var document = await ClipAnalyzer.AnalyzeAsync(
                file.FullName, new ModelPaths(modelRoot), ct, new FacePipeline.Face.FaceTrackerOptions { MaxFaces = parse.GetValue(maxFaces) ?? 1, Target = ParsePoint(parse.GetValue(facePoint)) }, new FaceSequenceOptions(parse.GetValue(neutral)), refinedLandmarks: !parse.GetValue(meshOnly));
            if (parse.GetValue(json))
            {
                await TrackingJson.WriteAsync(Console.OpenStandardOutput(), document, ct);
                Console.WriteLine();
            }
            else
            {
                foreach (var frame in document.Frames)
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"frame {frame.Index,5}  t={frame.Time,8:F3}s  faces={frame.Faces.Count}  {string.Join(' ', frame.Faces.Select(Describe))}"));
                }
            }

            return 0;
        });
        return command;
    }

    private static Command Mesh()
    {
        var input = new Argument<FileInfo>("tracking") { Description = "A track job's tracking.json." };
        var first = new Option<int>("--from") { Description = "First frame written.", DefaultValueFactory = _ => 0 };
        var count = new Option<int?>("--count") { Description = "Frames written (default: to the end of the clip)." };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder of the OBJ files (frame_NNNNNN.obj).", DefaultValueFactory = _ => new DirectoryInfo("facepipe-mesh") };
        var neutral = new Option<int?>("--neutral-frame") { Description = "A frame showing the actor's neutral face (default: chosen from the clip)." };
        var models = new Option<DirectoryInfo?>("--models") { Description = "Folder of converted models (env Models__Root; default <repo>/.data/models)." };
        var command = new Command("mesh", "Fit the ICT-FaceKit model to a track job's main face and write the fitted mesh of a frame range as OBJ files (26,719 vertices, cm).")
        {
            input, first, count, output, neutral, models,
        };
        command.SetAction(async (parse, ct) =>
        {
            var file = parse.GetValue(input)!;
            if (!file.Exists)
            {
                throw new CliException($"No such file: {file.FullName}");
            }

            TrackingDocument document;
            await using (var stream = file.OpenRead())
            {
                document = await TrackingJson.ReadAsync(stream, ct);
            }

            var paths = new ModelPaths(parse.GetValue(models)?.FullName ?? ModelPaths.DefaultRoot());
            var canonical = CanonicalFaceMesh.Load(paths.FaceGeometry);
            var (fitter, problem, _) = BlendshapeFitter.TryLoad(paths.IctFaceModel, canonical);
            if (fitter is null)
            {
                throw new CliException($"{problem}.");
            }

            var video = document.Video;
            var rate = video.FrameRate.Split('/');
            var (numerator, denominator) = (long.Parse(rate[0], CultureInfo.InvariantCulture), rate.Length > 1 ? long.Parse(rate[1], CultureInfo.InvariantCulture) : 1);
            var curves = ITrackCurvesWriter.InputFor(document.Frames, document.Source, video.Width, video.Height, numerator, denominator, parse.GetValue(neutral))
                ?? throw new CliException("The tracking has no face.");
            var animation = BlendshapeAnimation.FromScreenLandmarks(
                fitter, new MetricLandmarks(canonical), curves.Landmarks, video.Width, video.Height, new RationalFrameRate(numerator, denominator), curves.Times, curves.NeutralFrame);
            var from = parse.GetValue(first);
            var n = parse.GetValue(count) ?? (animation.Frames.Count - from);
            if (from < 0 || n < 1 || from + n > animation.Frames.Count)
            {
                throw new CliException($"Frames {from}…{from + n - 1} are outside the clip's 0…{animation.Frames.Count - 1}.");
            }

            var written = IctObjSequence.Write(parse.GetValue(output)!.FullName, fitter, animation, from, n);
            Console.WriteLine($"{written.Count} OBJ files in {parse.GetValue(output)!.FullName} (frames {from}…{from + n - 1})");
            return 0;
        });
        return command;
    }

    private static string Describe(FaceRecord face) => string.Create(
        CultureInfo.InvariantCulture,
        $"[track {face.TrackId} {face.Box.X:F0},{face.Box.Y:F0} {face.Box.Width:F0}x{face.Box.Height:F0} score {face.FaceScore:F2} yaw {face.Pose?.Yaw:F1} pitch {face.Pose?.Pitch:F1} roll {face.Pose?.Roll:F1} z {face.Pose?.Translation[2]:F1}cm]");

    private static string? Text(int? value) => value?.ToString(CultureInfo.InvariantCulture);

    private static string? Text(double? value) => value?.ToString(CultureInfo.InvariantCulture);

    private static FacePipeline.Face.PixelPoint? ParsePoint(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var parts = text.Split(',');
        return parts is [var x, var y] && float.TryParse(x, CultureInfo.InvariantCulture, out var px) && float.TryParse(y, CultureInfo.InvariantCulture, out var py)
            ? new FacePipeline.Face.PixelPoint(px, py)
            : throw new CliException($"--face-point takes 'x,y' in pixels, not '{text}'.");
    }

    internal static JobsClient Client(ParseResult parse) => JobsClient.Create(parse.GetValue(Api)!, ApiKey(parse));

    /// <summary>The API key from --key, else from the environment; remembered so that no error message can print it.</summary>
    internal static string? ApiKey(ParseResult parse)
    {
        var key = parse.GetValue(Key) ?? Environment.GetEnvironmentVariable(ApiKeyVariable);
        CliSecrets.Remember(key);
        return key;
    }

    /// <summary>The piece a resumable upload sends per request, in bytes.</summary>
    internal static int ChunkBytes(ParseResult parse) =>
        parse.GetValue(ChunkMiB) is { } mib
            ? mib is >= 1 and <= 256 ? mib * 1024 * 1024 : throw new CliException($"--chunk-mib takes 1 to 256, not {mib}.")
            : ResumableUploader.DefaultChunkBytes;

    private static string InputName(string input) =>
        input.StartsWith(JobInputs.ReferencePrefix, StringComparison.Ordinal) ? input : Path.GetFileName(input);

    /// <summary>How often waiting polls: --poll-seconds, else <paramref name="fallback"/>.</summary>
    internal static TimeSpan PollInterval(ParseResult parse, TimeSpan fallback) =>
        parse.GetValue(PollSeconds) is { } seconds
            ? seconds is >= 0 and <= 3600 ? TimeSpan.FromSeconds(seconds) : throw new CliException($"--poll-seconds takes 0 to 3600 seconds, not {seconds}.")
            : fallback;

    /// <summary>The progress style asked for, resolved against this terminal.</summary>
    internal static ProgressStyle Progress(ParseResult parse) =>
        ProgressStyles.Resolve(parse.GetValue(ProgressOption), AnsiConsole.Console, Console.IsOutputRedirected);

    private static async Task<int> WaitAndDownload(ParseResult parse, JobsClient client, Guid id, DirectoryInfo? output, CancellationToken ct)
    {
        IJobProgress progress = Progress(parse) == ProgressStyle.Bars ? new JobProgressBars(AnsiConsole.Console) : new JobProgressLines(Console.Out);
        var job = await progress.ShowAsync(JobPolling.UntilEndedAsync(token => client.GetAsync(id, token), j => j.IsTerminal, PollInterval(parse, TimeSpan.FromMilliseconds(500)), ct), ct);
        if (job.State != "completed")
        {
            Console.Error.WriteLine(job.Failure is { } f ? $"job {job.State} in {f.Stage} ({f.Code}): {f.Reason}" : $"job {job.State}");
            return 3;
        }

        await DownloadOutputs(client, job, output, ct);
        return 0;
    }

    private static async Task DownloadOutputs(JobsClient client, JobView job, DirectoryInfo? output, CancellationToken ct)
    {
        var folder = output?.FullName ?? Path.Combine(Environment.CurrentDirectory, "facepipe-out", job.Id.ToString());
        Directory.CreateDirectory(folder);
        foreach (var item in job.Outputs)
        {
            var path = Path.Combine(folder, item.Name);
            await client.DownloadAsync(item.Url, path, ct);
            Console.WriteLine($"{item.Name}: {path}");
        }

        // A retarget's QC verdict, and what a person should look at (qc.json, docs/retarget.md).
        var qc = Path.Combine(folder, FacePipeline.Contracts.OutputNames.Qc);
        if (job.Outputs.Any(o => o.Name == FacePipeline.Contracts.OutputNames.Qc) && File.Exists(qc))
        {
            await using var stream = File.OpenRead(qc);
            var report = await FacePipeline.Retarget.RetargetQcReport.ReadAsync(stream, ct);
            Console.WriteLine($"QC: {report.Verdict} ({report.MeasuredFrames} of {report.OutputFrames} frames measured)");
            foreach (var finding in report.Findings)
            {
                Console.WriteLine($"  - {finding}");
            }
        }
    }

    private static string ProgressLine(JobView job) =>
        string.Create(CultureInfo.InvariantCulture, $"{job.State,-14} {job.ElapsedSeconds,6:F1}s  ") +
        string.Join("  ", job.Stages.Select(s =>
            (s.FramesTotal > 0 ? $"{s.Name} {s.FramesDone}/{s.FramesTotal}{(s.Unit == "frames" ? string.Empty : " " + s.Unit)}" : $"{s.Name} {s.State}") +
            (job.IsTerminal && s.Seconds is { } seconds ? string.Create(CultureInfo.InvariantCulture, $" ({seconds:F1}s)") : string.Empty)));
}
