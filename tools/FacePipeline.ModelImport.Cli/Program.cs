using System.CommandLine;
using FacePipeline.ModelImport.Conversion;
using FacePipeline.ModelImport.MediaPipe;
using FacePipeline.ModelImport.Tflite;

var packageDir = new Option<DirectoryInfo>("--package-dir")
{
    Description = $"The unpacked npm package {FaceMeshImport.PackageSpec} (the folder holding {FaceMeshImport.DataFile}).",
    Required = true,
};
var outDir = new Option<DirectoryInfo>("--out")
{
    Description = $"The models folder; files go to <out>/{FaceMeshImport.FolderName}/.",
    Required = true,
};
var manifest = new Option<FileInfo?>("--manifest")
{
    Description = "A golden manifest.json whose models_sha256 the files must match (default: the hashes built in, which are the goldens').",
};
var import = new Command("import-mediapipe", "Unpack MediaPipe's face mesh package, verify the sha256 of its models, convert them to ONNX.")
{
    packageDir, outDir, manifest,
};
import.SetAction(parse =>
{
    var hashes = parse.GetValue(manifest) is { } m ? PackedAssets.ReadExpectedHashes(m.FullName) : FaceMeshImport.ExpectedSha256;
    var result = FaceMeshImport.Run(parse.GetValue(packageDir)!.FullName, parse.GetValue(outDir)!.FullName, hashes, Console.Error.WriteLine);

    // stdout: the path of every file written (as scripts/fetch-models.sh prints); stderr: the rest.
    foreach (var path in result.Unpacked.Values.Order(StringComparer.Ordinal))
    {
        Console.WriteLine(path);
    }

    foreach (var r in result.Models)
    {
        if (r.OnnxPath is not null)
        {
            Console.WriteLine(r.OnnxPath);
        }
        else
        {
            Console.Error.WriteLine($"{r.TfliteFile}: not converted ({r.Failure})");
        }
    }

    return 0;
});

var model = new Argument<FileInfo>("model") { Description = "A .tflite file." };
var ops = new Command("ops", "List the operators of a TFLite model and whether the converter supports each.") { model };
ops.SetAction(parse =>
{
    var graph = TfliteReader.Read(parse.GetValue(model)!.FullName).Main;
    foreach (var (op, count) in graph.OperatorCensus())
    {
        var supported = TfliteToOnnx.IsSupported(op) ? "" : "  (unsupported)";
        Console.WriteLine($"{op,-40} x{count}{supported}");
    }

    foreach (var i in graph.Inputs)
    {
        Console.WriteLine($"input  {graph.Tensors[i]}");
    }

    foreach (var o in graph.Outputs)
    {
        Console.WriteLine($"output {graph.Tensors[o]}");
    }

    return 0;
});

var root = new RootCommand("facepipe-import: import MediaPipe's face models into ONNX with FacePipeline's own converter.") { import, ops, FacePipeline.ModelImport.Cli.FaceApiCommand.Create() };
try
{
    return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception ex) when (ex is FileNotFoundException or InvalidDataException or NotSupportedException or IOException)
{
    Console.Error.WriteLine($"facepipe-import: {ex.Message}");
    return 1;
}
