using System.IO.Pipes;
using System.Runtime.InteropServices;

namespace FacePipeline.Media;

/// <summary>
/// The kernel buffer of a pipe that carries raw frames to or from ffmpeg. Linux gives a pipe 64 KiB, so a 640x480 RGB24
/// frame (900 KiB) crossed in about fifteen fills, each waking the other side; <see cref="Enlarge"/> asks for
/// <see cref="FrameBytes"/> (<c>fcntl(F_SETPIPE_SZ)</c>, capped by <c>/proc/sys/fs/pipe-max-size</c>), so a frame crosses in
/// one or a few. Where the kernel refuses (another system, a user over <c>/proc/sys/fs/pipe-user-pages-soft</c>), the pipe
/// keeps its size: it is slower, not wrong.
/// </summary>
public static partial class PipeCapacity
{
    /// <summary>The size asked for: 1 MiB, Linux's default ceiling for an unprivileged process.</summary>
    public const int FrameBytes = 1 << 20;

    private const int SetPipeSize = 1031; // F_SETPIPE_SZ
    private const int GetPipeSize = 1032; // F_GETPIPE_SZ

    /// <summary>Enlarges the pipe under <paramref name="stream"/> (one end of it is enough); returns its size afterwards, or 0 when it could not be read (not a pipe, not Linux).</summary>
    public static int Enlarge(Stream stream) => OnPipe(stream, fd =>
    {
        _ = Fcntl(fd, SetPipeSize, FrameBytes); // refused: the size stays as it was
        return Fcntl(fd, GetPipeSize, 0);
    });

    /// <summary>The pipe's size now (0 when it cannot be read).</summary>
    public static int SizeOf(Stream stream) => OnPipe(stream, fd => Fcntl(fd, GetPipeSize, 0));

    /// <summary><paramref name="call"/> on the descriptor under <paramref name="stream"/>, held open meanwhile; 0 for no descriptor, a closed one or a failed call.</summary>
    private static int OnPipe(Stream stream, Func<int, int> call)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        SafeHandle? handle = stream switch
        {
            PipeStream pipe => pipe.SafePipeHandle,
            FileStream file => file.SafeFileHandle,
            _ => null,
        };
        if (handle is null || handle.IsInvalid || handle.IsClosed)
        {
            return 0;
        }

        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            return Math.Max(0, call((int)handle.DangerousGetHandle()));
        }
        catch (ObjectDisposedException)
        {
            return 0;
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);
}
