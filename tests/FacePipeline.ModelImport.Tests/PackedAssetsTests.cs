using FacePipeline.ModelImport.MediaPipe;
using FacePipeline.TestSupport;

namespace FacePipeline.ModelImport.Tests;

[Trait("Lane", "Fast")]
public sealed class PackedAssetsTests
{
    // The shape of Emscripten's file packager output, as in face_mesh_solution_packed_assets_loader.js.
    private const string Loader = """
        var Module = typeof createMediapipeSolutionsPackedAssets !== 'undefined' ? createMediapipeSolutionsPackedAssets : {};
        (function() {
          function loadPackage(metadata) { var files = metadata['files']; }
          loadPackage({"files": [{"filename": "/a/b/first.tflite", "start": 0, "end": 5},
            {"filename": "/c/second.binarypb", "start": 5, "end": 8}], "remote_package_size": 8, "package_uuid": "x{y}"});
        })();
        """;

    [Fact]
    public void Loader_ranges_are_read_from_the_loadPackage_call()
    {
        var assets = PackedAssets.ParseLoader(Loader);

        Assert.Equal(
            [new PackedAsset("/a/b/first.tflite", 0, 5), new PackedAsset("/c/second.binarypb", 5, 8)],
            assets);
        Assert.Equal("first.tflite", assets[0].FileName);
    }

    [Fact]
    public void Unpack_cuts_the_data_file_at_the_ranges()
    {
        var dir = RepoPaths.NewScratchFolder("unpack");
        var data = Path.Combine(dir, "packed.data");
        File.WriteAllBytes(data, [1, 2, 3, 4, 5, 6, 7, 8]);

        var files = PackedAssets.Unpack(data, PackedAssets.ParseLoader(Loader), Path.Combine(dir, "out"));

        Assert.Equal([1, 2, 3, 4, 5], File.ReadAllBytes(files["first.tflite"]));
        Assert.Equal([6, 7, 8], File.ReadAllBytes(files["second.binarypb"]));
    }

    [Fact]
    public void A_range_past_the_end_of_the_data_is_refused()
    {
        var dir = RepoPaths.NewScratchFolder("unpack-short");
        var data = Path.Combine(dir, "packed.data");
        File.WriteAllBytes(data, [1, 2, 3]);

        var e = Assert.Throws<InvalidDataException>(() => PackedAssets.Unpack(data, PackedAssets.ParseLoader(Loader), dir));
        Assert.Contains("first.tflite", e.Message);
    }

    [Fact]
    public void A_script_without_loadPackage_is_refused() =>
        Assert.Throws<InvalidDataException>(() => PackedAssets.ParseLoader("console.log('nothing');"));

    [Fact]
    public void Import_refuses_a_file_whose_hash_differs()
    {
        var dir = RepoPaths.NewScratchFolder("import-hash");
        var package = Directory.CreateDirectory(Path.Combine(dir, "package")).FullName;
        File.WriteAllText(Path.Combine(package, FaceMeshImport.LoaderFile), Loader);
        File.WriteAllBytes(Path.Combine(package, FaceMeshImport.DataFile), [1, 2, 3, 4, 5, 6, 7, 8]);
        var hashes = new Dictionary<string, string> { ["first.tflite"] = new string('0', 64), ["second.binarypb"] = new string('0', 64) };

        var e = Assert.Throws<InvalidDataException>(() => FaceMeshImport.Run(package, Path.Combine(dir, "models"), hashes));

        Assert.Contains("sha256", e.Message);
    }
}
