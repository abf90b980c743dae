using System.Globalization;

namespace FacePipeline.Media;

/// <summary>
/// Probes, validates and measures a clip: ONE ffmpeg process decodes it once, to nothing (every frame must decode; the
/// decoder's frame count is the clip's), and copies its audio losslessly (audio.mka); its per-frame timeline
/// (timeline.json) comes from the demuxed packets (or, when they disagree with the decoder, the decoded frames). No frames
/// are stored (issue 16): the clip is cut into chunks that are runs of frames, which the stages decode from the clip
/// themselves (<see cref="FrameRangeReader"/>).
/// <para>
/// A clip a track job's single-decode pass will decode whole (<see cref="FrameExtractionOptions.PassChunkSize"/>) is not
/// decoded here when its packets are its frames as they are (<see cref="DemuxedPackets"/>, <see cref="PacketsMayCountFrames"/>,
/// <see cref="CoversTheStream"/>): its count and times are the packets', its first frame is decoded to refuse a stream
/// nothing decodes at once, and the pass's decode refuses a file that stops decoding part-way. Every other clip is decoded.
/// </para>
/// </summary>
public static class FrameExtractor
{
    public const string AudioFileName = "audio.mka";

    /// <summary>Audio codecs Matroska can hold as they are; anything else is decoded and stored as FLAC (still lossless).</summary>
    private static readonly HashSet<string> MatroskaAudioCodecs = new(StringComparer.Ordinal)
    {
        "aac", "mp3", "mp2", "mp1", "opus", "vorbis", "flac", "alac", "ac3", "eac3", "dts", "truehd", "tta", "wavpack",
    };

    /// <summary>
    /// Probes and validates <paramref name="inputPath"/>, decodes it once to count and check its frames (or, for a pass clip
    /// whose packets are its frames, counts its packets), writes its timeline
    /// and audio to <paramref name="outputDirectory"/> (each under its final name only once complete), and cuts it into
    /// chunks of <see cref="FrameExtractionOptions.ChunkSize"/> frames (the last may be shorter).
    /// </summary>
    /// <exception cref="MediaRejectedException">The upload is refused, nothing decodes, or decoding fails part-way.</exception>
    public static async Task<FrameExtractionResult> ExtractAsync(
        string inputPath,
        string outputDirectory,
        FrameExtractionOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= new FrameExtractionOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ChunkSize, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.PassChunkSize ?? 1, 1, nameof(options));
        var fullPath = Path.GetFullPath(inputPath);
        var limits = options.Limits;

        var probe = await MediaProbe.ProbeAsync(fullPath, limits, cancellationToken).ConfigureAwait(false);
        var video = VideoValidator.Validate(probe, limits);
        var width = video.DisplayWidth;
        var height = video.DisplayHeight;

        outputDirectory = Path.GetFullPath(outputDirectory);
        Directory.CreateDirectory(outputDirectory);
        var audio = options.ExtractAudio && probe.Audio is { Codec: not "unknown" } ? probe.Audio : null;
        var lockdown = ContainerPolicy.InputLockdownArguments(limits.DemuxerWhitelist);

        // Everything unfinished (the audio) lives in a staging folder, so the folder of an attempt that died with its process
        // (ffmpeg dies with it: MediaProcess) is all that is left, and StagingSweeper removes it once nothing has touched it
        // for a while (the heartbeat below keeps a live one fresh).
        var staging = Path.Combine(outputDirectory, StagingSweeper.StagingPrefix + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(staging);
        using var heartbeat = StagingSweeper.KeepFresh(staging);
        var audioTemp = Path.Combine(staging, AudioFileName + ".partial");
        var maxFrames = limits.MaxFrameCount;

        // Frame times from the demuxed packets: cheap (no decode), runs alongside everything else.
        var packetsTask = ReadPacketTimelineAsync(fullPath, probe, video, lockdown, cancellationToken);
        var audioCopied = false;
        try
        {
            // A clip the track job's single-decode pass will decode whole (options.PassChunkSize) is counted from its packets
            // when they give the frames as they are (DemuxedPackets.FramesAsPackets): the pass's own decode is then the
            // check, and a file that stops decoding fails the pass as corrupt (FrameRangeReader). Only its first frame is
            // decoded here, so a stream nothing decodes is still refused at once.
            if (options.PassChunkSize is not null && PacketsMayCountFrames(probe, video))
            {
                var firstFrameTask = DecodeAsync(fullPath, video, lockdown, 1, null, audioTemp, cancellationToken);
                var audioTask = audio is null ? Task.FromResult<MediaProcessResult?>(null) : CopyAudioAsync(fullPath, audio, lockdown, audioTemp, cancellationToken);
                var packets = await packetsTask.ConfigureAwait(false);
                var (firstFrame, firstResult) = await firstFrameTask.ConfigureAwait(false);
                var audioResult = await audioTask.ConfigureAwait(false);
                if (firstFrame.Count == 0)
                {
                    throw NoDecodableFrames(video, MediaProbe.LastMeaningfulLine(firstResult.StandardError, fullPath));
                }

                // The audio copied cleanly is kept whichever way the frames are counted; otherwise the decode below copies it
                // again, and refuses the file if it fails there too.
                audioCopied = audioResult is { ExitCode: 0 } copied && !CutShort(copied.StandardError);

                if (packets.Timeline is { } counted && packets.FramesAsPackets && CoversTheStream(counted, probe, video) && (audio is null || audioCopied))
                {
                    ThrowIfTooMany(counted.FrameCount, maxFrames);
                    return Complete(counted with { Seekable = true, DecoderTimes = true, DecodeCounted = false });
                }
            }

            var decode = await DecodeAsync(fullPath, video, lockdown, maxFrames + 1, audioCopied ? null : audio, audioTemp, cancellationToken).ConfigureAwait(false);
            var (decoded, result) = decode;
            cancellationToken.ThrowIfCancellationRequested();
            long frameCount = decoded.Count;

            var stderr = result.StandardError;
            var lastError = MediaProbe.LastMeaningfulLine(stderr, fullPath);
            if (frameCount == 0)
            {
                throw NoDecodableFrames(video, lastError);
            }

            ThrowIfTooMany(frameCount, maxFrames);
            if (result.ExitCode != 0 || CutShort(stderr))
            {
                throw new MediaRejectedException(
                    MediaRejectionKind.Corrupt,
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"The file is truncated or corrupt: decoding stopped after {frameCount} of about {video.EstimatedFrameCount} frames ({lastError ?? $"ffmpeg exit code {result.ExitCode}"}). Re-export or upload the file again."));
            }

            var timeline = (await packetsTask.ConfigureAwait(false)).Timeline;
            if (timeline is null || timeline.FrameCount != frameCount)
            {
                timeline = await ReadDecodedTimelineAsync(fullPath, probe, video, lockdown, frameCount, cancellationToken).ConfigureAwait(false)
                    ?? ConstantRateTimeline(probe, video, frameCount);
            }

            // Frames are picked by their time only when the decoder times them as the timeline does (see SeekStable).
            var stable = SeekStable(timeline, decoded);
            return Complete(timeline with { Seekable = stable && SeeksByIndex(probe), DecoderTimes = stable });
        }
        catch
        {
            StagingSweeper.TryDeleteFolder(staging);
            await ObserveAsync(packetsTask).ConfigureAwait(false);
            throw;
        }
        finally
        {
            StagingSweeper.TryDeleteFolder(staging);
        }

        // The timeline saved, the audio moved to its final name, the clip cut into chunks.
        FrameExtractionResult Complete(FrameTimeline timeline)
        {
            string? audioName = null;
            if (audio is not null && File.Exists(audioTemp))
            {
                File.Move(audioTemp, Path.Combine(outputDirectory, AudioFileName), overwrite: true);
                audioName = AudioFileName;
            }

            timeline = timeline with
            {
                StreamIndex = video.Index,
                StartTimecode = StartTimecode(probe, video)?.ToString(),
                PlanesMatrix = DecodedPlanes.ExactMatrix(video),
            };
            timeline.Save(Path.Combine(outputDirectory, FrameTimeline.FileName));
            var frameCount = timeline.FrameCount;
            var chunkSize = timeline.PlanesMatrix is not null && options.PassChunkSize is { } passChunk ? passChunk : options.ChunkSize;
            var chunks = new List<FrameChunk>();
            for (long first = 0; first < frameCount; first += chunkSize)
            {
                chunks.Add(new FrameChunk(chunks.Count, first, (int)Math.Min(chunkSize, frameCount - first)));
            }

            return new FrameExtractionResult(
                outputDirectory,
                width,
                height,
                video.FrameRate,
                frameCount,
                probe.Duration,
                chunks,
                audioName is not null,
                audioName,
                FrameTimeline.FileName,
                probe,
                fullPath,
                timeline.PlanesMatrix);
        }
    }

    /// <summary>
    /// Whether the clip's packets may stand for its frames (then <see cref="DemuxedPackets"/> decides on the packets
    /// themselves): H.264 or HEVC as exact 4:2:0 planes (the pass's clips), progressive (an interlaced stream may carry a
    /// field per packet), in a container that seeks by an index (MP4/MOV, Matroska: the pass's pieces seek).
    /// </summary>
    internal static bool PacketsMayCountFrames(VideoProbe probe, VideoStreamProbe video) =>
        video.Codec is "h264" or "hevc"
        && DecodedPlanes.ExactMatrix(video) is not null
        && video.FieldOrder is null or "progressive"
        && SeeksByIndex(probe);

    /// <summary>
    /// Whether the listed packets reach the end the file declares: its frame count (MP4/MOV's sample table) when it gives
    /// one, and its video stream's end within two frames. A file cut short lists fewer packets than it declares; it is
    /// decoded, which refuses it as truncated.
    /// </summary>
    internal static bool CoversTheStream(FrameTimeline timeline, VideoProbe probe, VideoStreamProbe video)
    {
        if (video.DeclaredFrameCount is { } declared && declared != timeline.FrameCount)
        {
            return false;
        }

        if (timeline.EndSeconds is not { } end || timeline.Seconds.Count == 0)
        {
            return video.DeclaredFrameCount is not null;
        }

        var frame = video.FrameRate.IsPositive ? (double)video.FrameRate.Denominator / video.FrameRate.Numerator : 0.04;
        return timeline.Seconds[^1] >= end - (2 * frame) - 1e-6;
    }

    /// <summary>ffmpeg's word for a file that ends before its index says it does (it still exits 0).</summary>
    private static bool CutShort(IReadOnlyList<string> standardError) =>
        standardError.Any(l => l.Contains("partial file", StringComparison.Ordinal));

    /// <summary>The arguments every ffmpeg run of extraction starts with: quiet, no console input, overwrite, the input lockdown.</summary>
    private static List<string> FfmpegArguments(string lockdown) => ["-hide_banner", "-nostdin", "-loglevel", "error", "-y", .. Split(lockdown)];

    private static MediaRejectedException NoDecodableFrames(VideoStreamProbe video, string? lastError) =>
        new(
            MediaRejectionKind.NoDecodableFrames,
            lastError is null
                ? $"The upload has no decodable video frames ({video.Codec})."
                : $"The upload has no decodable video frames ({video.Codec}: {lastError}).");

    private static void ThrowIfTooMany(long frameCount, long maxFrames)
    {
        if (frameCount > maxFrames)
        {
            throw new MediaRejectedException(
                MediaRejectionKind.TooManyFrames,
                string.Create(CultureInfo.InvariantCulture, $"The clip has more than {maxFrames} frames, the limit; trim it before uploading."));
        }
    }

    /// <summary>
    /// Decodes up to <paramref name="frameLimit"/> frames of the video stream to nothing, and copies <paramref name="audio"/>
    /// (when given) losslessly to <paramref name="audioTemp"/> in the same process. The decode: the stream as decoded (no
    /// rotation, no conversion: neither changes the count), every frame kept. framecrc of the frames as they leave the
    /// decoder (wrapped, not copied: cheap) prints one line per frame with its time in the stream's own time base: the
    /// count, and the decoder's frame times (see SeekStable). The pictures themselves are never looked at, so the in-loop
    /// deblocking (and HEVC's SAO) is skipped: which frames come out and when does not depend on it, and it is about a
    /// sixth of an H.264 decode (issue 16).
    /// </summary>
    private static async Task<(List<long> Decoded, MediaProcessResult Result)> DecodeAsync(
        string fullPath, VideoStreamProbe video, string lockdown, long frameLimit, AudioStreamProbe? audio, string audioTemp, CancellationToken cancellationToken)
    {
        var arguments = FfmpegArguments(lockdown);
        arguments.AddRange(["-autorotate", "0", "-skip_loop_filter", "all", "-i", fullPath]);
        arguments.AddRange(["-map", string.Create(CultureInfo.InvariantCulture, $"0:{video.Index}"), "-an", "-sn", "-dn", "-fps_mode", "passthrough"]);
        arguments.AddRange(["-frames:v", frameLimit.ToString(CultureInfo.InvariantCulture), "-enc_time_base:v", "-1", "-c:v", "wrapped_avframe", "-f", "framecrc", "pipe:1"]);
        if (audio is not null)
        {
            arguments.AddRange(AudioOutput(audio, audioTemp));
        }

        var decoded = new List<long>();
        var result = await MediaProcess.RunAsync(
            "ffmpeg", arguments, cancellationToken: cancellationToken,
            outputLine: line =>
            {
                if (DecodedFrameTime(line) is { } time)
                {
                    decoded.Add(time);
                }
            }).ConfigureAwait(false);
        return (decoded, result);
    }

    /// <summary>Copies the audio stream losslessly to <paramref name="audioTemp"/>, demuxing only (the video is not decoded).</summary>
    private static async Task<MediaProcessResult?> CopyAudioAsync(string fullPath, AudioStreamProbe audio, string lockdown, string audioTemp, CancellationToken cancellationToken)
    {
        var arguments = FfmpegArguments(lockdown);
        arguments.AddRange(["-i", fullPath]);
        arguments.AddRange(AudioOutput(audio, audioTemp));
        return await MediaProcess.RunAsync("ffmpeg", arguments, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    private static string[] AudioOutput(AudioStreamProbe audio, string audioTemp)
    {
        var codec = MatroskaAudioCodecs.Contains(audio.Codec) || audio.Codec.StartsWith("pcm_", StringComparison.Ordinal) ? "copy" : "flac";
        return ["-map", string.Create(CultureInfo.InvariantCulture, $"0:{audio.Index}"), "-vn", "-sn", "-dn", "-c:a", codec, "-f", "matroska", audioTemp];
    }

    /// <summary>
    /// The source's start timecode (<see cref="VideoProbe.StartTimecode"/>) counted at its video's frame rate; null when it
    /// has none or one that is no timecode at that rate (a drop-frame label at 25 fps, say).
    /// </summary>
    internal static Timecode? StartTimecode(VideoProbe probe, VideoStreamProbe video) =>
        video.FrameRate.IsPositive && Timecode.TryParse(probe.StartTimecode, video.FrameRate, out var start) ? start : null;

    /// <summary>Containers whose seek goes by an index to a key frame at or before the time asked for.</summary>
    internal static bool SeeksByIndex(VideoProbe probe) =>
        probe.FormatNames.Any(name => name is "mov" or "mp4" or "matroska" or "webm");

    /// <summary>
    /// The time of a frame the decoder put out, from one of ffmpeg's framecrc lines, in the stream's time base (shifted by the
    /// container's start: only differences count); <see cref="long.MinValue"/> for a frame without a time, null for a line
    /// that is no frame (blank, or a # header). The decode's lines are read as they come, one frame each.
    /// </summary>
    internal static long? DecodedFrameTime(string line)
    {
        var text = line.AsSpan().Trim();
        if (text.IsEmpty || text[0] == '#')
        {
            return null;
        }

        // stream, dts, pts, duration, size, crc
        Span<Range> fields = stackalloc Range[4];
        var count = text.Split(fields, ',', StringSplitOptions.TrimEntries);
        return count > 2 && long.TryParse(text[fields[2]], NumberStyles.Integer, CultureInfo.InvariantCulture, out var pts) ? pts : long.MinValue;
    }

    /// <summary>
    /// Whether frames can be picked by their time after a seek: the decoder gave every frame of the one-piece decode exactly
    /// the timeline's time (up to the constant container offset). When it did not (duplicate or out-of-order pts, which the
    /// decoder replaces by guesses that depend on what it decoded before), a decode that starts elsewhere may time the same
    /// frame differently, so the clip is decoded from its start and frames counted.
    /// </summary>
    internal static bool SeekStable(FrameTimeline timeline, IReadOnlyList<long> decoded)
    {
        if (timeline.Pts.Count != decoded.Count || decoded.Count == 0 || decoded.Contains(long.MinValue))
        {
            return false;
        }

        for (var i = 1; i < decoded.Count; i++)
        {
            if (decoded[i] - decoded[0] != timeline.Pts[i] - timeline.Pts[0] || decoded[i] <= decoded[i - 1])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The timeline from the demuxed packets (null when they cannot give one), and whether they are the frames as they are.</summary>
    private sealed record PacketTimeline(FrameTimeline? Timeline, bool FramesAsPackets);

    private static async Task<PacketTimeline> ReadPacketTimelineAsync(
        string path, VideoProbe probe, VideoStreamProbe video, string lockdown, CancellationToken cancellationToken)
    {
        if (video.TimeBase is not { } timeBase)
        {
            return new PacketTimeline(null, false);
        }

        try
        {
            var packets = new DemuxedPackets();
            var listing = await ReadEntriesAsync(path, lockdown, video, "packet=pts,pts_time,dts,flags", packet =>
            {
                // pts, pts_time, dts, flags (ffprobe's own field order)
                var timed = packet.Length >= 4 && packet[1] is not ("" or "N/A");
                packets.Add(timed ? Long(packet[0]) : null, packet.Length >= 4 ? Long(packet[2]) : null, packet.Length >= 4 ? packet[3] : "");
            }, cancellationToken).ConfigureAwait(false);
            if (!listing.Listed || !packets.EveryPacketTimed)
            {
                return new PacketTimeline(null, false);
            }

            // A listing that ran into errors (a file cut short, say) may have listed fewer packets than the file has frames.
            return new PacketTimeline(BuildTimeline(probe, video, timeBase, packets.SortedPts(), "packets"), packets.FramesAsPackets && listing.Clean);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return new PacketTimeline(null, false);
        }
    }

    /// <summary>Fallback when packets and decoded frames disagree: ffprobe decodes the stream and reports each frame's time.</summary>
    private static async Task<FrameTimeline?> ReadDecodedTimelineAsync(
        string path, VideoProbe probe, VideoStreamProbe video, string lockdown, long expectedFrames, CancellationToken cancellationToken)
    {
        if (video.TimeBase is not { } timeBase)
        {
            return null;
        }

        try
        {
            var pts = new List<long>();
            var everyFrameTimed = true;
            var listing = await ReadEntriesAsync(path, lockdown, video, "frame=best_effort_timestamp,best_effort_timestamp_time", frame =>
            {
                // best_effort_timestamp, best_effort_timestamp_time
                if (frame.Length < 2 || Long(frame[0]) is not { } value || frame[1] is "" or "N/A")
                {
                    everyFrameTimed = false;
                }
                else
                {
                    pts.Add(value);
                }
            }, cancellationToken).ConfigureAwait(false);
            if (!listing.Listed || !everyFrameTimed || pts.Count != expectedFrames)
            {
                return null;
            }

            return BuildTimeline(probe, video, timeBase, pts, "frames");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>
    /// Hands each of the video stream's packets or frames, as ffprobe shows them with only <paramref name="entries"/>
    /// (packet=… or frame=…), to <paramref name="entry"/> as its fields in ffprobe's own order; Listed is false when ffprobe
    /// fails, Clean false when it reported any error on the way.
    /// Read as CSV line by line as ffprobe writes it, never held whole: a 36,000-frame clip's listing is a few MB of text
    /// (issue 16: memory flat in length).
    /// </summary>
    private static async Task<(bool Listed, bool Clean)> ReadEntriesAsync(
        string path, string lockdown, VideoStreamProbe video, string entries, Action<string[]> entry, CancellationToken cancellationToken)
    {
        string[] arguments =
        [
            "-loglevel", "error", "-print_format", "csv=p=0", .. Split(lockdown),
            "-select_streams", video.Index.ToString(CultureInfo.InvariantCulture), "-show_entries", entries, path,
        ];
        var result = await MediaProcess.RunAsync(
            "ffprobe", arguments, cancellationToken: cancellationToken,
            outputLine: line =>
            {
                if (line.Length > 0)
                {
                    entry(line.Split(','));
                }
            }).ConfigureAwait(false);
        return (result.ExitCode == 0, result.ExitCode == 0 && result.StandardError.All(string.IsNullOrWhiteSpace));
    }

    private static long? Long(string text) => long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number) ? number : null;

    private static string[] Split(string arguments) => arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static FrameTimeline BuildTimeline(VideoProbe probe, VideoStreamProbe video, Rational timeBase, IReadOnlyList<long> pts, string source)
    {
        var start = (decimal)probe.StartTime.Ticks / TimeSpan.TicksPerSecond;
        var seconds = pts.Select(p => (double)((p * (decimal)timeBase.Numerator / timeBase.Denominator) - start)).ToList();
        return new FrameTimeline(video.FrameRate.ToString(), timeBase.ToString(), (double)start, source, pts, seconds, StreamEnd(probe, video));
    }

    /// <summary>The video stream's end (its start plus its duration) on the timeline's clock, when the probe knows its duration.</summary>
    private static double? StreamEnd(VideoProbe probe, VideoStreamProbe video) =>
        video.Duration is { } duration && duration > TimeSpan.Zero
            ? ((video.StartTime ?? probe.StartTime) + duration - probe.StartTime).TotalSeconds
            : null;

    private static FrameTimeline ConstantRateTimeline(VideoProbe probe, VideoStreamProbe video, long frameCount)
    {
        var first = (decimal)((video.StartTime ?? probe.StartTime) - probe.StartTime).Ticks / TimeSpan.TicksPerSecond;
        var rate = video.FrameRate.IsPositive ? video.FrameRate : new Rational(25, 1);
        var seconds = new List<double>((int)frameCount);
        for (long i = 0; i < frameCount; i++)
        {
            seconds.Add((double)(first + (i * (decimal)rate.Denominator / rate.Numerator)));
        }

        return new FrameTimeline(rate.ToString(), null, probe.StartTime.TotalSeconds, "constant-rate", [], seconds, StreamEnd(probe, video));
    }

    private static async Task ObserveAsync(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Already failing for another reason; the timeline is moot.
        }
    }
}
