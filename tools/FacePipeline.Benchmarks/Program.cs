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

var root = new RootCommand("facepipe-bench: speed of frame extraction and face detection, printed as markdown tables.");
root.Options.Add(workDir);
root.Subcommands.Add(Extraction());
root.Subcommands.Add(Detection());
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
        Header(args);
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
        Header(args);
        Print(await DetectionBenchmark.RunAsync(parse.GetValue(clip)!, parse.GetValue(frames), WorkDir(parse), ct));
        return 0;
    });
    return command;
}

Command All()
{
    var media = new Option<string>("--media")
    {
        Description = "Folder holding the footage (default <repo>/../shared/assets/media).",
        DefaultValueFactory = _ => BenchPaths.DefaultMediaDirectory(),
    };
    var runs = AtLeastOne(new Option<int>("--runs") { Description = "Timed extraction rounds per clip.", DefaultValueFactory = _ => 5 });
    var frames = AtLeastOne(new Option<int>("--frames") { Description = "Frames timed per detection configuration per clip.", DefaultValueFactory = _ => 600 });
    var command = new Command("all", "extraction on obama_wh_closeup.mp4 and new_face_video-90.mp4; detection on obama_wh_closeup.mp4 and grid_lbbc2a.mp4.") { media, runs, frames };
    command.SetAction(async (parse, ct) =>
    {
        Header(args);
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

        return 0;
    });
    return command;
}

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

static void Header(string[] arguments)
{
    Console.WriteLine("## FacePipeline benchmarks");
    Console.WriteLine();
    Console.WriteLine($"Command: `{Md.Command(arguments)}`");
    Console.WriteLine();
    Console.WriteLine($"Machine: {MachineInfo.Describe()}");
    Console.WriteLine();
    Console.Out.Flush();
}

static void Print(string markdown)
{
    Console.WriteLine(markdown);
    Console.Out.Flush();
}
