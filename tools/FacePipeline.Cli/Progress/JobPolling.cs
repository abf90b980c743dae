using System.Runtime.CompilerServices;

namespace FacePipeline.Cli.Progress;

/// <summary>A job's or a batch's successive views, fetched every <c>interval</c> until it has ended.</summary>
public static class JobPolling
{
    public static async IAsyncEnumerable<T> UntilEndedAsync<T>(
        Func<CancellationToken, Task<T>> fetch,
        Func<T, bool> ended,
        TimeSpan interval,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(fetch);
        ArgumentNullException.ThrowIfNull(ended);
        while (true)
        {
            var view = await fetch(cancellationToken);
            yield return view;
            if (ended(view))
            {
                yield break;
            }

            await Task.Delay(interval, cancellationToken);
        }
    }
}
