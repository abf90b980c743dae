using FacePipeline.ElfPatch;

// facepipe-elfpatch weaken [--missing-ok] <file> <version>...   mark version requirements weak (idempotent)
// facepipe-elfpatch list <file>                                   print every version requirement and its flag
// --missing-ok: a version the file does not require is reported and skipped (a newer TorchSharp may no longer need the patch).
const string Usage = "usage: facepipe-elfpatch weaken [--missing-ok] <elf-file> <version>... | facepipe-elfpatch list <elf-file>";
var missingOk = args.Length > 1 && args[0] == "weaken" && args[1] == "--missing-ok";
if (missingOk)
{
    args = [args[0], .. args[2..]];
}

if (args.Length < 2 || args[0] is not ("weaken" or "list") || (args[0] == "weaken" && args.Length < 3))
{
    Console.Error.WriteLine(Usage);
    return 2;
}

var path = args[1];
try
{
    var bytes = File.ReadAllBytes(path);
    if (args[0] == "list")
    {
        foreach (var need in ElfVersionNeeds.Read(bytes))
        {
            Console.WriteLine($"{need.File,-24} {need.Version,-20} {(need.Weak ? "weak" : "")}");
        }

        return 0;
    }

    var changed = 0;
    var present = new List<string>();
    var required = ElfVersionNeeds.Read(bytes).Select(n => n.Version).ToHashSet(StringComparer.Ordinal);
    foreach (var version in args.Skip(2))
    {
        if (missingOk && !required.Contains(version))
        {
            Console.WriteLine($"{path}: requires no {version}, nothing to do");
            continue;
        }

        changed += ElfVersionNeeds.MakeWeak(bytes, version);
        present.Add(version);
    }

    if (present.Count == 0)
    {
        return 0;
    }

    if (changed == 0)
    {
        Console.WriteLine($"{path}: {string.Join(", ", present)} already weak");
        return 0;
    }

    // Same folder, then rename: a reader never sees a half-written library; the mode bits are kept.
    var temp = path + ".elfpatch";
    File.WriteAllBytes(temp, bytes);
    if (!OperatingSystem.IsWindows())
    {
        File.SetUnixFileMode(temp, File.GetUnixFileMode(path));
    }

    File.Move(temp, path, overwrite: true);
    Console.WriteLine($"{path}: {string.Join(", ", present)} made weak ({changed} entr{(changed == 1 ? "y" : "ies")})");
    return 0;
}
catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or InvalidOperationException)
{
    Console.Error.WriteLine($"facepipe-elfpatch: {path}: {ex.Message}");
    return 1;
}
