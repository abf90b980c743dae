using System.Runtime.InteropServices;

namespace FacePipeline.Storage;

/// <summary>
/// The shared media store: a folder tree (a shared volume in production) addressed by keys such
/// as <c>jobs/3f…/faces/source/chunk-00000.fptk</c>. Messages carry keys, never bytes. Writes are
/// atomic (temporary file, then rename), so a reader never sees half a file and a repeated write
/// of the same key simply replaces it.
/// </summary>
public sealed class MediaStore
{
    public MediaStore(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Root);
    }

    public string Root { get; }

    /// <summary>The local path of a key. Keys are relative, '/'-separated, and may not climb out of the root.</summary>
    public string PathFor(string key)
    {
        ValidateKey(key);
        return Path.Combine(Root, key.Replace('/', Path.DirectorySeparatorChar));
    }

    public bool Exists(string key) => File.Exists(PathFor(key));

    public long Length(string key) => new FileInfo(PathFor(key)).Length;

    public Stream OpenRead(string key) =>
        new FileStream(PathFor(key), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);

    /// <summary>
    /// Puts the bytes of <paramref name="fromKey"/> under <paramref name="toKey"/> too, atomically, without a second copy on
    /// disk when the store's filesystem allows: a hard link (the two keys name one file; deleting either leaves the other
    /// whole). For files that are never written again once complete (a finished upload, a job's input): a job made from an
    /// upload then costs the disk nothing more (issue 16: the media store holds the upload once). Where links are refused
    /// (another filesystem under the key, a filesystem without them) the bytes are copied. Returns true when linked.
    /// </summary>
    public bool ShareOrCopy(string fromKey, string toKey)
    {
        var from = PathFor(fromKey);
        using var pending = BeginWrite(toKey);
        var linked = (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) && HardLink.TryCreate(from, pending.TempPath);
        if (!linked)
        {
            File.Copy(from, pending.TempPath);
        }

        pending.Commit();
        return linked;
    }

    /// <summary>Starts an atomic write; nothing is visible under the key until <see cref="PendingWrite.Commit"/>.</summary>
    public PendingWrite BeginWrite(string key)
    {
        var path = PathFor(key);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        return new PendingWrite(path);
    }

    /// <summary>
    /// Writes a file under <paramref name="key"/> atomically: <paramref name="write"/> fills a temporary file, which
    /// replaces the key's file only once written and closed. A crash or an exception mid-write leaves the previous file
    /// (or none) and no temporary file behind; a redelivered message rewrites the same key.
    /// </summary>
    public async Task WriteAsync(string key, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        using var pending = BeginWrite(key);
        await using (var stream = File.Create(pending.TempPath))
        {
            await write(stream, cancellationToken);
        }

        pending.Commit();
    }

    /// <inheritdoc cref="WriteAsync"/>
    public void Write(string key, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        using var pending = BeginWrite(key);
        using (var stream = File.Create(pending.TempPath))
        {
            write(stream);
        }

        pending.Commit();
    }

    public Task WriteAllBytesAsync(string key, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default) =>
        WriteAsync(key, (stream, ct) => stream.WriteAsync(bytes, ct).AsTask(), cancellationToken);

    /// <summary>Makes sure the folder of a key prefix exists and returns its path.</summary>
    public string EnsureFolder(string prefix)
    {
        var path = PathFor(prefix);
        Directory.CreateDirectory(path);
        return path;
    }

    public void DeletePrefix(string prefix)
    {
        var path = PathFor(prefix);
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
        else if (File.Exists(path))
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// Deletes everything under a key prefix (a folder and all it holds, or a single file) and reports what it removed:
    /// files and their bytes. Idempotent: a prefix with nothing under it removes nothing. A file that another process
    /// writes while the folder is being deleted is deleted too (counted when it was seen).
    /// </summary>
    public MediaRemoval DeleteTree(string prefix)
    {
        var path = PathFor(prefix);
        if (File.Exists(path))
        {
            return DeleteFile(path);
        }

        var removed = MediaRemoval.None;
        for (var attempt = 1; Directory.Exists(path); attempt++)
        {
            try
            {
                foreach (var file in Directory.EnumerateFiles(path, "*", AllFiles))
                {
                    removed += DeleteFile(file);
                }

                Directory.Delete(path, recursive: true);
            }
            catch (IOException) when (attempt < 5)
            {
                // A file appeared between the listing and the folder's removal (a writer still at work), or another
                // deleter removed part of the tree meanwhile: look again (the loop ends once the folder is gone).
            }
        }

        return removed;
    }

    /// <summary>Every file under a key prefix (a folder, or a single file), by key, with its size in bytes; empty when there is none.</summary>
    public IReadOnlyDictionary<string, long> Sizes(string prefix)
    {
        var path = PathFor(prefix);
        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        if (File.Exists(path))
        {
            sizes[prefix] = new FileInfo(path).Length;
        }
        else if (Directory.Exists(path))
        {
            foreach (var file in new DirectoryInfo(path).EnumerateFiles("*", AllFiles))
            {
                sizes[$"{prefix}/{Path.GetRelativePath(path, file.FullName).Replace(Path.DirectorySeparatorChar, '/')}"] = file.Length;
            }
        }

        return sizes;
    }

    private static readonly EnumerationOptions AllFiles = new()
    {
        RecurseSubdirectories = true,
        AttributesToSkip = 0, // hidden files and folders too (an extraction's .staging-… folder)
        IgnoreInaccessible = false,
        ReturnSpecialDirectories = false,
    };

    private static MediaRemoval DeleteFile(string path)
    {
        long bytes;
        try
        {
            bytes = new FileInfo(path).Length;
        }
        catch (FileNotFoundException)
        {
            return MediaRemoval.None; // gone meanwhile
        }

        File.Delete(path);
        return new MediaRemoval(1, bytes);
    }

    private static void ValidateKey(string key)
    {
        if (string.IsNullOrWhiteSpace(key) || key.StartsWith('/') || key.Contains('\\'))
        {
            throw new ArgumentException($"Invalid media key '{key}'.", nameof(key));
        }

        foreach (var segment in key.Split('/'))
        {
            if (segment.Length == 0 || segment == "." || segment == ".." ||
                !segment.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                throw new ArgumentException($"Invalid media key '{key}'.", nameof(key));
            }
        }
    }
}

/// <summary>What <see cref="MediaStore.DeleteTree"/> removed: files and their bytes.</summary>
public readonly record struct MediaRemoval(int Files, long Bytes)
{
    public static MediaRemoval None => default;

    public static MediaRemoval operator +(MediaRemoval a, MediaRemoval b) => new(a.Files + b.Files, a.Bytes + b.Bytes);

    public MediaRemoval Add(MediaRemoval other) => this + other;
}

/// <summary>A write in progress: write to <see cref="TempPath"/>, then <see cref="Commit"/>. Disposing without commit discards it.</summary>
public sealed class PendingWrite : IDisposable
{
    private readonly string _finalPath;
    private bool _committed;

    internal PendingWrite(string finalPath)
    {
        _finalPath = finalPath;
        TempPath = $"{finalPath}.{Guid.NewGuid():N}.tmp";
    }

    public string TempPath { get; }

    public void Commit()
    {
        File.Move(TempPath, _finalPath, overwrite: true);
        _committed = true;
    }

    public void Dispose()
    {
        if (!_committed && File.Exists(TempPath))
        {
            File.Delete(TempPath);
        }
    }
}

/// <summary>POSIX <c>link(2)</c>: a second name for a file (.NET has symbolic links only).</summary>
internal static partial class HardLink
{
    /// <summary>True when <paramref name="newPath"/> now names <paramref name="existingPath"/>'s file; false when the filesystem refuses (the caller copies).</summary>
    public static bool TryCreate(string existingPath, string newPath)
    {
        if (!File.Exists(existingPath))
        {
            throw new FileNotFoundException($"No file at {existingPath}.", existingPath);
        }

        return Link(existingPath, newPath) == 0;
    }

    [LibraryImport("libc", EntryPoint = "link", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Link(string existingPath, string newPath);
}
