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
}
