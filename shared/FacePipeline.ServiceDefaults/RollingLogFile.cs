using System.Text;

namespace FacePipeline.ServiceDefaults;

/// <summary>
/// A log file that rotates by size. Text is appended to <see cref="Path"/> (e.g. <c>.data/logs/Ingest.log</c>); when a write
/// would take the file past <see cref="MaxFileBytes"/>, the file is first moved to <c>Ingest.1.log</c> (the one before to
/// <c>Ingest.2.log</c>, and so on) and a new one is started; only <see cref="RetainedFiles"/> rotated files are kept, the
/// oldest deleted. So the logs never take more than (<see cref="RetainedFiles"/> + 1) × <see cref="MaxFileBytes"/> (plus one
/// write, when a single write is larger than the limit). A write is never split across two files. Every write is flushed to
/// the operating system at once (a crash loses nothing already written). Thread-safe within a process; one process per
/// file.
/// </summary>
public sealed class RollingLogFile : IDisposable
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);
    private readonly object gate = new();
    private FileStream? stream;
    private long length;
    private bool disposed;

    /// <summary>Opens (or creates) <paramref name="path"/> for appending; its folder is created when missing.</summary>
    /// <param name="path">The live file.</param>
    /// <param name="maxFileBytes">The size at which the file is rotated (at least 1).</param>
    /// <param name="retainedFiles">Rotated files kept besides the live one (0: the live file is simply started again).</param>
    public RollingLogFile(string path, long maxFileBytes, int retainedFiles)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFileBytes, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(retainedFiles);
        Path = System.IO.Path.GetFullPath(path);
        MaxFileBytes = maxFileBytes;
        RetainedFiles = retainedFiles;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        Open();
    }

    /// <summary>The live file (full path).</summary>
    public string Path { get; }

    /// <summary>The size at which the file is rotated.</summary>
    public long MaxFileBytes { get; }

    /// <summary>Rotated files kept besides the live one.</summary>
    public int RetainedFiles { get; }

    /// <summary>The <paramref name="index"/>-th rotated file of <paramref name="path"/> (1: the newest): <c>Ingest.log</c> → <c>Ingest.1.log</c>.</summary>
    public static string RotatedPath(string path, int index)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(index, 1);
        var extension = System.IO.Path.GetExtension(path);
        return string.Concat(path.AsSpan(0, path.Length - extension.Length), ".", index.ToString(System.Globalization.CultureInfo.InvariantCulture), extension);
    }

    /// <summary>Appends <paramref name="text"/> (whole lines, with their line ends), rotating first if it would not fit.</summary>
    public void Write(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0)
        {
            return;
        }

        var bytes = Utf8.GetBytes(text);
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (length > 0 && length + bytes.Length > MaxFileBytes)
            {
                Rotate();
            }

            stream!.Write(bytes);
            stream.Flush();
            length += bytes.Length;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (gate)
        {
            disposed = true;
            stream?.Dispose();
            stream = null;
        }
    }

    private void Open()
    {
        // Others may read (tail -f) and rotate-by-rename under us; FileShare.Delete lets a reader's handle not block the rename.
        stream = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1);
        length = stream.Length;
    }

    private void Rotate()
    {
        stream!.Dispose();
        stream = null;
        try
        {
            if (RetainedFiles == 0)
            {
                File.Delete(Path);
            }
            else
            {
                File.Delete(RotatedPath(Path, RetainedFiles));
                for (var i = RetainedFiles - 1; i >= 1; i--)
                {
                    var from = RotatedPath(Path, i);
                    if (File.Exists(from))
                    {
                        File.Move(from, RotatedPath(Path, i + 1));
                    }
                }

                File.Move(Path, RotatedPath(Path, 1));
            }
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // The log must not stop the service: go on in the live file, and try again at the next write that overflows.
        }
        finally
        {
            Open();
        }
    }
}
