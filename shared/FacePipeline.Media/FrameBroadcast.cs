using System.Buffers;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace FacePipeline.Media;

/// <summary>
/// Feeds frames of one size to several consumers (e.g. encoders) that run at their own pace: each
/// consumer reads its own bounded queue of pooled copies, so a frame is produced once and memory
/// stays at a few frames per consumer. A failing consumer stops the others and the producer.
/// </summary>
public static class FrameBroadcast
{
    /// <summary>
    /// Runs <paramref name="produce"/> (which calls its argument once per frame; the buffer may be
    /// reused after the call returns) and every consumer (each gets its frames as an async sequence
    /// and runs until the sequence ends) concurrently; returns the consumers' results in order.
    /// </summary>
    public static async Task<T[]> RunAsync<T>(
        int frameBytes,
        Func<Func<ReadOnlyMemory<byte>, ValueTask>, CancellationToken, Task> produce,
        IReadOnlyList<Func<IAsyncEnumerable<ReadOnlyMemory<byte>>, CancellationToken, Task<T>>> consumers,
        int queueLength = 3,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(produce);
        ArgumentNullException.ThrowIfNull(consumers);
        ArgumentOutOfRangeException.ThrowIfLessThan(frameBytes, 1);
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var queues = consumers.Select(_ => Channel.CreateBounded<byte[]>(new BoundedChannelOptions(queueLength) { SingleReader = true, SingleWriter = true })).ToArray();

        async Task<T> Consume(int i)
        {
            try
            {
                return await consumers[i](Frames(queues[i].Reader, frameBytes, abort.Token), abort.Token).ConfigureAwait(false);
            }
            catch
            {
                await abort.CancelAsync().ConfigureAwait(false);
                throw;
            }
        }

        async Task Produce()
        {
            Exception? failure = null;
            try
            {
                await produce(
                    async frame =>
                    {
                        foreach (var queue in queues)
                        {
                            var copy = ArrayPool<byte>.Shared.Rent(frameBytes);
                            frame.Span[..frameBytes].CopyTo(copy);
                            await queue.Writer.WriteAsync(copy, abort.Token).ConfigureAwait(false);
                        }
                    },
                    abort.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                failure = ex;
                await abort.CancelAsync().ConfigureAwait(false);
                throw;
            }
            finally
            {
                foreach (var queue in queues)
                {
                    queue.Writer.TryComplete(failure);
                }
            }
        }

        var consuming = Enumerable.Range(0, consumers.Count).Select(Consume).ToArray();
        var producing = Produce();
        try
        {
            await Task.WhenAll([producing, .. consuming]).ConfigureAwait(false);
        }
        catch when (producing.IsFaulted && producing.Exception!.InnerException is not OperationCanceledException)
        {
            // The producer's own error says what went wrong; the consumers only stopped because of it.
            await producing.ConfigureAwait(false);
        }
        catch when (consuming.FirstOrDefault(c => c.IsFaulted && c.Exception!.InnerException is not OperationCanceledException) is { } failed)
        {
            await failed.ConfigureAwait(false);
        }

        return [.. consuming.Select(c => c.Result)];
    }

    private static async IAsyncEnumerable<ReadOnlyMemory<byte>> Frames(ChannelReader<byte[]> reader, int frameBytes, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        byte[]? previous = null;
        try
        {
            await foreach (var frame in reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (previous is not null)
                {
                    ArrayPool<byte>.Shared.Return(previous);
                }

                previous = frame;
                yield return frame.AsMemory(0, frameBytes);
            }
        }
        finally
        {
            if (previous is not null)
            {
                ArrayPool<byte>.Shared.Return(previous);
            }
        }
    }
}
