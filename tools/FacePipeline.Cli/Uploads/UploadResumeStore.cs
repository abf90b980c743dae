using System.Text.Json;

namespace FacePipeline.Cli.Uploads;

/// <summary>
/// Where the CLI remembers its unfinished uploads between runs: one small JSON file mapping a file's fingerprint (the
/// service, its full path, size and last write time) to its upload's URL, so running the same command again after a
/// drop or a Ctrl-C goes on from the server's offset. A changed file has another fingerprint and starts afresh.
/// Default: $XDG_STATE_HOME/facepipe/uploads.json (or ~/.local/state/facepipe/uploads.json); env FACEPIPE_UPLOAD_STATE.
/// </summary>
public sealed class UploadResumeStore(string path)
{
    public const string Variable = "FACEPIPE_UPLOAD_STATE";

    public string Path { get; } = path;

    public static UploadResumeStore Default()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } explicitPath)
        {
            return new UploadResumeStore(explicitPath);
        }

        var state = Environment.GetEnvironmentVariable("XDG_STATE_HOME") is { Length: > 0 } xdg
            ? xdg
            : System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
        return new UploadResumeStore(System.IO.Path.Combine(state, "facepipe", "uploads.json"));
    }

    public static string Fingerprint(Uri service, FileInfo file)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(file);
        return $"{service.GetLeftPart(UriPartial.Authority)}|{file.FullName}|{file.Length}|{file.LastWriteTimeUtc.Ticks}";
    }

    public Uri? Find(string fingerprint) => Read().TryGetValue(fingerprint, out var url) ? new Uri(url) : null;

    public void Save(string fingerprint, Uri upload) => Change(entries => entries[fingerprint] = upload.ToString());

    public void Forget(string fingerprint) => Change(entries => entries.Remove(fingerprint));

    private Dictionary<string, string> Read()
    {
        try
        {
            return File.Exists(Path) ? JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(Path)) ?? [] : [];
        }
        catch (JsonException)
        {
            return []; // a damaged file only costs a fresh upload
        }
    }

    private void Change(Action<Dictionary<string, string>> change)
    {
        var entries = Read();
        change(entries);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
        var temporary = $"{Path}.{Environment.ProcessId}.tmp";
        File.WriteAllText(temporary, JsonSerializer.Serialize(entries));
        File.Move(temporary, Path, overwrite: true);
    }
}
