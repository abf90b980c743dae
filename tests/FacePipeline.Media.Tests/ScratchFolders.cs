using FacePipeline.TestSupport;

namespace FacePipeline.Media.Tests;

/// <summary>Scratch folders for one test, deleted when the test ends (decoded clips are hundreds of megabytes).</summary>
internal sealed class ScratchFolders : IDisposable
{
    private readonly List<string> _folders = [];

    public string New(string label)
    {
        var path = RepoPaths.NewScratchFolder(label);
        _folders.Add(path);
        return path;
    }

    public void Dispose()
    {
        foreach (var folder in _folders)
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }
}
