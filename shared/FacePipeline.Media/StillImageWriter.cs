namespace FacePipeline.Media;

/// <summary>Writes one RGB24 picture as an image file through ffmpeg (the format follows the extension: .png, .jpg…).</summary>
public static class StillImageWriter
{
    /// <summary>Encodes <paramref name="rgb24"/> (<paramref name="width"/>×<paramref name="height"/>) to <paramref name="path"/>, written under a temporary name and renamed.</summary>
    /// <exception cref="InvalidOperationException">ffmpeg failed.</exception>
    public static async Task WriteAsync(ReadOnlyMemory<byte> rgb24, int width, int height, string path, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (rgb24.Length != width * height * 3)
        {
            throw new ArgumentException($"Expected {width * height * 3} RGB24 bytes for {width}x{height}, got {rgb24.Length}.", nameof(rgb24));
        }

        var extension = Path.GetExtension(path);
        var temp = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path))!, $".{Path.GetFileNameWithoutExtension(path)}.{Guid.NewGuid():N}.partial{extension}");
        var source = new RawFramePipeSource(One(rgb24), width, height, new Rational(1, 1));
        try
        {
            string[] arguments =
            [
                "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
                .. source.GetStreamArguments().Split(' ', StringSplitOptions.RemoveEmptyEntries), "-i", "pipe:0",
                "-frames:v", "1", "-update", "1", temp,
            ];
            var result = await MediaProcess.RunAsync("ffmpeg", arguments, source.WriteAsync, captureOutput: false, cancellationToken).ConfigureAwait(false);
            if (result.ExitCode != 0 || !File.Exists(temp))
            {
                throw new InvalidOperationException(
                    $"ffmpeg could not write the picture {Path.GetFileName(path)} (exit code {result.ExitCode}): {MediaProbe.LastMeaningfulLine(result.StandardError) ?? "no error output"}");
            }

            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
            {
                File.Delete(temp);
            }
        }
    }

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> One(ReadOnlyMemory<byte> frame)
    {
        await Task.CompletedTask;
        yield return frame;
    }
}
