using System.CommandLine;
using FacePipeline.ModelImport.FaceApi;

namespace FacePipeline.ModelImport.Cli;

/// <summary>
/// <c>facepipe-import import-face-api --package-dir &lt;package&gt; --out &lt;models&gt;</c>: face-api's
/// face-recognition network (npm @vladmandic/face-api@1.7.15) to
/// <c>&lt;models&gt;/face-api/face_recognition.onnx</c>. scripts/fetch-identity-model.sh runs it.
/// </summary>
internal static class FaceApiCommand
{
    public static Command Create()
    {
        var packageDir = new Option<DirectoryInfo>("--package-dir")
        {
            Description = $"The unpacked npm package {FaceRecognitionImport.PackageSpec} (the folder holding model/{FaceRecognitionImport.ManifestFile}).",
            Required = true,
        };
        var outDir = new Option<DirectoryInfo>("--out")
        {
            Description = $"The models folder; the model goes to <out>/{FaceRecognitionImport.FolderName}/{FaceRecognitionImport.OnnxFile}.",
            Required = true,
        };
        var command = new Command(
            "import-face-api",
            "Check the sha256 of face-api's face-recognition weights (TFJS), rebuild its FaceRecognitionNet as ONNX.")
        {
            packageDir, outDir,
        };
        command.SetAction(parse =>
        {
            var result = FaceRecognitionImport.Run(
                parse.GetValue(packageDir)!.FullName, parse.GetValue(outDir)!.FullName, FaceRecognitionImport.ExpectedSha256, Console.Error.WriteLine);

            // stdout: the path of the file written (as scripts/fetch-models.sh prints); stderr: the rest.
            Console.WriteLine(result.OnnxPath);
            return 0;
        });
        return command;
    }
}
