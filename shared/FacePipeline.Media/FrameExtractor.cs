using System.Globalization;
using System.Text.Json;

namespace FacePipeline.Media;

/// <summary>
/// Decodes a clip to raw RGB24 chunk files (chunk-00000.rgb24, ...), a per-frame timeline (timeline.json)
/// and a lossless copy of its audio (audio.mka), with ONE ffmpeg process whose raw video output ffmpeg's
/// segment muxer cuts into chunk files on disk (memory does not grow with the clip).
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
    /// The ffmpeg output options the extractor decodes with (before <c>-f rawvideo</c> and the pipe), so a
    /// benchmark can time plain <c>ffmpeg -i clip {these} -f rawvideo -y /dev/null</c> against
    /// <see cref="ExtractAsync"/> on identical work. The explicit scale to the display size is a no-op resize
    /// (ffmpeg's autorotation runs before it); it pins the frame size so a mid-stream resolution change cannot
    /// shift the frame boundaries.
    /// </summary>
    public static string RawVideoOutputArguments(VideoStreamProbe video)
    {
        ArgumentNullException.ThrowIfNull(video);
        return string.Create(
            CultureInfo.InvariantCulture,
            $"-map 0:{video.Index} -an -sn -dn -vf scale={video.DisplayWidth}:{video.DisplayHeight} -pix_fmt rgb24 -fps_mode passthrough");
    }

    /// <summary>"chunk-00000.rgb24" for index 0.</summary>
    public static string ChunkFileName(int index) => string.Create(CultureInfo.InvariantCulture, $"chunk-{index:00000}.rgb24");

    /// <summary>
    /// Probes and validates <paramref name="inputPath"/>, then writes its frames (rotation applied, every decoded
    /// frame kept) to <paramref name="outputDirectory"/> in chunks of <see cref="FrameExtractionOptions.ChunkSize"/>
    /// frames. Each file appears under its final name only once complete (written to a temporary name, then renamed).
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
        var fullPath = Path.GetFullPath(inputPath);
        var limits = options.Limits;

        var probe = await MediaProbe.ProbeAsync(fullPath, limits, cancellationToken).ConfigureAwait(false);
        var video = VideoValidator.Validate(probe, limits);
        var width = video.DisplayWidth;
        var height = video.DisplayHeight;
        var frameSize = checked(width * height * 3);

        outputDirectory = Path.GetFullPath(outputDirectory);
        Directory.CreateDirectory(outputDirectory);
        var audio = options.ExtractAudio && probe.Audio is { Codec: not "unknown" } ? probe.Audio : null;
        var lockdown = ContainerPolicy.InputLockdownArguments(limits.DemuxerWhitelist);

        // ffmpeg writes the chunk files itself (segment muxer, split every ChunkSize frames) into a
        // staging folder: no pipe and no copy through this process, which is what keeps extraction
        // close to ffmpeg's bare decode speed. Chunks are renamed into place once ffmpeg succeeded.
        // Everything unfinished (chunks, the audio) lives in the staging folder, so the folder of an attempt
        // that died with its process (ffmpeg dies with it: MediaProcess) is all that is left, and
        // StagingSweeper removes it once nothing has touched it for a while (the heartbeat below keeps a live one fresh).
        var staging = Path.Combine(outputDirectory, StagingSweeper.StagingPrefix + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(staging);
        using var heartbeat = StagingSweeper.KeepFresh(staging);
        var audioTemp = Path.Combine(staging, AudioFileName + ".partial");
        var maxFrames = limits.MaxFrameCount;
        // Split points up to twice the probe's estimate (the argument list stays small); should a clip
        // hold more frames than that, its last chunk is simply longer. Chunk sizes are read back from the files.
        var splitUpTo = Math.Min(maxFrames, (Math.Max(video.EstimatedFrameCount, 1) * 2) + (2L * options.ChunkSize));
        var splits = string.Join(',', Enumerable.Range(1, (int)Math.Min(20_000, splitUpTo / options.ChunkSize)).Select(i => (long)i * options.ChunkSize));
        var videoTarget = Path.Combine(staging, "chunk-%05d.rgb24");

        var arguments = new List<string> { "-hide_banner", "-nostdin", "-loglevel", "error", "-y" };
        arguments.AddRange(Split(lockdown));
        arguments.AddRange(["-i", fullPath]);
        arguments.AddRange(Split(RawVideoOutputArguments(video)));
        arguments.AddRange(["-frames:v", (maxFrames + 1).ToString(CultureInfo.InvariantCulture), "-c:v", "rawvideo", "-f", "segment", "-segment_format", "rawvideo", "-reset_timestamps", "1"]);
        if (splits.Length > 0)
        {
            arguments.AddRange(["-segment_frames", splits]);
        }

        arguments.Add(videoTarget);
        if (audio is not null)
        {
            var codec = MatroskaAudioCodecs.Contains(audio.Codec) || audio.Codec.StartsWith("pcm_", StringComparison.Ordinal) ? "copy" : "flac";
            arguments.AddRange(["-map", string.Create(CultureInfo.InvariantCulture, $"0:{audio.Index}"), "-vn", "-sn", "-dn", "-c:a", codec, "-f", "matroska", audioTemp]);
        }

        // Frame times from the demuxed packets: cheap (no second decode), runs alongside the decode.
        var timelineTask = ReadPacketTimelineAsync(fullPath, probe, video, lockdown, cancellationToken);
        var chunks = new List<FrameChunk>();

        MediaProcessResult result;
        try
        {
            result = await MediaProcess.RunAsync("ffmpeg", arguments, writeInput: null, captureOutput: false, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception)
        {
            DeleteOutputs(staging, outputDirectory, chunks);
            await ObserveAsync(timelineTask).ConfigureAwait(false);
            throw;
        }

        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            var frameCount = CollectChunks(staging, outputDirectory, frameSize, chunks);

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

            timeline.Save(Path.Combine(outputDirectory, FrameTimeline.FileName));

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
                probe);
        }
        catch
        {
            DeleteOutputs(staging, outputDirectory, chunks);
            await ObserveAsync(timelineTask).ConfigureAwait(false);
            throw;
        }
        finally
        {
            StagingSweeper.TryDeleteFolder(staging);
        }
    }

    /// <summary>
    /// Moves ffmpeg's segments from the staging folder to their final names, in order, and lists them.
    /// The frame count of each comes from its size, which must be a whole number of frames.
    /// </summary>
    private static long CollectChunks(string staging, string outputDirectory, int frameSize, List<FrameChunk> chunks)
    {
        long first = 0;
        foreach (var file in Directory.GetFiles(staging, "chunk-*.rgb24").Order(StringComparer.Ordinal))
        {
            var length = new FileInfo(file).Length;
            if (length == 0)
            {
                continue;
            }

            if (length % frameSize != 0)
            {
                throw new MediaRejectedException(MediaRejectionKind.Corrupt, "The file is corrupt: a decoded frame came out incomplete. Re-export or upload the file again.");
            }

            var index = chunks.Count;
            var count = checked((int)(length / frameSize));
            var name = ChunkFileName(index);
            File.Move(file, Path.Combine(outputDirectory, name), overwrite: true);
            chunks.Add(new FrameChunk(index, first, count, name));
            first += count;
        }

        return first;
    }

    private static void DeleteOutputs(string staging, string outputDirectory, List<FrameChunk> chunks)
    {
        foreach (var chunk in chunks)
        {
            TryDelete(Path.Combine(outputDirectory, chunk.FileName));
        }

        StagingSweeper.TryDeleteFolder(staging);
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
            var entries = await ReadEntriesAsync(path, lockdown, video, "packets", "packet=pts,pts_time,flags", cancellationToken).ConfigureAwait(false);
            if (entries is null)
            {
                return null;
            }

            var pts = new List<long>(entries.Count);
            foreach (var packet in entries)
            {
                if (Long(packet, "pts") is not { } value || Text(packet, "pts_time") is null or "N/A")
                {
                    return null; // a packet without pts: the packets cannot give exact frame times
                }

                if (Text(packet, "flags")?.Contains('D', StringComparison.Ordinal) == true)
                {
                    continue; // discarded by the decoder (edit-list pre-roll): no output frame
                }

                pts.Add(value);
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
            var frames = await ReadEntriesAsync(path, lockdown, video, "frames", "frame=best_effort_timestamp,best_effort_timestamp_time", cancellationToken).ConfigureAwait(false);
            if (frames is null || frames.Count != expectedFrames
                || frames.Any(f => Long(f, "best_effort_timestamp") is null || Text(f, "best_effort_timestamp_time") is null or "N/A"))
            {
                return null;
            }

            return BuildTimeline(probe, video, timeBase, frames.Select(f => Long(f, "best_effort_timestamp")!.Value).ToList(), "frames");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return null;
        }
    }

    /// <summary>
    /// ffprobe's <paramref name="section"/> ("packets" or "frames") of the video stream with only <paramref name="entries"/>,
    /// each entry as a JSON object; null when ffprobe fails.
    /// </summary>
    private static async Task<List<JsonElement>?> ReadEntriesAsync(
        string path, string lockdown, VideoStreamProbe video, string section, string entries, CancellationToken cancellationToken)
    {
        string[] arguments =
        [
            "-loglevel", "error", "-print_format", "json", .. Split(lockdown),
            "-select_streams", video.Index.ToString(CultureInfo.InvariantCulture), "-show_entries", entries, path,
        ];
        var result = await MediaProcess.RunAsync("ffprobe", arguments, writeInput: null, captureOutput: true, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            return null;
        }

        using var document = JsonDocument.Parse(result.StandardOutput);
        return document.RootElement.TryGetProperty(section, out var list) && list.ValueKind == JsonValueKind.Array
            ? [.. list.EnumerateArray().Select(e => e.Clone())]
            : [];
    }

    private static long? Long(JsonElement entry, string name) =>
        entry.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : null;

    private static string? Text(JsonElement entry, string name) =>
        entry.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

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

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
