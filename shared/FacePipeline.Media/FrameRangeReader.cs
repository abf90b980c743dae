using System.Globalization;
using System.Runtime.CompilerServices;

namespace FacePipeline.Media;

/// <summary>
/// Decodes a run of frames of a clip straight from its file (issue 16: no frames are stored): frames
/// <see cref="FirstFrame"/> .. + <see cref="FrameCount"/> − 1, each byte-identical to the same frame of a one-piece decode
/// of the whole clip (the same decode: rotation applied, scaled to the display size,
/// RGB24 or the 4:2:0 planes (<see cref="RawPixelFormat"/>), every decoded frame kept). One ffmpeg process writes the frames to a pipe, read as they come (constant memory).
/// <para>
/// Exactness: frames are picked by their own time, never by counting after a seek. ffmpeg seeks (<c>-ss</c> before
/// <c>-i</c>, not trimming) to <see cref="SeekMarginFrames"/> frames before the run: a seek lands on a key frame by decode
/// time, so with B-frames or an open GOP the frames shown just after it may lack their references; the margin keeps
/// them outside the run. The timestamps are kept as they are in the file (<c>-copyts</c>) and a <c>select</c> filter
/// keeps the frames shown between the midpoints around the run's first and last frames on the timeline (its times plus
/// the container's start: the file's own clock). Only containers that seek by an index (<see cref="FrameTimeline.Seekable"/>:
/// MP4/MOV, Matroska) are seeked; others (MPEG-TS, whose seek may land past the time asked for) are decoded from their
/// start, the same window; should a seek still leave the window short, the reader decodes again from the start. So the frames are the run's whatever the GOP
/// structure (open GOPs, B-frames, a first key frame after 0, edit lists, a late container start, variable frame rate;
/// tested on each against a one-piece decode). A timeline without real times (synthesised at a constant rate) is decoded
/// from the start, the frames before the run read and dropped.
/// </para>
/// </summary>
public sealed class FrameRangeReader : IAsyncDisposable
{
    private readonly string _sourcePath;
    private readonly FrameTimeline _timeline;
    private readonly MediaLimits _limits;
    private readonly RawPixelFormat _pixels;
    private StreamingMediaProcess? _process;
    private int _returned;
    private bool _ended;
    private bool _seeked;

    private FrameRangeReader(string sourcePath, FrameTimeline timeline, int width, int height, int firstFrame, int frameCount, MediaLimits limits, RawPixelFormat pixels)
    {
        _pixels = pixels;
        _sourcePath = sourcePath;
        _timeline = timeline;
        _limits = limits;
        Width = width;
        Height = height;
        FirstFrame = firstFrame;
        FrameCount = frameCount;
    }

    public int Width { get; }

    public int Height { get; }

    /// <summary>How the frames are laid out (RGB24 unless asked otherwise).</summary>
    public RawPixelFormat Pixels => _pixels;

    /// <summary>Bytes per frame: W × H × 3 in RGB24, W × H + 2 × ⌈W/2⌉ × ⌈H/2⌉ in 4:2:0.</summary>
    public int FrameBytes => _pixels.FrameBytes(Width, Height);

    public int FirstFrame { get; }

    public int FrameCount { get; }

    /// <summary>The clip-wide index of the frame the next read returns.</summary>
    public int NextFrame => FirstFrame + _returned;

    /// <summary>
    /// A reader of frames <paramref name="firstFrame"/> .. + <paramref name="frameCount"/> − 1 of <paramref name="sourcePath"/>
    /// (display size <paramref name="width"/> × <paramref name="height"/>, as extraction measured it). ffmpeg starts at the first read.
    /// </summary>
    public static FrameRangeReader Open(
        string sourcePath, FrameTimeline timeline, int width, int height, int firstFrame, int frameCount, MediaLimits? limits = null, RawPixelFormat pixels = RawPixelFormat.Rgb24)
    {
        ArgumentException.ThrowIfNullOrEmpty(sourcePath);
        ArgumentNullException.ThrowIfNull(timeline);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(firstFrame);
        ArgumentOutOfRangeException.ThrowIfNegative(frameCount);
        if (firstFrame + (long)frameCount > timeline.FrameCount)
        {
            throw new ArgumentOutOfRangeException(nameof(frameCount), $"Frames {firstFrame}..+{frameCount} run past the clip's {timeline.FrameCount} frames.");
        }

        return new FrameRangeReader(Path.GetFullPath(sourcePath), timeline, width, height, firstFrame, frameCount, limits ?? MediaLimits.Default, pixels);
    }

    /// <summary>Every frame of the run in order; one buffer, valid until the next frame is asked for.</summary>
    public static async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAllAsync(
        string sourcePath, FrameTimeline timeline, int width, int height, int firstFrame, int frameCount, MediaLimits? limits = null,
        RawPixelFormat pixels = RawPixelFormat.Rgb24, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var reader = Open(sourcePath, timeline, width, height, firstFrame, frameCount, limits, pixels);
        var buffer = new byte[reader.FrameBytes];
        while (await reader.ReadNextAsync(buffer, cancellationToken))
        {
            yield return buffer;
        }
    }

    /// <summary>Frames decoded before a run's first frame (the seek lands at least this far ahead of it); see the class remarks.</summary>
    public const int SeekMarginFrames = 16;

    /// <summary>True when ffmpeg is started without a seek (a seek that missed the run's first frame started it again so).</summary>
    public bool DecodedFromStart { get; private set; }

    /// <summary>
    /// For the frames from <paramref name="firstFrame"/> to <paramref name="lastFrame"/>: where to seek (seconds on the
    /// timeline's clock; null: no seek) and the window of times on the file's own clock whose frames are kept (null: the
    /// frames as decoded). No window when the timeline has no real frame times (the frames before are dropped by count).
    /// </summary>
    public static (double? Seek, (double From, double? To)? Window) Plan(FrameTimeline timeline, int firstFrame, int lastFrame, bool seek = true)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        if (timeline.Pts.Count == 0 || !timeline.DecoderTimes || (firstFrame <= 0 && lastFrame >= timeline.FrameCount - 1))
        {
            return (null, null);
        }

        var seconds = timeline.Seconds;
        var start = timeline.ContainerStartSeconds;
        var from = firstFrame <= 0 ? double.NegativeInfinity : start + ((seconds[firstFrame - 1] + seconds[firstFrame]) / 2);
        double? to = lastFrame >= timeline.FrameCount - 1 ? null : start + ((seconds[lastFrame] + seconds[lastFrame + 1]) / 2);
        var early = firstFrame - SeekMarginFrames;
        return (seek && timeline.Seekable && early > 0 ? (seconds[early - 1] + seconds[early]) / 2 : null, (from, to));
    }

    /// <summary>Reads the next frame of the run into <paramref name="destination"/>; false once the run's frames were all read.</summary>
    /// <exception cref="MediaRejectedException">The file stops decoding inside the run (truncated or corrupt).</exception>
    public async ValueTask<bool> ReadNextAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, FrameBytes, nameof(destination));
        if (_returned >= FrameCount)
        {
            return false;
        }

        cancellationToken.ThrowIfCancellationRequested();
        while (true)
        {
            if (_process is null)
            {
                await StartAsync(destination[..FrameBytes], cancellationToken).ConfigureAwait(false);
            }

            if (await ReadFrameAsync(destination[..FrameBytes], cancellationToken).ConfigureAwait(false))
            {
                _returned++;
                return true;
            }

            // The decoder ended inside the run. After a seek this may be the seek's doing (some containers, MPEG-TS say,
            // seek past the point asked for, and the window then holds fewer frames): start again from the file's start.
            if (DecodedFromStart || !_seeked)
            {
                await ThrowCorruptAsync().ConfigureAwait(false);
            }

            await _process!.DisposeAsync().ConfigureAwait(false);
            _process = null;
            _ended = false;
            DecodedFromStart = true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is not null)
        {
            await _process.DisposeAsync().ConfigureAwait(false);
            _process = null;
        }
    }

    private async Task StartAsync(Memory<byte> scratch, CancellationToken cancellationToken)
    {
        var first = NextFrame;
        var last = FirstFrame + FrameCount - 1;
        var (seek, window) = Plan(_timeline, first, last, seek: !DecodedFromStart);
        _seeked = seek is not null;
        var arguments = new List<string> { "-hide_banner", "-nostdin", "-loglevel", "error" };
        arguments.AddRange(Split(ContainerPolicy.InputLockdownArguments(_limits.DemuxerWhitelist)));
        if (seek is { } at)
        {
            arguments.AddRange(["-noaccurate_seek", "-ss", at.ToString("0.#########", CultureInfo.InvariantCulture)]);
        }

        if (window is not null)
        {
            arguments.Add("-copyts"); // the file's own timestamps, which the window below is on
        }

        arguments.AddRange(["-i", _sourcePath]);
        var stream = _timeline.StreamIndex is { } index ? string.Create(CultureInfo.InvariantCulture, $"0:{index}") : "0:v:0";
        var scale = string.Create(CultureInfo.InvariantCulture, $"scale={Width}:{Height}");
        var filter = window switch
        {
            null => scale,
            ({ } from, { } to) when !double.IsInfinity(from) => string.Create(CultureInfo.InvariantCulture, $"select='between(t,{from:0.#########},{to:0.#########})',{scale}"),
            ({ } from, null) => string.Create(CultureInfo.InvariantCulture, $"select='gte(t,{from:0.#########})',{scale}"),
            (_, { } to) => string.Create(CultureInfo.InvariantCulture, $"select='lte(t,{to:0.#########})',{scale}"),
        };
        var skip = window is null ? first : 0; // no usable times: the frames before are dropped by count
        var remaining = FrameCount - _returned;
        arguments.AddRange([
            "-map", stream, "-an", "-sn", "-dn", "-vf", filter,
            "-pix_fmt", _pixels.FfmpegName(), "-fps_mode", "passthrough",
            "-frames:v", (skip + remaining).ToString(CultureInfo.InvariantCulture),
            "-f", "rawvideo", "pipe:1",
        ]);
        _process = await MediaProcess.StartStreamingAsync("ffmpeg", arguments).ConfigureAwait(false);
        for (var i = 0; i < skip; i++)
        {
            if (!await ReadFrameAsync(scratch, cancellationToken).ConfigureAwait(false))
            {
                await ThrowCorruptAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Reads one whole frame; false when the decoder's output ended first.</summary>
    private async Task<bool> ReadFrameAsync(Memory<byte> frame, CancellationToken cancellationToken)
    {
        var read = 0;
        if (!_ended)
        {
            using var kill = cancellationToken.Register(static p => ((StreamingMediaProcess)p!).Kill(), _process);
            while (read < frame.Length)
            {
                var n = await _process!.StandardOutput.ReadAsync(frame[read..], CancellationToken.None).ConfigureAwait(false);
                if (n == 0)
                {
                    _ended = true;
                    break;
                }

                read += n;
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        return read == frame.Length;
    }

    private async Task ThrowCorruptAsync()
    {
        var exit = await _process!.WaitForExitAsync().ConfigureAwait(false);
        var errors = await _process.Errors.ConfigureAwait(false);
        var reason = MediaProbe.LastMeaningfulLine(errors, _sourcePath) ?? $"ffmpeg exit code {exit}";
        throw new MediaRejectedException(
            MediaRejectionKind.Corrupt,
            string.Create(
                CultureInfo.InvariantCulture,
                $"The file is truncated or corrupt: decoding frames {FirstFrame}..{FirstFrame + FrameCount - 1} stopped after {_returned} frames ({reason}). Re-export or upload the file again."));
    }

    private static string[] Split(string arguments) => arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
}
