using System.Globalization;
using System.Text.RegularExpressions;

namespace FacePipeline.EndToEnd.Tests;

/// <summary>
/// Reads what a worker finished, in order, from its log in the services' simple console format
/// (<c>2026-12-05 01:05:34.400 info: FacePipeline.Reconstruction.ReconstructFacesConsumer[0] =&gt; … Job {id} chunk 0: …</c>;
/// local time, to the millisecond): the worker's own view of when each piece of work ended.
/// </summary>
public static partial class WorkerLog
{
    [GeneratedRegex(@"^(?<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) info: [\w.]+\.(?<consumer>\w+)\[\d+\] .* Job (?<job>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b(?<rest>.*)$", RegexOptions.CultureInvariant)]
    private static partial Regex Line();

    /// <summary>The lines of <paramref name="consumer"/> that contain <paramref name="doneText"/> (its "done" line), in log order.</summary>
    public static IReadOnlyList<(DateTimeOffset At, Guid JobId)> Done(string log, string consumer, string doneText)
    {
        var done = new List<(DateTimeOffset, Guid)>();
        foreach (var line in log.Split('\n'))
        {
            var match = Line().Match(line.TrimEnd('\r'));
            if (match.Success && match.Groups["consumer"].Value == consumer && match.Groups["rest"].Value.Contains(doneText, StringComparison.Ordinal))
            {
                var local = DateTime.ParseExact(match.Groups["at"].Value, "yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal);
                done.Add((new DateTimeOffset(local), Guid.Parse(match.Groups["job"].Value)));
            }
        }

        return done;
    }

    [GeneratedRegex(@" chunk \d+: (?<frames>\d+) frames, \d+ with faces, (?<ms>[\d.]+) ms/frame", RegexOptions.CultureInvariant)]
    private static partial Regex ChunkDone();

    /// <summary>
    /// Each chunk Reconstruction finished, in log order, with when it started: its done line's time less its frames
    /// times its milliseconds a frame (to about a millisecond).
    /// </summary>
    public static IReadOnlyList<(DateTimeOffset Start, DateTimeOffset End, Guid JobId)> Chunks(string log)
    {
        var chunks = new List<(DateTimeOffset, DateTimeOffset, Guid)>();
        foreach (var line in log.Split('\n'))
        {
            var match = Line().Match(line.TrimEnd('\r'));
            var chunk = match.Success && match.Groups["consumer"].Value == "ReconstructFacesConsumer" ? ChunkDone().Match(match.Groups["rest"].Value) : null;
            if (chunk is { Success: true })
            {
                var end = new DateTimeOffset(DateTime.ParseExact(match.Groups["at"].Value, "yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal));
                var ms = int.Parse(chunk.Groups["frames"].Value, CultureInfo.InvariantCulture) * double.Parse(chunk.Groups["ms"].Value, CultureInfo.InvariantCulture);
                chunks.Add((end - TimeSpan.FromMilliseconds(ms), end, Guid.Parse(match.Groups["job"].Value)));
            }
        }

        return chunks;
    }
}
