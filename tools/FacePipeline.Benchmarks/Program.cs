using System.CommandLine;
using System.Globalization;
using FacePipeline.Benchmarks;

// facepipe-bench: speed figures printed as markdown on stdout (progress on stderr). See scripts/bench.sh.
var workDir = new Option<string>("--work-dir")
{
    Description = "Scratch folder for chunk files (default <repo>/.data/bench-tmp: the disk the pipeline writes to).",
    DefaultValueFactory = _ => BenchPaths.DefaultWorkDirectory(),
    Recursive = true,
};

var root = new RootCommand("facepipe-bench: speed of frame extraction, face detection and reconstruction, landmark jitter and retargeting, printed as markdown tables.");
root.Options.Add(workDir);
root.Subcommands.Add(Extraction());
root.Subcommands.Add(Detection());
root.Subcommands.Add(Reconstruction());
root.Subcommands.Add(Jitter());
root.Subcommands.Add(Retarget());
root.Subcommands.Add(Neural());
root.Subcommands.Add(NeuralQuality());
root.Subcommands.Add(NeuralNumerics());
root.Subcommands.Add(Fidelity());
root.Subcommands.Add(MouthInteriorCommand());
root.Subcommands.Add(NeuralFidelity());
root.Subcommands.Add(LandmarkFloorBenchmark.Command(args));
root.Subcommands.Add(ChunkSizeBenchmark.Command(args));
root.Subcommands.Add(ChunkPixelsBenchmark.Command(args));
root.Subcommands.Add(QcSegmentBenchmark.Command(args));
root.Subcommands.Add(OnePassTrackBenchmark.Command(args));
root.Subcommands.Add(ProcessSampler.Command());
root.Subcommands.Add(All());

try
{
    return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (BenchException ex)
{
    Console.Error.WriteLine($"facepipe-bench: {ex.Message}");
    return 1;
}

Command Extraction()
{
    var clip = ClipOption();
    var runs = AtLeastOne(new Option<int>("--runs") { Description = "Timed rounds (after one warm-up round).", DefaultValueFactory = _ => 5 });
    var command = new Command("extraction", "FrameExtractor.ExtractAsync against plain ffmpeg decoding to raw RGB24 into /dev/null.") { clip, runs };
    command.SetAction(async (parse, ct) =>
    {
        Md.Header(args);
        Print(await ExtractionBenchmark.RunAsync(parse.GetValue(clip)!, parse.GetValue(runs), WorkDir(parse), ct));
        return 0;
    });
    return command;
}

Command Detection()
{
    var clip = ClipOption();
    var frames = AtLeastOne(new Option<int>("--frames") { Description = "Frames timed per configuration (the clip's frames are cycled when it has fewer).", DefaultValueFactory = _ => 600 });
    var command = new Command("detection", "BlazeFaceDetector.Detect against the bare inference (RunRaw) on the same tensor, frame by frame.") { clip, frames };
    command.SetAction(async (parse, ct) =>
    {
        Md.Header(args);
        Print(await DetectionBenchmark.RunAsync(parse.GetValue(clip)!, parse.GetValue(frames), WorkDir(parse), ct));
        return 0;
    });
    return command;
}

Command Reconstruction()
{
    var clip = ClipOption();
    var passes = PassesOption();
    var command = new Command("reconstruction", "FaceTracker.Process per frame against the bare landmark inference (RunRaw) on the same crops; the sequence step per frame.") { clip, passes };
    command.SetAction(async (parse, ct) =>
    {
        Md.Header(args);
        Print(await ReconstructionBenchmark.RunAsync(parse.GetValue(clip)!, parse.GetValue(passes), WorkDir(parse), ct));
        return 0;
    });
    return command;
}

Command Jitter()
{
    var media = MediaOption();
    var stills = new Option<string[]>("--still")
    {
        Description = "A still made into a noisy 5 s, 25 fps video (repeatable). Default, when neither --still nor --clip is given: " + string.Join(", ", JitterBenchmark.DefaultStills) + " from --media.",
        AllowMultipleArgumentsPerToken = false,
    };
    var clips = new Option<string[]>("--clip")
    {
        Description = "A clip of a nearly still head whose rigid points are measured (repeatable). Default, when neither is given: " + string.Join(", ", JitterBenchmark.DefaultClips) + " from --media.",
        AllowMultipleArgumentsPerToken = false,
    };
    var command = new Command("jitter", "Landmark jitter (RMS frame-to-frame motion / inter-ocular distance) before and after the One Euro filter.") { media, stills, clips };
    command.SetAction(async (parse, ct) =>
    {
        Md.Header(args);
        var s = parse.GetValue(stills) ?? [];
        var c = parse.GetValue(clips) ?? [];
        if (s.Length == 0 && c.Length == 0)
        {
            var dir = parse.GetValue(media)!;
            s = [.. JitterBenchmark.DefaultStills.Select(n => Path.Combine(dir, n))];
            c = [.. JitterBenchmark.DefaultClips.Select(n => Path.Combine(dir, n))];
        }

        Print(await JitterBenchmark.RunAsync(s, c, WorkDir(parse), ct));
        return 0;
    });
    return command;
}

Command Retarget()
{
    var media = MediaOption();
    var source = new Option<string?>("--source") { Description = $"The performer (default {RetargetBenchmark.DefaultSource} from --media)." };
    var small = new Option<string?>("--small-target") { Description = $"A small target; its first frame also makes the still target (default {RetargetBenchmark.DefaultSmallTarget})." };
    var hd = new Option<string?>("--hd-target") { Description = $"A 720p target, also upscaled to 2160p (default {RetargetBenchmark.DefaultHdTarget})." };
    var command = new Command("retarget", "Expression transfer and warp rendering ms/frame against x264 alone on the same frames; cycle expression error; jitter on a still target.") { media, source, small, hd };
    command.SetAction(async (parse, ct) =>
    {
        Md.Header(args);
        var dir = parse.GetValue(media)!;
        Print(await RetargetBenchmark.RunAsync(
            parse.GetValue(source) ?? Path.Combine(dir, RetargetBenchmark.DefaultSource),
            parse.GetValue(small) ?? Path.Combine(dir, RetargetBenchmark.DefaultSmallTarget),
            parse.GetValue(hd) ?? Path.Combine(dir, RetargetBenchmark.DefaultHdTarget),
            WorkDir(parse),
            ct));
        return 0;
    });
    return command;
}

Command Neural()
{
    var sizes = new Option<string>("--sizes") { Description = "Crop sizes, comma-separated (powers of two ≥ 32).", DefaultValueFactory = _ => "128,256" };
    var baseChannels = AtLeastOne(new Option<int>("--base-channels") { Description = "Generator and discriminator base channels.", DefaultValueFactory = _ => 64 });
    var batch = AtLeastOne(new Option<int>("--batch") { Description = "Pairs per training step.", DefaultValueFactory = _ => 4 });
    var steps = AtLeastOne(new Option<int>("--steps") { Description = "Timed training steps per size (after 2 warm-up steps).", DefaultValueFactory = _ => 5 });
    var frames = AtLeastOne(new Option<int>("--frames") { Description = "Timed inference batches per size (after 3 warm-up batches).", DefaultValueFactory = _ => 20 });
    var inferenceBatch = AtLeastOne(new Option<int>("--inference-batch") { Description = "Frames per inference run.", DefaultValueFactory = _ => 1 });
    var command = new Command("neural", "Neural renderer: training step time per crop size; generator inference ms/frame through GeneratorSession against the raw ONNX Runtime run on the same tensors, and TorchSharp's forward.")
    {
        sizes, baseChannels, batch, steps, frames, inferenceBatch,
    };
    command.SetAction((parse, ct) =>
    {
        Md.Header(args);
        var list = parse.GetValue(sizes)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        Print(NeuralRendererBenchmark.Run(list, parse.GetValue(baseChannels), parse.GetValue(batch), parse.GetValue(steps), parse.GetValue(frames), parse.GetValue(inferenceBatch), ct));
        return Task.FromResult(0);
    });
    return command;
}

Command NeuralQuality()
{
    var clip = ClipOption();
    var crop = AtLeastOne(new Option<int>("--crop") { Description = "Crop size (a power of two ≥ 32).", DefaultValueFactory = _ => 128 });
    var baseChannels = AtLeastOne(new Option<int>("--base-channels") { Description = "Generator and discriminator base channels.", DefaultValueFactory = _ => 64 });
    var output = new Option<FacePipeline.NeuralRenderer.GeneratorOutput>("--output") { Description = "Generator output: Direct or BlendWithWarp.", DefaultValueFactory = _ => FacePipeline.NeuralRenderer.GeneratorOutput.BlendWithWarp };
    var minutes = new Option<double>("--minutes") { Description = "Training wall-time budget.", DefaultValueFactory = _ => 10 };
    var steps = new Option<int?>("--steps") { Description = "Training step budget (whichever of the two comes first)." };
    var trainingSources = new Option<bool>("--training-sources") { Description = "Validation pairs warp training frames onto the held-out targets (as a retarget warps the actor's footage) instead of held-out frames onto each other." };
    var holdOut = new Option<double>("--hold-out") { Description = "Share of the clip's frames, at its end, held out for measuring.", DefaultValueFactory = _ => 0.2 };
    var threads = new Option<int>("--threads") { Description = "Torch threads (0: libtorch's default).", DefaultValueFactory = _ => 0 };
    var jitter = new Option<double>("--jitter") { Description = "Colour augmentation: per-channel gain in [1 − j, 1 + j] (0: off).", DefaultValueFactory = _ => new FacePipeline.NeuralRenderer.TrainingOptions().ColourJitter };
    var shift = new Option<int>("--shift") { Description = "Shift augmentation: at most this many pixels (0: off).", DefaultValueFactory = _ => new FacePipeline.NeuralRenderer.TrainingOptions().MaxShiftPixels };
    var preview = new Option<string?>("--preview") { Description = "Write a PNG of real | warp | GAN on held-out pairs here." };
    var command = new Command("neural-quality", "Neural renderer against the warp renderer on held-out frames of a clip (L1, PSNR, SSIM in the face mask) after a training budget.")
    {
        clip, crop, baseChannels, output, minutes, steps, holdOut, trainingSources, jitter, shift, threads, preview,
    };
    command.SetAction(async (parse, ct) =>
    {
        Md.Header(args);
        Print(await NeuralQualityBenchmark.RunAsync(
            parse.GetValue(clip)!,
            parse.GetValue(crop),
            parse.GetValue(baseChannels),
            parse.GetValue(output),
            TimeSpan.FromMinutes(parse.GetValue(minutes)),
            parse.GetValue(steps),
            parse.GetValue(holdOut),
            parse.GetValue(trainingSources),
            parse.GetValue(jitter),
            parse.GetValue(shift),
            parse.GetValue(threads),
            parse.GetValue(preview),
            WorkDir(parse),
            ct));
        return 0;
    });
    return command;
}

Command NeuralNumerics()
{
    var crop = AtLeastOne(new Option<int>("--crop") { Description = "Crop size of the timed training steps.", DefaultValueFactory = _ => 128 });
    var steps = AtLeastOne(new Option<int>("--steps") { Description = "Timed training steps per setting (after 2 warm-up steps).", DefaultValueFactory = _ => 5 });
    var command = new Command("neural-numerics", "libtorch's f32 convolutions with oneDNN on and off against float64 (issue 12's reproduction), and the training step time with either.") { crop, steps };
    command.SetAction((parse, ct) =>
    {
        Md.Header(args);
        Print(NeuralNumericsBenchmark.Run(parse.GetValue(crop), parse.GetValue(steps), ct));
        return Task.FromResult(0);
    });
    return command;
}

Command Fidelity()
{
    var media = MediaOption();
    var only = new Option<string?>("--only") { Description = "Run only the pairs whose 'source:target' names contain this text (e.g. grid_lbbc2a:obama)." };
    var neutral = new Option<string>("--neutral") { Description = "Each clip's neutral: 'resting' (default, as the pipeline does), 'first', or 'median' (the per-point median of the clip, as before issue 13).", DefaultValueFactory = _ => "resting" };
    neutral.AcceptOnlyFromAmong("resting", "first", "median");
    var actorTexture = new Option<bool>("--actor-texture") { Description = "Warp each target frame's own face (the renderer before issue 13) instead of the actor's resting face." };
    var rounds = new Option<int>("--rounds") { Description = "Rounds of the renderer's closed loop per frame (0: render each frame once, as before issue 13).", DefaultValueFactory = _ => FacePipeline.Retarget.ClosedLoopCorrection.DefaultRounds };
    var stills = new Option<string?>("--stills") { Description = "Write three result frames of every pair as PNG into this folder." };
    var stageRuns = new Option<int>("--stage-runs") { Description = "Also time the whole render stage before and after issue 13 on every pair, best of this many runs (0: not)." };
    var command = new Command("fidelity", "Retarget fidelity on real footage: the result re-tracked against the performer and the actor, per feature r, range ratio and leakage, on the shared pairs and built hard cases.") { media, only, neutral, actorTexture, rounds, stills, stageRuns };
    command.SetAction(async (parse, ct) =>
    {
        Md.Header(args);
        Print(await FidelityBenchmark.RunAsync(parse.GetValue(media)!, parse.GetValue(only), parse.GetValue(neutral)!, parse.GetValue(actorTexture), parse.GetValue(rounds), parse.GetValue(stills), parse.GetValue(stageRuns), WorkDir(parse), ct));
        return 0;
    });
    return command;
}

Command MouthInteriorCommand()
{
    var media = MediaOption();
    var output = new Option<string>("--out") { Description = "Where to write the before/after PNG.", DefaultValueFactory = _ => "docs/retarget-mouth-interior.png" };
    var performer = new Option<string>("--performer") { Description = "The performer's clip in the media folder.", DefaultValueFactory = _ => "obama_wh_closeup.mp4" };
    var actor = new Option<string>("--actor") { Description = "The actor: a still (made into a 3 s clip) or a clip (its resting first 0.32 s looped) in the media folder.", DefaultValueFactory = _ => "painting_leonardo_mona_lisa.jpg" };
    var command = new Command("mouth-interior", "The mouth interior's before/after picture: a performer showing the teeth onto an actor whose footage never opens the mouth, by the warp alone and with the painted interior.") { media, performer, actor, output };
    command.SetAction(async (parse, ct) =>
    {
        Md.Header(args);
        Print(await MouthInteriorPicture.RunAsync(parse.GetValue(media)!, parse.GetValue(performer)!, parse.GetValue(actor)!, parse.GetValue(output)!, WorkDir(parse), ct));
        return 0;
    });
    return command;
}

Command All()
{
    var media = MediaOption();
    var runs = AtLeastOne(new Option<int>("--runs") { Description = "Timed extraction rounds per clip.", DefaultValueFactory = _ => 5 });
    var frames = AtLeastOne(new Option<int>("--frames") { Description = "Frames timed per detection configuration per clip.", DefaultValueFactory = _ => 600 });
    var passes = PassesOption();
    var command = new Command(
        "all",
        "extraction on obama_wh_closeup.mp4 and new_face_video-90.mp4; detection on obama_wh_closeup.mp4 and grid_lbbc2a.mp4; reconstruction on obama_wh_closeup.mp4 and obama_wh_medium.mp4; jitter on its default stills and GRID clips.")
    {
        media, runs, frames, passes,
    };
    command.SetAction(async (parse, ct) =>
    {
        Md.Header(args);
        var dir = parse.GetValue(media)!;
        var work = WorkDir(parse);
        var r = parse.GetValue(runs);
        var f = parse.GetValue(frames);
        foreach (var clip in new[] { "obama_wh_closeup.mp4", "new_face_video-90.mp4" })
        {
            Print(await ExtractionBenchmark.RunAsync(Path.Combine(dir, clip), r, work, ct));
        }

        foreach (var clip in new[] { "obama_wh_closeup.mp4", "grid_lbbc2a.mp4" })
        {
            Print(await DetectionBenchmark.RunAsync(Path.Combine(dir, clip), f, work, ct));
        }

        foreach (var clip in new[] { "obama_wh_closeup.mp4", "obama_wh_medium.mp4" })
        {
            Print(await ReconstructionBenchmark.RunAsync(Path.Combine(dir, clip), parse.GetValue(passes), work, ct));
        }

        Print(await JitterBenchmark.RunAsync(
            [.. JitterBenchmark.DefaultStills.Select(n => Path.Combine(dir, n))],
            [.. JitterBenchmark.DefaultClips.Select(n => Path.Combine(dir, n))],
            work,
            ct));

        return 0;
    });
    return command;
}

static Option<string> MediaOption() => new("--media")
{
    Description = "Folder holding the footage (default <repo>/../shared/assets/media).",
    DefaultValueFactory = _ => BenchPaths.DefaultMediaDirectory(),
};

static Option<int> PassesOption() =>
    AtLeastOne(new Option<int>("--passes") { Description = "Timed tracking passes over each clip (after one warm-up pass), each with a fresh tracker.", DefaultValueFactory = _ => 5 });

static Option<string> ClipOption()
{
    var option = new Option<string>("--clip") { Description = "The video to measure.", Required = true };
    option.Validators.Add(result =>
    {
        if (result.GetValueOrDefault<string>() is { } path && !File.Exists(path))
        {
            result.AddError($"Clip not found: {Path.GetFullPath(path)}");
        }
    });
    return option;
}

string WorkDir(ParseResult parse)
{
    var dir = Path.GetFullPath(parse.GetValue(workDir)!);
    Directory.CreateDirectory(dir);
    return dir;
}

static Option<int> AtLeastOne(Option<int> option)
{
    option.Validators.Add(result =>
    {
        if (result.GetValueOrDefault<int>() < 1)
        {
            result.AddError(string.Create(CultureInfo.InvariantCulture, $"{option.Name} must be at least 1."));
        }
    });
    return option;
}


static void Print(string markdown)
{
    Console.WriteLine(markdown);
    Console.Out.Flush();
}

Command NeuralFidelity()
{
    var media = MediaOption();
    var actor = new Option<string>("--actor") { Description = "The actor's clip in the media folder: trained on, and retargeted onto.", DefaultValueFactory = _ => NeuralFidelityBenchmark.DefaultActor };
    var minutes = new Option<double>("--minutes") { Description = "Training wall-time budget (the training service's maxMinutes; its other settings are the defaults).", DefaultValueFactory = _ => 6 };
    var performers = new Option<string>("--performers") { Description = "Performers' clips in the media folder, comma-separated.", DefaultValueFactory = _ => string.Join(',', NeuralFidelityBenchmark.DefaultPerformers) };
    var stills = new Option<string?>("--stills") { Description = "Write three frames of every pair (performer | warp | neural) as PNG into this folder." };
    var command = new Command("neural-fidelity", "Retarget fidelity onto a trained actor: the actor's neural renderer trained as the training service trains it, then every performer rendered with the warp and the neural renderer, both re-tracked and measured as `fidelity` measures.") { media, actor, minutes, performers, stills };
    command.SetAction(async (parse, ct) =>
    {
        Md.Header(args);
        var list = parse.GetValue(performers)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Print(await NeuralFidelityBenchmark.RunAsync(parse.GetValue(media)!, parse.GetValue(actor)!, parse.GetValue(minutes), list, parse.GetValue(stills), WorkDir(parse), ct));
        return 0;
    });
    return command;
}
