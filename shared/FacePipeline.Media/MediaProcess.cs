using System.Diagnostics;
using System.Text;

namespace FacePipeline.Media;

/// <summary>What one ffmpeg or ffprobe run left: its exit code, its error output and, when asked for, its standard output.</summary>
/// <param name="ExitCode">The tool's exit code (a signal: 128 + its number).</param>
/// <param name="StandardError">The error output's lines (at most the first <see cref="MediaProcess.HeadLines"/> and the last <see cref="MediaProcess.TailLines"/>).</param>
/// <param name="StandardOutput">The standard output, when it was captured; else empty.</param>
public sealed record MediaProcessResult(int ExitCode, IReadOnlyList<string> StandardError, string StandardOutput);

/// <summary>
/// Starts every ffmpeg and ffprobe process of the project, so that none outlives the process that started it (issue 15:
/// a FrameExtraction worker killed with SIGKILL left its ffmpeg running, re-parented to PID 1, writing chunks nobody would
/// ever collect).
/// <para>
/// On Linux the tool is started as <c>setpriv --pdeathsig KILL -- tool …</c> (util-linux): setpriv sets
/// <c>PR_SET_PDEATHSIG</c> on itself and execs the tool in the same process, so the kernel sends SIGKILL to the tool when
/// its parent dies, however it dies. The kernel's "parent" is the <em>thread</em> that forked the child, and .NET forks on
/// the thread that calls <see cref="Process.Start()"/>: a thread-pool thread that later retires would kill a healthy
/// child. So each child is started by a dedicated thread that then waits for the child's exit and only ends after it:
/// the signal fires when, and only when, the whole process is gone (or the child has already exited).
/// </para>
/// <para>
/// The window between fork and setpriv's <c>prctl</c> (microseconds) is not covered. Elsewhere than Linux there is no
/// such signal and the tool is started directly. <see cref="EnsureChildrenDieWithParent"/> is the start-up check of the
/// services that run ffmpeg.
/// </para>
/// </summary>
public static class MediaProcess
{
    /// <summary>First lines of the error output kept (the first error usually says why).</summary>
    public const int HeadLines = 200;

    /// <summary>Last lines of the error output kept (the last error usually says where it stopped).</summary>
    public const int TailLines = 2000;

    private static readonly Lazy<string?> Setpriv = new(() => OperatingSystem.IsLinux() ? FindOnPath("setpriv") : null);

    private static readonly Dictionary<string, string?> Tools = new(StringComparer.Ordinal);

    /// <summary>The path of setpriv, which starts each tool with PR_SET_PDEATHSIG; null when not on Linux or not installed.</summary>
    public static string? DeathSignalWrapper => Setpriv.Value;

    /// <summary>True when children are started so that they die with this process (Linux with setpriv).</summary>
    public static bool ChildrenDieWithParent => DeathSignalWrapper is not null;

    /// <summary>
    /// The start-up check of a service that runs ffmpeg: throws when ffmpeg or ffprobe is missing, or on Linux when
    /// setpriv (util-linux) is, since a crash would then leave ffmpeg running.
    /// </summary>
    /// <exception cref="InvalidOperationException">A tool is missing.</exception>
    public static void EnsureChildrenDieWithParent()
    {
        _ = ResolveTool("ffmpeg");
        _ = ResolveTool("ffprobe");
        if (OperatingSystem.IsLinux() && DeathSignalWrapper is null)
        {
            throw new InvalidOperationException(
                "setpriv is not installed (Debian/Ubuntu package util-linux): without it an ffmpeg process would outlive a crashed worker.");
        }
    }

    /// <summary>
    /// The command line that starts <paramref name="tool"/> with <paramref name="arguments"/>: the file to execute and its
    /// arguments (setpriv's first on Linux).
    /// </summary>
    public static (string FileName, IReadOnlyList<string> Arguments) CommandLine(string tool, IReadOnlyList<string> arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var path = ResolveTool(tool);
        return DeathSignalWrapper is { } setpriv
            ? (setpriv, ["--pdeathsig", "KILL", "--", path, .. arguments])
            : (path, [.. arguments]);
    }

    /// <summary>
    /// Runs <paramref name="tool"/> (ffmpeg or ffprobe, from the PATH) to its end and returns what it left. Cancellation kills
    /// it (SIGKILL) and throws <see cref="OperationCanceledException"/> once it has exited.
    /// </summary>
    /// <param name="tool">"ffmpeg" or "ffprobe".</param>
    /// <param name="arguments">Its arguments, one per item (no shell quoting).</param>
    /// <param name="writeInput">Writes the tool's standard input (e.g. frames for <c>-i pipe:0</c>); the input is closed
    /// when it returns. Null: the input is closed at once.</param>
    /// <param name="captureOutput">Keep the standard output (ffprobe's JSON); else it is read and dropped.</param>
    /// <param name="cancellationToken">Kills the tool.</param>
    /// <param name="outputLine">Takes each line of the standard output as it comes, so that a listing as long as the clip
    /// (a line per frame or packet) is never held whole (issue 16: memory flat in length); the result's
    /// <see cref="MediaProcessResult.StandardOutput"/> is then empty. When it throws, the tool is killed and the exception
    /// rethrown once the tool has exited.</param>
    /// <exception cref="InvalidOperationException">The tool is not installed.</exception>
    /// <exception cref="ArgumentException">Both <paramref name="captureOutput"/> and <paramref name="outputLine"/>.</exception>
    public static async Task<MediaProcessResult> RunAsync(
        string tool,
        IReadOnlyList<string> arguments,
        Func<Stream, CancellationToken, Task>? writeInput = null,
        bool captureOutput = false,
        CancellationToken cancellationToken = default,
        Action<string>? outputLine = null)
    {
        if (captureOutput && outputLine is not null)
        {
            throw new ArgumentException("The standard output is either captured or handed over line by line, not both.", nameof(outputLine));
        }

        cancellationToken.ThrowIfCancellationRequested();
        var (started, exited) = Start(tool, arguments, textOutput: true, framePipe: writeInput is not null ? FramePipe.Input : FramePipe.None);
        using var process = await started.ConfigureAwait(false);

        var errors = ReadLinesAsync(process.StandardError);
        var output = captureOutput ? process.StandardOutput.ReadToEndAsync(CancellationToken.None)
            : outputLine is not null ? ForEachLineAsync(process, outputLine)
            : DrainAsync(process.StandardOutput);
        Exception? inputFailure = null;
        using (cancellationToken.Register(() => Kill(process)))
        {
            try
            {
                if (writeInput is not null)
                {
                    await writeInput(process.StandardInput.BaseStream, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
            {
                // The tool stopped reading (it exited, or was killed): its exit code and error output say why.
            }
            catch (Exception ex)
            {
                inputFailure = ex; // the producer failed: stop the tool, which would otherwise finish a short file
                Kill(process);
            }
            finally
            {
                CloseQuietly(process.StandardInput);
            }

            await exited.ConfigureAwait(false);
        }

        var lines = await errors.ConfigureAwait(false);
        var text = await output.ConfigureAwait(false);
        if (inputFailure is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(inputFailure);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return new MediaProcessResult(process.ExitCode, lines, text);
    }

    /// <summary>
    /// Starts <paramref name="tool"/> whose standard output the caller reads as it comes (e.g. raw frames on a pipe), on a
    /// parent thread of its own like <see cref="RunAsync"/> (it dies with this process). Its error output is collected; its
    /// input is closed at once. Dispose the handle: it kills the tool if it still runs and waits for its exit.
    /// </summary>
    /// <exception cref="InvalidOperationException">The tool is not installed.</exception>
    public static async Task<StreamingMediaProcess> StartStreamingAsync(string tool, IReadOnlyList<string> arguments)
    {
        var (started, exited) = Start(tool, arguments, textOutput: false, framePipe: FramePipe.Output);
        var process = await started.ConfigureAwait(false);
        CloseQuietly(process.StandardInput);
        return new StreamingMediaProcess(process, ReadLinesAsync(process.StandardError), exited);
    }

    /// <summary>
    /// Starts <paramref name="tool"/> (all three streams redirected) on a dedicated parent thread that waits for its exit
    /// (see the class remarks): the started process, and its exit.
    /// </summary>
    private static (Task<Process> Started, Task Exited) Start(string tool, IReadOnlyList<string> arguments, bool textOutput, FramePipe framePipe)
    {
        var (fileName, argumentList) = CommandLine(tool, arguments);
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardErrorEncoding = Encoding.UTF8,
        };
        if (textOutput)
        {
            info.StandardOutputEncoding = Encoding.UTF8;
        }

        foreach (var argument in argumentList)
        {
            info.ArgumentList.Add(argument);
        }

        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var parent = new Thread(() => StartAndWait(info, framePipe, started, exited), maxStackSize: 256 * 1024)
        {
            IsBackground = true,
            Name = $"{tool} parent",
        };
        parent.Start();
        return (started.Task, exited.Task);
    }

    /// <summary>Which of the tool's pipes carries raw frames, and is enlarged (<see cref="PipeCapacity"/>).</summary>
    private enum FramePipe
    {
        None,
        Input,
        Output,
    }

    /// <summary>Hands each line of the tool's standard output to <paramref name="outputLine"/>; kills the tool when it throws.</summary>
    private static async Task<string> ForEachLineAsync(Process process, Action<string> outputLine)
    {
        try
        {
            while (await process.StandardOutput.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } line)
            {
                outputLine(line);
            }
        }
        catch (Exception ex) when (ex is not (IOException or ObjectDisposedException))
        {
            Kill(process); // nobody reads its output any more: it would block on a full pipe
            throw;
        }

        return string.Empty;
    }

    /// <summary>The body of a child's parent thread: start it, then wait for its exit, so the thread outlives the child.</summary>
    private static void StartAndWait(ProcessStartInfo info, FramePipe framePipe, TaskCompletionSource<Process> started, TaskCompletionSource exited)
    {
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException($"{info.FileName} did not start.");
        }
        catch (Exception ex)
        {
            started.SetException(ex);
            return;
        }

        // Before the caller sees the process: it cannot have closed the pipe yet. A refusal leaves the pipe as it was.
        _ = framePipe switch
        {
            FramePipe.Input => PipeCapacity.Enlarge(process.StandardInput.BaseStream),
            FramePipe.Output => PipeCapacity.Enlarge(process.StandardOutput.BaseStream),
            _ => 0,
        };

        started.SetResult(process);
        try
        {
            process.WaitForExit();
        }
        catch (Exception)
        {
            // Disposed under us: nothing left to wait for.
        }
        finally
        {
            exited.SetResult();
        }
    }

    internal static void Kill(Process process)
    {
        try
        {
            process.Kill();
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // Exiting.
        }
    }

    private static void CloseQuietly(StreamWriter input)
    {
        try
        {
            input.Close();
        }
        catch (IOException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private static async Task<IReadOnlyList<string>> ReadLinesAsync(StreamReader reader)
    {
        var head = new List<string>();
        var tail = new Queue<string>();
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            if (head.Count < HeadLines)
            {
                head.Add(line);
                continue;
            }

            tail.Enqueue(line);
            if (tail.Count > TailLines)
            {
                tail.Dequeue();
            }
        }

        return [.. head, .. tail];
    }

    private static async Task<string> DrainAsync(StreamReader reader)
    {
        await reader.BaseStream.CopyToAsync(Stream.Null).ConfigureAwait(false);
        return string.Empty;
    }

    private static string ResolveTool(string tool)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tool);
        lock (Tools)
        {
            if (!Tools.TryGetValue(tool, out var path))
            {
                Tools[tool] = path = Path.IsPathRooted(tool) ? (File.Exists(tool) ? tool : null) : FindOnPath(tool);
            }

            return path ?? throw new InvalidOperationException($"{tool} is not installed (not found on the PATH); FacePipeline needs ffmpeg and ffprobe.");
        }
    }

    private static string? FindOnPath(string name)
    {
        var directories = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries);
        var names = OperatingSystem.IsWindows() ? [name + ".exe", name] : new[] { name };
        foreach (var directory in directories)
        {
            foreach (var candidate in names)
            {
                var path = Path.Combine(directory, candidate);
                if (File.Exists(path))
                {
                    return path;
                }
            }
        }

        return null;
    }
}

/// <summary>A tool started by <see cref="MediaProcess.StartStreamingAsync"/>: its output stream, its error lines, its exit.</summary>
public sealed class StreamingMediaProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task _exited;

    internal StreamingMediaProcess(Process process, Task<IReadOnlyList<string>> errors, Task exited)
    {
        _process = process;
        Errors = errors;
        _exited = exited;
    }

    /// <summary>The tool's standard output, as it writes it.</summary>
    public Stream StandardOutput => _process.StandardOutput.BaseStream;

    /// <summary>The tool's error output (complete once it has exited).</summary>
    public Task<IReadOnlyList<string>> Errors { get; }

    /// <summary>Waits for the tool's exit and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync()
    {
        await _exited.ConfigureAwait(false);
        return _process.ExitCode;
    }

    /// <summary>Kills the tool (SIGKILL) if it still runs.</summary>
    public void Kill() => MediaProcess.Kill(_process);

    public async ValueTask DisposeAsync()
    {
        if (!_exited.IsCompleted)
        {
            Kill();
        }

        await _exited.ConfigureAwait(false);
        try
        {
            await Errors.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The pipe went with the killed tool.
        }

        _process.Dispose();
    }
}

/// <summary>
/// The start-up check of a service that runs ffmpeg, as a service to build (<c>PassesStartupChecks(typeof(MediaToolsCheck))</c>):
/// building it runs <see cref="MediaProcess.EnsureChildrenDieWithParent"/>.
/// </summary>
public sealed class MediaToolsCheck
{
    /// <exception cref="InvalidOperationException">ffmpeg, ffprobe or (on Linux) setpriv is missing.</exception>
    public MediaToolsCheck() => MediaProcess.EnsureChildrenDieWithParent();

    /// <summary>How children are started, for the start-up log.</summary>
    public string Description => MediaProcess.DeathSignalWrapper is { } setpriv
        ? $"ffmpeg and ffprobe start under {setpriv} --pdeathsig KILL (they die with this process)"
        : "ffmpeg and ffprobe start directly (no parent-death signal on this system)";
}
