using System.Globalization;
using System.Text;

namespace FacePipeline.Media;

/// <summary>One encoded run of an output's frames (video only, NUT), waiting to be joined: frames <see cref="FirstFrame"/> .. + <see cref="FrameCount"/> − 1.</summary>
public sealed record EncodedSegment(string Path, int FirstFrame, int FrameCount);

/// <summary>
/// An output clip encoded in segments by any number of workers, then joined without re-encoding (issue 16).
/// <para>
/// A segment is its frames encoded exactly as a one-piece encode would encode them (the same filters and codec settings:
/// <see cref="ClipEncoding.VideoEncodeArguments"/>, the same parameter sets), each segment a fresh encode, so it starts on
/// an IDR picture and references nothing outside itself (x264's GOPs are closed), video only, in NUT, with its frames'
/// times counted from its own first frame. NUT keeps every timestamp exactly: its time base is the encoder's refined (the
/// numerator divided, the denominator doubled, to 48000 ticks a second at least), where Matroska would round each time to
/// the millisecond (30000/1001 frames at 0, 33, 67 ms) and MPEG-TS to 1/90000 s.
/// </para>
/// <para>
/// The join reads the segments in order with ffmpeg's concat demuxer, each placed at its first frame's exact time (the
/// files' <c>duration</c> directives are the differences of their start times rounded to the microsecond as a whole, so no
/// rounding accumulates and every frame lands on its own tick), copies the video packets as they are into the output
/// container with the one-piece file's track timescale, and muxes the audio once, with the same audio codec choice and
/// lip-sync offset (<see cref="ClipEncoding.InputArguments"/>) as a one-piece encode: the joined clip has the one-piece
/// clip's frame count, timestamps, durations, edit list and audio packets.
/// </para>
/// </summary>
public static class ClipSegments
{
    /// <summary>
    /// Encodes frames [<paramref name="firstFrame"/>, + <paramref name="frameCount"/>) of an output of frames shown at
    /// <paramref name="timing"/> (the WHOLE output's timing; null: the constant <paramref name="frameRate"/>) as a video-only
    /// H.264 segment at <paramref name="segmentPath"/> (written under a temporary name, then renamed). <paramref name="frames"/>
    /// are exactly the segment's frames (RGB24, as for <see cref="H264ClipEncoder"/>). The options' codec settings must be those
    /// the join and the other segments get; their <see cref="H264EncodeOptions.Timing"/> and
    /// <see cref="H264EncodeOptions.VideoStartOffset"/> are not used here (<paramref name="timing"/> is; the offset is the join's).
    /// </summary>
    public static Task<EncodedSegment> EncodeH264SegmentAsync(
        IAsyncEnumerable<ReadOnlyMemory<byte>> frames, int width, int height, Rational frameRate, FrameTiming? timing, int firstFrame, int frameCount, string segmentPath,
        H264EncodeOptions? options = null, CancellationToken cancellationToken = default) =>
        EncodeSegmentAsync(SegmentFormat.H264(options), frames, width, height, frameRate, timing, firstFrame, frameCount, segmentPath, cancellationToken);

    /// <summary>As <see cref="EncodeH264SegmentAsync"/>, ProRes 422 HQ.</summary>
    public static Task<EncodedSegment> EncodeProResSegmentAsync(
        IAsyncEnumerable<ReadOnlyMemory<byte>> frames, int width, int height, Rational frameRate, FrameTiming? timing, int firstFrame, int frameCount, string segmentPath,
        ProResEncodeOptions? options = null, CancellationToken cancellationToken = default) =>
        EncodeSegmentAsync(SegmentFormat.ProRes(options), frames, width, height, frameRate, timing, firstFrame, frameCount, segmentPath, cancellationToken);

    /// <summary>
    /// As <see cref="EncodeH264SegmentAsync"/>, in any <paramref name="format"/> (H.264, ProRes 422 HQ or 4444 with alpha,
    /// DNxHR HQ, the matte): <paramref name="frames"/> hold what the format says.
    /// </summary>
    public static Task<EncodedSegment> EncodeSegmentAsync(
        SegmentFormat format, IAsyncEnumerable<ReadOnlyMemory<byte>> frames, int width, int height, Rational frameRate, FrameTiming? timing, int firstFrame, int frameCount,
        string segmentPath, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(format);
        ArgumentNullException.ThrowIfNull(frames);
        return EncodeSegmentAsync(format.Piped(frames, width, height, cancellationToken), width, height, frameRate, timing, firstFrame, frameCount, segmentPath, format.Format, cancellationToken);
    }

    /// <summary>
    /// The whole output in one piece, exactly as <paramref name="format"/>'s own encoder writes it (the clip its segments
    /// join into): frames shown at <paramref name="timing"/> (null: the constant rate), <paramref name="audioPath"/> muxed.
    /// </summary>
    public static Task<EncodedClip> EncodeWholeAsync(
        SegmentFormat format, IAsyncEnumerable<ReadOnlyMemory<byte>> frames, int width, int height, Rational frameRate, FrameTiming? timing, string? audioPath, string outputPath,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(format);
        ArgumentNullException.ThrowIfNull(frames);
        return ClipEncoding.EncodeAsync(
            format.Piped(frames, width, height, cancellationToken), width, height, frameRate, audioPath, outputPath, format.Format, format.VideoStartOffset, timing, cancellationToken);
    }

    /// <summary>
    /// Joins H.264 segments that tile the output (in <see cref="EncodedSegment.FirstFrame"/> order: 0 .. N − 1 with no gap or
    /// overlap, else <see cref="ArgumentException"/>) by stream copy into the MP4 <paramref name="outputPath"/> (written under a
    /// temporary name, then renamed), muxing <paramref name="audioPath"/> once, as <see cref="H264ClipEncoder.EncodeAsync(IAsyncEnumerable{ReadOnlyMemory{byte}}, int, int, Rational, string?, string, H264EncodeOptions?, CancellationToken)"/>
    /// would with the same frames, timing and options: the same frame count, frame times, time base, audio and lip-sync
    /// offset, and the same <see cref="EncodedClip"/>. The segments are left in place, unless <paramref name="consume"/>: then
    /// each is deleted as soon as the join is past it (<see cref="JoinedPast"/>), and the rest once the output is complete, so
    /// the segments and the output never sit on disk together (issue 16: the media store's working set stays a few segments,
    /// not a second copy of the clip). A consuming join that fails has lost the segments it deleted: the caller renders those again.
    /// </summary>
    public static Task<EncodedClip> JoinH264Async(
        IReadOnlyList<EncodedSegment> segments, int width, int height, Rational frameRate, FrameTiming? timing, string? audioPath, string outputPath,
        H264EncodeOptions? options = null, CancellationToken cancellationToken = default, bool consume = false) =>
        JoinAsync(SegmentFormat.H264(options), segments, width, height, frameRate, timing, audioPath, outputPath, cancellationToken, consume);

    /// <summary>As <see cref="JoinH264Async"/>, ProRes segments into a MOV.</summary>
    public static Task<EncodedClip> JoinProResAsync(
        IReadOnlyList<EncodedSegment> segments, int width, int height, Rational frameRate, FrameTiming? timing, string? audioPath, string outputPath,
        ProResEncodeOptions? options = null, CancellationToken cancellationToken = default) =>
        JoinAsync(SegmentFormat.ProRes(options), segments, width, height, frameRate, timing, audioPath, outputPath, cancellationToken);

    /// <summary>
    /// As <see cref="JoinH264Async"/>, segments of any <paramref name="format"/> into the container its one-piece encoder
    /// writes (null <paramref name="audioPath"/> for the matte, which has none).
    /// </summary>
    public static Task<EncodedClip> JoinAsync(
        SegmentFormat format, IReadOnlyList<EncodedSegment> segments, int width, int height, Rational frameRate, FrameTiming? timing, string? audioPath, string outputPath,
        CancellationToken cancellationToken = default, bool consume = false)
    {
        ArgumentNullException.ThrowIfNull(format);
        return JoinAsync(segments, width, height, frameRate, timing, audioPath, outputPath, format.Format, format.VideoStartOffset, consume, cancellationToken);
    }

    /// <summary>The timing a one-piece encode uses for its frame times (null: the constant rate), as the segments and the join must.</summary>
    private static FrameTiming? Timed(FrameTiming? timing, Rational frameRate) => timing is not null && !timing.IsConstantRate(frameRate) ? timing : null;

    /// <summary>
    /// The times a segment's frames are handed to ffmpeg with (variable frame times only): ticks from its first frame, and
    /// as the last frame's duration the whole output's, whatever the segment. ffmpeg takes the stream's frame rate from
    /// that duration (the Matroska track's DefaultDuration), and x264 its level from the rate: so every segment gets the
    /// one-piece encode's parameter sets (the joined file carries the first segment's). The join places each segment by
    /// its start, not by its last frame's duration; the last segment's last frame lasts its own duration.
    /// </summary>
    private static FrameTiming? SegmentTiming(FrameTiming? timed, int firstFrame, int frameCount) =>
        timed?.Slice(firstFrame, frameCount).WithLastDuration(timed.LastDurationTicks);

    private static async Task<EncodedSegment> EncodeSegmentAsync(
        IAsyncEnumerable<ReadOnlyMemory<byte>> frames, int width, int height, Rational frameRate, FrameTiming? timing, int firstFrame, int frameCount, string segmentPath,
        ClipFormat format, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(frames);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (!frameRate.IsPositive)
        {
            throw new ArgumentOutOfRangeException(nameof(frameRate), frameRate, "The frame rate must be positive.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(firstFrame);
        ArgumentOutOfRangeException.ThrowIfLessThan(frameCount, 1);
        if (timing is not null && firstFrame + frameCount > timing.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(frameCount), $"Frames {firstFrame}..+{frameCount} run past the timing's {timing.Count} frames.");
        }

        segmentPath = Path.GetFullPath(segmentPath);
        Directory.CreateDirectory(Path.GetDirectoryName(segmentPath)!);
        var temp = segmentPath + ".partial";
        var evenWidth = width + (width & 1);
        var evenHeight = format.EvenHeight ? height + (height & 1) : height;
        var timed = SegmentTiming(Timed(timing, frameRate), firstFrame, frameCount);
        var pipedWidth = ClipEncoding.PipedWidth(format, width);

        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var source = new RawFramePipeSource(frames, pipedWidth, height, frameRate, abort, format.Input);
        var timedSource = timed is null ? null : new TimedFrameSource(frames, pipedWidth, height, timed, abort, format.Input);
        var arguments = new List<string> { "-hide_banner", "-nostdin", "-loglevel", "error", "-y" };
        arguments.AddRange(timed is null ? ClipEncoding.Split(source.GetStreamArguments()) : ["-f", "matroska"]);
        arguments.AddRange(["-i", "pipe:0", "-map", "0:v:0", "-an"]);
        arguments.AddRange(ClipEncoding.VideoEncodeArguments(format, width, height, evenWidth, evenHeight, timed));
        arguments.AddRange(["-f", "nut", temp]);

        Func<Stream, CancellationToken, Task> feed = timedSource is null ? source.WriteAsync : timedSource.WriteAsync;
        long Written() => timedSource?.FrameCount ?? source.FrameCount;
        System.Runtime.ExceptionServices.ExceptionDispatchInfo? Failure() => timedSource is null ? source.Failure : timedSource.Failure;
        try
        {
            var result = await MediaProcess.RunAsync("ffmpeg", arguments, feed, captureOutput: false, abort.Token).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            if (Failure() is { SourceException: not IOException } producerFailure)
            {
                producerFailure.Throw();
            }

            if (result.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"ffmpeg could not encode the segment {segmentPath} (exit code {result.ExitCode}): {MediaProbe.LastMeaningfulLine(result.StandardError) ?? "no error output"}");
            }

            Failure()?.Throw();
            if (Written() != frameCount)
            {
                throw new ArgumentException($"The segment was given {Written()} frames; it holds {frameCount}.", nameof(frames));
            }

            File.Move(temp, segmentPath, overwrite: true);
        }
        catch (Exception ex)
        {
            ClipEncoding.TryDelete(temp);
            if (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                Failure()?.Throw();
            }

            throw;
        }

        return new EncodedSegment(segmentPath, firstFrame, frameCount);
    }

    private static async Task<EncodedClip> JoinAsync(
        IReadOnlyList<EncodedSegment> segments, int width, int height, Rational frameRate, FrameTiming? timing, string? audioPath, string outputPath,
        ClipFormat format, TimeSpan? videoStartOffset, bool consume, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(segments);
        var ordered = segments.OrderBy(s => s.FirstFrame).ToList();
        var total = 0;
        foreach (var segment in ordered)
        {
            if (segment.FirstFrame != total || segment.FrameCount < 1)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"The segments do not tile the output: one starts at frame {segment.FirstFrame} ({segment.FrameCount} frames) where frame {total} was expected."),
                    nameof(segments));
            }

            if (!File.Exists(segment.Path))
            {
                throw new FileNotFoundException($"The segment {segment.Path} is missing.", segment.Path);
            }

            total += segment.FrameCount;
        }

        if (total == 0)
        {
            throw new ArgumentException("No segments to join.", nameof(segments));
        }

        if (timing is not null && timing.Count != total)
        {
            throw new ArgumentException($"The segments hold {total} frames; the timing {timing.Count}.", nameof(segments));
        }

        outputPath = Path.GetFullPath(outputPath);
        Directory.CreateDirectory(Path.GetDirectoryName(outputPath)!);
        if (audioPath is not null)
        {
            audioPath = Path.GetFullPath(audioPath);
            if (!File.Exists(audioPath))
            {
                throw new FileNotFoundException($"No audio file at {audioPath}.", audioPath);
            }
        }

        var temp = outputPath + ".partial";
        var list = outputPath + ".ffconcat";
        var timed = Timed(timing, frameRate);
        await File.WriteAllTextAsync(list, ConcatList(ordered, frameRate, timed, total), new UTF8Encoding(false), cancellationToken).ConfigureAwait(false);
        try
        {
            var audioCodec = audioPath is null ? null : await format.AudioCodecAsync(audioPath, cancellationToken).ConfigureAwait(false);
            var offset = await ClipEncoding.VideoOffsetAsync(audioPath, videoStartOffset, timing, cancellationToken).ConfigureAwait(false);
            var arguments = ClipEncoding.InputArguments(
                ["-f", "concat", "-safe", "0", "-protocol_whitelist", ContainerPolicy.ProtocolWhitelist, "-format_whitelist", "concat,nut", "-i", list],
                audioPath,
                audioCodec,
                offset,
                ClipEncoding.EncoderTick(frameRate, timed));
            arguments.AddRange(["-sn", "-dn", "-c:v", "copy", "-fps_mode", "passthrough", .. ClipEncoding.Split(format.CopyArguments)]);
            arguments.AddRange(["-video_track_timescale", TrackTimescale(frameRate, timed).ToString(CultureInfo.InvariantCulture)]);
            arguments.AddRange(ClipEncoding.Split(format.ContainerArguments));
            arguments.Add(temp);
            var (exitCode, errors) = consume
                ? await RunConsumingAsync(arguments, ordered, frameRate, timed, total, offset, cancellationToken).ConfigureAwait(false)
                : await RunAsync(arguments, cancellationToken).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            if (exitCode != 0)
            {
                throw new InvalidOperationException(
                    $"ffmpeg could not join the segments into {outputPath} (exit code {exitCode}): {MediaProbe.LastMeaningfulLine(errors) ?? "no error output"}");
            }

            File.Move(temp, outputPath, overwrite: true);
            if (consume)
            {
                foreach (var segment in ordered)
                {
                    ClipEncoding.TryDelete(segment.Path);
                }
            }
        }
        catch
        {
            ClipEncoding.TryDelete(temp);
            throw;
        }
        finally
        {
            ClipEncoding.TryDelete(list);
        }

        var evenWidth = width + (width & 1);
        var evenHeight = format.EvenHeight ? height + (height & 1) : height;
        return new EncodedClip(outputPath, total, evenWidth, evenHeight, frameRate, audioPath is not null, timed is not null);
    }

    private static async Task<(int ExitCode, IReadOnlyList<string> Errors)> RunAsync(List<string> arguments, CancellationToken cancellationToken)
    {
        var result = await MediaProcess.RunAsync("ffmpeg", arguments, writeInput: null, captureOutput: false, cancellationToken).ConfigureAwait(false);
        return (result.ExitCode, result.StandardError);
    }

    /// <summary>
    /// The join with ffmpeg's progress on its standard output (<c>-progress pipe:1</c>, every <see cref="ProgressPeriod"/>):
    /// each segment the output has passed (<see cref="JoinedPast"/>) is deleted while the join goes on.
    /// </summary>
    private static async Task<(int ExitCode, IReadOnlyList<string> Errors)> RunConsumingAsync(
        List<string> arguments, IReadOnlyList<EncodedSegment> ordered, Rational frameRate, FrameTiming? timed, int total, TimeSpan offset, CancellationToken cancellationToken)
    {
        var starts = ordered.Select(s => StartMicroseconds(s.FirstFrame, frameRate, timed)).ToArray();
        var margin = ProgressMargin + offset.Duration();
        arguments.InsertRange(arguments.Count - 1, ["-progress", "pipe:1", "-stats_period", ProgressPeriod]);
        await using var process = await MediaProcess.StartStreamingAsync("ffmpeg", arguments).ConfigureAwait(false);
        using (cancellationToken.Register(process.Kill))
        {
            using var reader = new StreamReader(process.StandardOutput);
            var deleted = 0;
            while (await reader.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } line)
            {
                if (line.StartsWith("out_time_us=", StringComparison.Ordinal)
                    && long.TryParse(line.AsSpan("out_time_us=".Length), NumberStyles.Integer, CultureInfo.InvariantCulture, out var outTime))
                {
                    for (var past = JoinedPast(starts, outTime, margin); deleted < past; deleted++)
                    {
                        ClipEncoding.TryDelete(ordered[deleted].Path);
                    }
                }
            }

            var exitCode = await process.WaitForExitAsync().ConfigureAwait(false);
            return (exitCode, await process.Errors.ConfigureAwait(false));
        }
    }

    /// <summary>
    /// How often the join reports its progress, in seconds. A stream copy runs at tens of thousands of frames a second (a
    /// 9,198-frame 480p clip in about 0.3 s): at ffmpeg's default of 0.5 s a clip's whole join fell between two reports,
    /// so no segment went before the end, and the clip sat in the store twice for a moment (a 9k retarget's media peak,
    /// +36 MiB for one sample; docs/benchmarks.md).
    /// </summary>
    internal const string ProgressPeriod = "0.02";

    /// <summary>
    /// How far ffmpeg's reported output time may run ahead of the segment its concat demuxer is reading: the muxer
    /// interleaves the audio with the video and writes one ahead of the other by at most its max_interleave_delta (10 s by
    /// default), and the progress reports the furthest stream; one second more for the report's own granularity.
    /// </summary>
    internal static readonly TimeSpan ProgressMargin = TimeSpan.FromSeconds(11);

    /// <summary>
    /// How many of the segments (starting at <paramref name="startsMicroseconds"/>, in order) the join has certainly read and
    /// closed when its output reaches <paramref name="outTimeMicroseconds"/>: segment k is, once the output is
    /// <paramref name="margin"/> beyond the start of segment k + 1 (the concat demuxer opens the next file only after
    /// closing the last). The last segment is never counted: it goes when the output is complete.
    /// </summary>
    internal static int JoinedPast(IReadOnlyList<long> startsMicroseconds, long outTimeMicroseconds, TimeSpan margin)
    {
        var reached = outTimeMicroseconds - (long)margin.TotalMicroseconds;
        var past = 0;
        while (past + 1 < startsMicroseconds.Count && startsMicroseconds[past + 1] <= reached)
        {
            past++;
        }

        return past;
    }

    /// <summary>
    /// The video track's timescale a one-piece encode gets (the MP4/MOV muxer takes the encoder's time base, 1/rate or the
    /// timing's tick, and doubles its denominator up to 10000 at least); the join's stream-copied track would otherwise
    /// get the concat input's.
    /// </summary>
    internal static long TrackTimescale(Rational frameRate, FrameTiming? timed)
    {
        var scale = timed is null ? frameRate.Numerator / Gcd(frameRate.Numerator, frameRate.Denominator) : timed.TimeBase.Denominator / Gcd(timed.TimeBase.Numerator, timed.TimeBase.Denominator);
        while (scale < 10_000)
        {
            scale *= 2;
        }

        return scale;
    }

    private static long Gcd(long a, long b) => b == 0 ? Math.Abs(a) : Gcd(b, a % b);

    /// <summary>
    /// The concat demuxer's list: each segment with its duration, the difference of its start and the next one's (or the
    /// output's end) in whole microseconds, each start rounded to the microsecond on its own, so segment k starts at its
    /// first frame's time within half a microsecond, whatever k.
    /// </summary>
    internal static string ConcatList(IReadOnlyList<EncodedSegment> ordered, Rational frameRate, FrameTiming? timed, int total)
    {
        long Microseconds(int frame) => StartMicroseconds(frame, frameRate, timed);

        var text = new StringBuilder("ffconcat version 1.0\n");
        foreach (var segment in ordered)
        {
            var duration = Microseconds(Math.Min(segment.FirstFrame + segment.FrameCount, total)) - Microseconds(segment.FirstFrame);
            text.Append("file '").Append(segment.Path.Replace("'", "'\\''", StringComparison.Ordinal)).Append("'\n");
            text.Append(CultureInfo.InvariantCulture, $"duration {duration / 1_000_000}.{duration % 1_000_000:D6}\n");
        }

        return text.ToString();
    }

    /// <summary>When frame <paramref name="frame"/> (or, past the last, the output's end) starts in the joined output, to the microsecond.</summary>
    private static long StartMicroseconds(int frame, Rational frameRate, FrameTiming? timed)
    {
        Int128 numerator;
        Int128 denominator;
        if (timed is null)
        {
            numerator = (Int128)frame * frameRate.Denominator * 1_000_000;
            denominator = frameRate.Numerator;
        }
        else
        {
            var ticks = frame < timed.Count ? timed.Ticks[frame] : timed.Ticks[^1] + timed.LastDurationTicks;
            numerator = (Int128)ticks * timed.TimeBase.Numerator * 1_000_000;
            denominator = timed.TimeBase.Denominator;
        }

        return (long)(((2 * numerator) + denominator) / (2 * denominator));
    }
}
