using System.Globalization;

namespace FacePipeline.Media;

/// <summary>
/// Probes, validates and measures a clip: ONE ffmpeg process decodes it once, to nothing (every frame must decode; the
/// decoder's frame count is the clip's), and copies its audio losslessly (audio.mka); its per-frame timeline
/// (timeline.json) comes from the demuxed packets (or, when they disagree with the decoder, the decoded frames). No frames
/// are stored (issue 16): the clip is cut into chunks that are runs of frames, which the stages decode from the clip
/// themselves (<see cref="FrameRangeReader"/>).
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
    /// Probes and validates <paramref name="inputPath"/>, decodes it once to count and check its frames, writes its timeline
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

        var arguments = new List<string> { "-hide_banner", "-nostdin", "-loglevel", "error", "-y" };
        arguments.AddRange(Split(lockdown));
        // The decode to nothing: the stream as decoded (no rotation, no conversion: neither changes the count), every frame
        // kept. framecrc of the frames as they leave the decoder (wrapped, not copied: cheap) prints one line per frame with
        // its time in the stream's own time base: the count, and the decoder's frame times (see SeekStable). The pictures
        // themselves are never looked at, so the in-loop deblocking (and HEVC's SAO) is skipped: which frames come out and
        // when does not depend on it, and it is about a sixth of an H.264 decode (issue 16).
        arguments.AddRange(["-autorotate", "0", "-skip_loop_filter", "all", "-i", fullPath]);
        arguments.AddRange(["-map", string.Create(CultureInfo.InvariantCulture, $"0:{video.Index}"), "-an", "-sn", "-dn", "-fps_mode", "passthrough"]);
        arguments.AddRange(["-frames:v", (maxFrames + 1).ToString(CultureInfo.InvariantCulture), "-enc_time_base:v", "-1", "-c:v", "wrapped_avframe", "-f", "framecrc", "pipe:1"]);
        if (audio is not null)
        {
            var codec = MatroskaAudioCodecs.Contains(audio.Codec) || audio.Codec.StartsWith("pcm_", StringComparison.Ordinal) ? "copy" : "flac";
            arguments.AddRange(["-map", string.Create(CultureInfo.InvariantCulture, $"0:{audio.Index}"), "-vn", "-sn", "-dn", "-c:a", codec, "-f", "matroska", audioTemp]);
        }

        // Frame times from the demuxed packets: cheap (no second decode), runs alongside the decode.
        var timelineTask = ReadPacketTimelineAsync(fullPath, probe, video, lockdown, cancellationToken);
        var chunks = new List<FrameChunk>();
        var decoded = new List<long>();

        MediaProcessResult result;
        try
        {
            result = await MediaProcess.RunAsync(
                "ffmpeg", arguments, cancellationToken: cancellationToken,
                outputLine: line =>
                {
                    if (DecodedFrameTime(line) is { } time)
                    {
                        decoded.Add(time);
                    }
                }).ConfigureAwait(false);
        }
        catch (Exception)
        {
            StagingSweeper.TryDeleteFolder(staging);
            await ObserveAsync(timelineTask).ConfigureAwait(false);
            throw;
        }

        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            long frameCount = decoded.Count;

            var stderr = result.StandardError;
            var lastError = MediaProbe.LastMeaningfulLine(stderr, fullPath);
            if (frameCount == 0)
            {
                throw new MediaRejectedException(
                    MediaRejectionKind.NoDecodableFrames,
                    lastError is null
                        ? $"The upload has no decodable video frames ({video.Codec})."
                        : $"The upload has no decodable video frames ({video.Codec}: {lastError}).");
            }

            if (frameCount > maxFrames)
            {
                throw new MediaRejectedException(
                    MediaRejectionKind.TooManyFrames,
                    string.Create(CultureInfo.InvariantCulture, $"The clip has more than {maxFrames} frames, the limit; trim it before uploading."));
            }

            var truncated = stderr.Any(l => l.Contains("partial file", StringComparison.Ordinal));
            if (result.ExitCode != 0 || truncated)
            {
                throw new MediaRejectedException(
                    MediaRejectionKind.Corrupt,
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"The file is truncated or corrupt: decoding stopped after {frameCount} of about {video.EstimatedFrameCount} frames ({lastError ?? $"ffmpeg exit code {result.ExitCode}"}). Re-export or upload the file again."));
            }

            string? audioName = null;
            if (audio is not null && File.Exists(audioTemp))
            {
                File.Move(audioTemp, Path.Combine(outputDirectory, AudioFileName), overwrite: true);
                audioName = AudioFileName;
            }

            var timeline = await timelineTask.ConfigureAwait(false);
            if (timeline is null || timeline.FrameCount != frameCount)
            {
                timeline = await ReadDecodedTimelineAsync(fullPath, probe, video, lockdown, frameCount, cancellationToken).ConfigureAwait(false)
                    ?? ConstantRateTimeline(probe, video, frameCount);
            }

            // Frames are picked by their time only when the decoder times them as the timeline does (see SeekStable).
            var stable = SeekStable(timeline, decoded);
            timeline = timeline with
            {
                StreamIndex = video.Index,
                Seekable = stable && SeeksByIndex(probe),
                DecoderTimes = stable,
                StartTimecode = StartTimecode(probe, video)?.ToString(),
                PlanesMatrix = DecodedPlanes.ExactMatrix(video),
            };
            timeline.Save(Path.Combine(outputDirectory, FrameTimeline.FileName));
            var chunkSize = timeline.PlanesMatrix is not null && options.PassChunkSize is { } passChunk ? passChunk : options.ChunkSize;
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
        catch
        {
            StagingSweeper.TryDeleteFolder(staging);
            await ObserveAsync(timelineTask).ConfigureAwait(false);
            throw;
        }
        finally
        {
            StagingSweeper.TryDeleteFolder(staging);
        }
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

    private static async Task<FrameTimeline?> ReadPacketTimelineAsync(
        string path, VideoProbe probe, VideoStreamProbe video, string lockdown, CancellationToken cancellationToken)
    {
        if (video.TimeBase is not { } timeBase)
        {
            return null;
        }

        try
        {
            var pts = new List<long>();
            var everyPacketTimed = true;
            var listed = await ReadEntriesAsync(path, lockdown, video, "packet=pts,pts_time,flags", packet =>
            {
                // pts, pts_time, flags (ffprobe's own field order)
                if (packet.Length < 3 || Long(packet[0]) is not { } value || packet[1] is "" or "N/A")
                {
                    everyPacketTimed = false; // a packet without pts: the packets cannot give exact frame times
                }
                else if (!packet[2].Contains('D', StringComparison.Ordinal)) // D: discarded by the decoder (edit-list pre-roll)
                {
                    pts.Add(value);
                }
            }, cancellationToken).ConfigureAwait(false);
            if (!listed || !everyPacketTimed)
            {
                return null;
            }

            pts.Sort();
            return BuildTimeline(probe, video, timeBase, pts, "packets");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return null;
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
            var listed = await ReadEntriesAsync(path, lockdown, video, "frame=best_effort_timestamp,best_effort_timestamp_time", frame =>
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
            if (!listed || !everyFrameTimed || pts.Count != expectedFrames)
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
    /// (packet=… or frame=…), to <paramref name="entry"/> as its fields in ffprobe's own order; false when ffprobe fails.
    /// Read as CSV line by line as ffprobe writes it, never held whole: a 36,000-frame clip's listing is a few MB of text
    /// (issue 16: memory flat in length).
    /// </summary>
    private static async Task<bool> ReadEntriesAsync(
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
        return result.ExitCode == 0;
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
