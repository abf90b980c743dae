using FacePipeline.TestSupport;

namespace FacePipeline.Media.Tests;

/// <summary>
/// How ffmpeg and ffprobe are started (issue 15): under setpriv's parent-death signal, by a thread of their own, so a
/// child survives the retirement of the thread that asked for it but not the death of the process; killed on cancel.
/// </summary>
public sealed class MediaProcessTests
{
    [Fact]
    public void On_linux_every_tool_starts_under_setpriv_with_the_parent_death_signal()
    {
        Assert.True(OperatingSystem.IsLinux(), "these tests run on Linux");
        MediaProcess.EnsureChildrenDieWithParent(); // the services' start-up check passes here
        Assert.True(MediaProcess.ChildrenDieWithParent);

        var (file, arguments) = MediaProcess.CommandLine("ffmpeg", ["-version"]);

        Assert.Equal("setpriv", Path.GetFileName(file));
        Assert.Equal(["--pdeathsig", "KILL", "--"], arguments.Take(3));
        Assert.Equal("ffmpeg", Path.GetFileName(arguments[3]));
        Assert.Equal("-version", arguments[4]);
    }

    [Fact]
    public async Task A_child_outlives_the_thread_that_started_the_run_and_dies_when_cancelled()
    {
        // PR_SET_PDEATHSIG fires when the thread that forked the child ends. The run is asked for from a thread that ends
        // at once (as a thread-pool thread may retire): the child must keep running, and stop only when cancelled.
        var marker = "mp-" + Guid.NewGuid().ToString("N");
        using var cancel = new CancellationTokenSource();
        Task<MediaProcessResult>? run = null;
        var caller = new Thread(() => run = MediaProcess.RunAsync(
            "ffmpeg",
            ["-nostdin", "-re", "-f", "lavfi", "-i", "testsrc=size=64x64:rate=25", "-t", "600", "-metadata", $"title={marker}", "-f", "null", "-"],
            cancellationToken: cancel.Token));
        caller.Start();
        caller.Join();
        Assert.NotNull(run);

        var child = await ChildProcesses.WaitForAsync(marker, TimeSpan.FromSeconds(20));
        Assert.Equal(Environment.ProcessId, child.ParentId); // setpriv exec'd ffmpeg in place: our child
        Assert.Equal("ffmpeg", child.Name);
        Assert.True(child.IsAlive(), "ffmpeg runs after the thread that asked for it has ended");
        Assert.False(run!.IsCompleted);

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.False(child.IsAlive(), "cancelling killed ffmpeg");
    }

    /// <summary>What the kernel grants a pipe asked for <see cref="PipeCapacity.FrameBytes"/> here (its ceiling for us).</summary>
    private static int GrantedPipeBytes() =>
        Math.Min(PipeCapacity.FrameBytes, int.Parse(File.ReadAllText("/proc/sys/fs/pipe-max-size").Trim(), System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public async Task A_tool_streaming_raw_frames_writes_them_into_a_pipe_of_a_megabyte_not_linuxs_64_KiB()
    {
        await using var decoder = await MediaProcess.StartStreamingAsync(
            "ffmpeg", ["-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=640x480:rate=25", "-frames:v", "3", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"]);

        Assert.Equal(GrantedPipeBytes(), PipeCapacity.SizeOf(decoder.StandardOutput));
        var frame = new byte[640 * 480 * 3];
        for (var i = 0; i < 3; i++)
        {
            await decoder.StandardOutput.ReadExactlyAsync(frame);
        }

        Assert.Equal(0, await decoder.WaitForExitAsync());
    }

    [Fact]
    public async Task A_tool_fed_raw_frames_reads_them_from_a_pipe_of_a_megabyte()
    {
        var seen = 0;
        var result = await MediaProcess.RunAsync(
            "ffmpeg",
            ["-nostdin", "-v", "error", "-f", "rawvideo", "-pix_fmt", "gray", "-s", "64x64", "-r", "25", "-i", "pipe:0", "-f", "null", "-"],
            writeInput: async (input, ct) =>
            {
                seen = PipeCapacity.SizeOf(input);
                await input.WriteAsync(new byte[64 * 64 * 2], ct);
            });

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(GrantedPipeBytes(), seen);
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void Only_a_pipe_is_enlarged()
    {
        using var pipe = new System.IO.Pipes.AnonymousPipeServerStream(System.IO.Pipes.PipeDirection.Out);
        Assert.Equal(GrantedPipeBytes(), PipeCapacity.Enlarge(pipe));
        Assert.Equal(GrantedPipeBytes(), PipeCapacity.SizeOf(pipe));

        using var memory = new MemoryStream();
        Assert.Equal(0, PipeCapacity.Enlarge(memory));
        Assert.Equal(0, PipeCapacity.SizeOf(memory));
    }

    [Fact]
    public async Task A_failing_run_reports_its_exit_code_and_error_output()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-clip-{Guid.NewGuid():N}.mp4");

        var result = await MediaProcess.RunAsync("ffmpeg", ["-hide_banner", "-nostdin", "-i", missing, "-f", "null", "-"]);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(result.StandardError, l => l.Contains("No such file", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Standard_input_reaches_the_tool_and_its_output_comes_back()
    {
        // Three 4x2 grey frames on ffmpeg's standard input; framecrc on its standard output.
        var result = await MediaProcess.RunAsync(
            "ffmpeg",
            ["-hide_banner", "-nostdin", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "gray", "-video_size", "4x2", "-framerate", "25", "-i", "pipe:0", "-f", "framecrc", "-"],
            async (stdin, ct) =>
            {
                for (var i = 0; i < 3; i++)
                {
                    await stdin.WriteAsync(Enumerable.Repeat((byte)(40 * i), 8).ToArray(), ct);
                }
            },
            captureOutput: true);

        Assert.Equal(0, result.ExitCode);
        var frames = result.StandardOutput.Split('\n').Where(l => l.StartsWith("0,", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, frames.Count);
        Assert.Equal(3, frames.Select(f => f.Split(',')[^1].Trim()).Distinct().Count()); // three different frames
    }

    [Fact]
    public async Task A_long_listing_is_handed_over_line_by_line_whole_and_in_order_and_not_kept()
    {
        // 5,000 frames' framecrc: one line per frame, each with its pts (1/25 s time base: 0, 1, 2, …).
        var times = new List<long>();

        var result = await MediaProcess.RunAsync(
            "ffmpeg",
            ["-hide_banner", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", "color=size=16x16:rate=25", "-frames:v", "5000", "-f", "framecrc", "-"],
            outputLine: line =>
            {
                if (line.StartsWith("0,", StringComparison.Ordinal))
                {
                    times.Add(long.Parse(line.Split(',')[2].Trim(), System.Globalization.CultureInfo.InvariantCulture));
                }
            });

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(Enumerable.Range(0, 5000).Select(i => (long)i), times);
        Assert.Equal(string.Empty, result.StandardOutput);
    }

    [Fact]
    public async Task A_line_handler_that_throws_stops_the_tool_and_its_exception_reaches_the_caller()
    {
        // The tool would list for ten minutes of real time (-re); the handler gives up on the first frame line.
        var marker = "mp-" + Guid.NewGuid().ToString("N");
        var run = MediaProcess.RunAsync(
            "ffmpeg",
            ["-nostdin", "-re", "-f", "lavfi", "-i", "color=size=16x16:rate=25", "-t", "600", "-metadata", $"title={marker}", "-f", "framecrc", "-"],
            outputLine: line =>
            {
                if (line.StartsWith("0,", StringComparison.Ordinal))
                {
                    throw new FormatException("not the line it expected");
                }
            });

        var thrown = await Assert.ThrowsAsync<FormatException>(() => run);
        Assert.Equal("not the line it expected", thrown.Message);
        Assert.DoesNotContain(ProcessTable.WithCommandLine(marker), p => p.Name == "ffmpeg" && p.IsAlive());
    }

    [Fact]
    public async Task Capturing_the_output_and_taking_it_line_by_line_are_not_asked_for_together()
    {
        await Assert.ThrowsAsync<ArgumentException>(() =>
            MediaProcess.RunAsync("ffmpeg", ["-version"], captureOutput: true, outputLine: _ => { }));
    }
}

/// <summary>Waits for a tool's process (TestSupport.ProcessTable reads /proc).</summary>
internal static class ChildProcesses
{
    /// <summary>
    /// Polls /proc until a process named <paramref name="name"/> whose command line contains <paramref name="marker"/> runs
    /// (setpriv's own command line carries the marker too, until it has exec'd the tool); fails after <paramref name="timeout"/>.
    /// </summary>
    public static async Task<ProcessEntry> WaitForAsync(string marker, TimeSpan timeout, string name = "ffmpeg")
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var found = ProcessTable.WithCommandLine(marker).FirstOrDefault(p => p.Name == name && p.IsAlive());
            if (found is not null)
            {
                return found;
            }

            Assert.True(DateTime.UtcNow < deadline, $"no process with '{marker}' in its command line after {timeout.TotalSeconds:F0} s");
            await Task.Delay(20);
        }
    }
}
