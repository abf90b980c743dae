using System.Globalization;
using FFMpegCore;
using FFMpegCore.Enums;

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
        var audioTemp = Path.Combine(outputDirectory, AudioFileName + ".partial");
        var lockdown = ContainerPolicy.InputLockdownArguments(limits.DemuxerWhitelist);

        // ffmpeg writes the chunk files itself (segment muxer, split every ChunkSize frames) into a
        // staging folder: no pipe and no copy through this process, which is what keeps extraction
        // close to ffmpeg's bare decode speed. Chunks are renamed into place once ffmpeg succeeded.
        var staging = Path.Combine(outputDirectory, $".staging-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        var maxFrames = limits.MaxFrameCount;
        // Split points up to twice the probe's estimate (the argument list stays small); should a clip
        // hold more frames than that, its last chunk is simply longer. Chunk sizes are read back from the files.
        var splitUpTo = Math.Min(maxFrames, (Math.Max(video.EstimatedFrameCount, 1) * 2) + (2L * options.ChunkSize));
        var splits = string.Join(',', Enumerable.Range(1, (int)Math.Min(20_000, splitUpTo / options.ChunkSize)).Select(i => (long)i * options.ChunkSize));
        var segmentFrames = splits.Length > 0 ? $" -segment_frames {splits}" : string.Empty;
        var videoOutput = string.Create(
            CultureInfo.InvariantCulture,
            $"{RawVideoOutputArguments(video)} -frames:v {maxFrames + 1} -c:v rawvideo -f segment -segment_format rawvideo -reset_timestamps 1{segmentFrames}");
        var videoTarget = Path.Combine(staging, "chunk-%05d.rgb24");

        var arguments = FFMpegArguments.FromFileInput(fullPath, verifyExists: false, o => o.WithCustomArgument(lockdown));
        var processor = audio is null
            ? arguments.OutputToFile(videoTarget, overwrite: true, o => o.WithCustomArgument(videoOutput))
            : arguments.OutputToMany(outputs =>
            {
                outputs.OutputToFile(videoTarget, overwrite: true, o => o.WithCustomArgument(videoOutput));
                var codec = MatroskaAudioCodecs.Contains(audio.Codec) || audio.Codec.StartsWith("pcm_", StringComparison.Ordinal) ? "copy" : "flac";
                outputs.OutputToFile(audioTemp, overwrite: true, o => o.WithCustomArgument(
                    string.Create(CultureInfo.InvariantCulture, $"-map 0:{audio.Index} -vn -sn -dn -c:a {codec} -f matroska")));
            });

        // Frame times from the demuxed packets: cheap (no second decode), runs alongside the decode.
        var timelineTask = ReadPacketTimelineAsync(fullPath, probe, video, lockdown, cancellationToken);
        var chunks = new List<FrameChunk>();

        FFMpegResult result;
        try
        {
            result = await processor
                .WithLogLevel(FFMpegLogLevel.Error)
                .ProcessAsynchronously(throwOnError: false, ffOptions: null, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception)
        {
            DeleteOutputs(staging, outputDirectory, chunks);
            TryDelete(audioTemp);
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
            TryDelete(audioTemp);
            await ObserveAsync(timelineTask).ConfigureAwait(false);
            throw;
        }
        finally
        {
            if (Directory.Exists(staging))
            {
                Directory.Delete(staging, recursive: true);
            }
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

        if (Directory.Exists(staging))
        {
            Directory.Delete(staging, recursive: true);
        }
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
            var packets = await FFProbe.GetPacketsAsync(
                path,
                ffOptions: null,
                customArguments: string.Create(CultureInfo.InvariantCulture, $"{lockdown} -select_streams {video.Index} -show_entries packet=pts,pts_time,flags"),
                cancellationToken).ConfigureAwait(false);
            var pts = new List<long>(packets.Packets.Count);
            foreach (var packet in packets.Packets)
            {
                if (packet.PtsTime is null || packet.PtsTime == "N/A")
                {
                    return null; // a packet without pts: the packets cannot give exact frame times
                }

                if (packet.Flags?.Contains('D', StringComparison.Ordinal) == true)
                {
                    continue; // discarded by the decoder (edit-list pre-roll): no output frame
                }

                pts.Add(packet.Pts);
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
            var frames = await FFProbe.GetFramesAsync(
                path,
                ffOptions: null,
                customArguments: string.Create(CultureInfo.InvariantCulture, $"{lockdown} -select_streams {video.Index} -show_entries frame=best_effort_timestamp,best_effort_timestamp_time"),
                cancellationToken).ConfigureAwait(false);
            if (frames.Frames.Count != expectedFrames || frames.Frames.Any(f => f.BestEffortTimestampTime is null or "N/A"))
            {
                return null;
            }

            return BuildTimeline(probe, video, timeBase, frames.Frames.Select(f => f.BestEffortTimestamp).ToList(), "frames");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return null;
        }
    }

    private static FrameTimeline BuildTimeline(VideoProbe probe, VideoStreamProbe video, Rational timeBase, IReadOnlyList<long> pts, string source)
    {
        var start = (decimal)probe.StartTime.Ticks / TimeSpan.TicksPerSecond;
        var seconds = pts.Select(p => (double)((p * (decimal)timeBase.Numerator / timeBase.Denominator) - start)).ToList();
        return new FrameTimeline(video.FrameRate.ToString(), timeBase.ToString(), (double)start, source, pts, seconds);
    }

    private static FrameTimeline ConstantRateTimeline(VideoProbe probe, VideoStreamProbe video, long frameCount)
    {
        var first = (decimal)((video.StartTime ?? probe.StartTime) - probe.StartTime).Ticks / TimeSpan.TicksPerSecond;
        var rate = video.FrameRate.IsPositive ? video.FrameRate : new Rational(25, 1);
        var seconds = new List<double>((int)frameCount);
        for (long i = 0; i < frameCount; i++)
        {
            seconds.Add((double)(first + (i * (decimal)rate.Denominator / rate.Numerator)));
        }

        return new FrameTimeline(rate.ToString(), null, probe.StartTime.TotalSeconds, "constant-rate", [], seconds);
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
