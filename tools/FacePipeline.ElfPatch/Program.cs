using FacePipeline.ElfPatch;

// facepipe-elfpatch weaken <file> <version>...   mark version requirements weak (idempotent)
// facepipe-elfpatch list <file>                    print every version requirement and its flag
const string Usage = "usage: facepipe-elfpatch weaken <elf-file> <version>... | facepipe-elfpatch list <elf-file>";
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
    foreach (var version in args.Skip(2))
    {
        changed += ElfVersionNeeds.MakeWeak(bytes, version);
    }

    if (changed == 0)
    {
        Console.WriteLine($"{path}: {string.Join(", ", args.Skip(2))} already weak");
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
    Console.WriteLine($"{path}: {string.Join(", ", args.Skip(2))} made weak ({changed} entr{(changed == 1 ? "y" : "ies")})");
    return 0;
}
catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException or InvalidOperationException)
{
    Console.Error.WriteLine($"facepipe-elfpatch: {path}: {ex.Message}");
    return 1;
}
