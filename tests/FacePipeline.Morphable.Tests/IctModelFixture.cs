using System.Diagnostics;
using FacePipeline.TestSupport;

namespace FacePipeline.Morphable.Tests;

/// <summary>The unpacked ICT-FaceKit release, parsed from its OBJ files once for the test collection.</summary>
public sealed class IctModelFixture
{
    private readonly Lazy<IctFaceModel> model;

    public IctModelFixture()
    {
        model = new Lazy<IctFaceModel>(() =>
        {
            var watch = Stopwatch.StartNew();
            var loaded = IctFaceModel.LoadObj(Folder);
            ObjLoadTime = watch.Elapsed;
            return loaded;
        });
    }

    /// <summary>The release folder; fails (never skips) with how to get it when it is not unpacked.</summary>
    public static string Folder
    {
        get
        {
            var folder = IctFaceModel.DefaultFolder(RepoPaths.Models);
            Assert.True(
                File.Exists(Path.Combine(folder, IctFaceModel.NeutralFileName)) && File.Exists(Path.Combine(folder, IctFaceModel.IndexFileName)),
                $"The ICT-FaceKit model is not unpacked at {folder}. Run scripts/unpack-ict.sh " +
                "(unpacks ../shared/assets/ict-facekit/FaceXModel.tar.zst; needs the Debian package zstd).");
            return folder;
        }
    }

    public static string PathOf(string name) => Path.Combine(Folder, name);

    /// <summary>The model parsed from the OBJ files (no cache).</summary>
    public IctFaceModel Model => model.Value;

    public TimeSpan ObjLoadTime { get; private set; }
}

[CollectionDefinition(Name)]
public sealed class IctModelCollection : ICollectionFixture<IctModelFixture>, ICollectionFixture<BlendshapeFixture>
{
    public const string Name = "ICT model";
}
