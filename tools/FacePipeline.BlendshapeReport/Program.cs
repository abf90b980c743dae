using System.CommandLine;
using FacePipeline.BlendshapeReport;

// facepipe-blendshapes: fits the golden clips, prints markdown on stdout (progress on stderr), draws the plot.
var repo = FindRepoRoot();
var shared = Path.GetFullPath(Path.Combine(repo, "..", "shared"));

var goldens = new Option<string>("--goldens")
{
    Description = "Folder of MediaPipe tracking goldens (<clip>.json).",
    DefaultValueFactory = _ => Path.Combine(shared, "goldens", "mediapipe-tracking"),
};
var media = new Option<string>("--media")
{
    Description = "Folder of the clips (<clip>.mp4): their size and rate, and the frames for timing reconstruction.",
    DefaultValueFactory = _ => Path.Combine(shared, "assets", "media"),
};
var models = new Option<string>("--models")
{
    Description = "Models root (ict-facekit/FaceXModel from scripts/unpack-ict.sh, mediapipe-face-mesh from scripts/fetch-models.sh).",
    DefaultValueFactory = _ => Environment.GetEnvironmentVariable("FACEPIPE_MODELS") is { Length: > 0 } m ? m : Path.Combine(repo, ".data", "models"),
};
var clips = new Option<string[]>("--clip")
{
    Description = "Golden clips to fit (repeatable).",
    DefaultValueFactory = _ => ["grid_lbbc2a", "obama_wh_closeup"],
    AllowMultipleArgumentsPerToken = true,
};
var plotClip = new Option<string>("--plot-clip") { Description = "The clip to plot.", DefaultValueFactory = _ => "obama_wh_closeup" };
var plot = new Option<string?>("--plot") { Description = "Where to write the PNG plot of jawOpen and eyeBlink against the measured lip gap and eye opening (none when omitted)." };
var output = new Option<string?>("--out") { Description = "Folder for each clip's Live Link Face CSV and JSON curves (none when omitted)." };
var passes = new Option<int>("--passes") { Description = "Timed passes (after one warm-up).", DefaultValueFactory = _ => 5 };
var noTracking = new Option<bool>("--no-reconstruction-timing") { Description = "Do not time the project's reconstruction (FaceTracker) on the clips." };
var work = new Option<string>("--work-dir")
{
    Description = "Scratch folder for decoded frames.",
    DefaultValueFactory = _ => Path.Combine(repo, ".data", "bench-tmp"),
};

var root = new RootCommand("facepipe-blendshapes: fits the ICT-FaceKit model to the golden clips and prints reprojection error, fit speed against reconstruction, and curve correlations as markdown.")
{
    goldens, media, models, clips, plotClip, plot, output, passes, noTracking, work,
};
root.SetAction(async (parse, ct) =>
{
    var count = parse.GetValue(passes);
    if (count < 1)
    {
        Console.Error.WriteLine("facepipe-blendshapes: --passes must be at least 1.");
        return 2;
    }

    var settings = new ReportSettings(
        Path.GetFullPath(parse.GetValue(goldens)!),
        Path.GetFullPath(parse.GetValue(media)!),
        Path.GetFullPath(parse.GetValue(models)!),
        parse.GetValue(clips)!,
        parse.GetValue(plotClip)!,
        parse.GetValue(plot) is { } p ? Path.GetFullPath(p) : null,
        parse.GetValue(output) is { } o ? Path.GetFullPath(o) : null,
        count,
        !parse.GetValue(noTracking),
        Path.GetFullPath(parse.GetValue(work)!));
    Directory.CreateDirectory(settings.WorkFolder);
    try
    {
        Console.WriteLine($"Command: `facepipe-blendshapes {string.Join(' ', args)}`");
        Console.WriteLine();
        Console.Write(await BlendshapeReport.RunAsync(settings, m => Console.Error.WriteLine($"[blendshapes] {m}"), ct));
        return 0;
    }
    catch (ReportException ex)
    {
        Console.Error.WriteLine($"facepipe-blendshapes: {ex.Message}");
        return 1;
    }
});

return await root.Parse(args).InvokeAsync();

static string FindRepoRoot()
{
    foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FacePipeline.sln")))
            {
                return dir.FullName;
            }
        }
    }

    return Environment.CurrentDirectory;
}
