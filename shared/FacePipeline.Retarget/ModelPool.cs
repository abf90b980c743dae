using System.Collections.Concurrent;

namespace FacePipeline.Retarget;

/// <summary>
/// Models (ONNX Runtime sessions) kept open between renders and handed out one user at a time: a render, or a segment
/// of one, rents what it needs and gives it back. Opening and dropping sessions per 600-frame segment grew the Rendering
/// process by about 38 MiB a segment (native allocations the C library does not hand back: 584 → 1,172 MiB over a
/// 9k-frame retarget's 15 segments, docs/benchmarks.md); kept open, a worker holds as many as it ever ran at once.
/// Thread-safe.
/// </summary>
/// <param name="open">Opens a new model when none is idle.</param>
public sealed class ModelPool<T>(Func<T> open) : IDisposable
    where T : class, IDisposable
{
    private readonly ConcurrentBag<T> _idle = [];
    private volatile bool _disposed;

    /// <summary>Models open and idle now.</summary>
    public int Idle => _idle.Count;

    /// <summary>An idle model, or a new one; back in the pool when the lease is disposed.</summary>
    public Lease Rent()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new Lease(this, _idle.TryTake(out var item) ? item : open());
    }

    /// <summary>Disposes the idle models; a model rented now is disposed when its lease is.</summary>
    public void Dispose()
    {
        _disposed = true;
        while (_idle.TryTake(out var item))
        {
            item.Dispose();
        }
    }

    private void Return(T item)
    {
        if (_disposed)
        {
            item.Dispose();
            return;
        }

        _idle.Add(item);
        if (_disposed && _idle.TryTake(out var late))
        {
            late.Dispose(); // disposed while it was being returned
        }
    }

    /// <summary>One model, rented: disposing the lease (once or more) returns it.</summary>
    public sealed class Lease : IDisposable
    {
        private readonly ModelPool<T> _pool;
        private T? _item;

        internal Lease(ModelPool<T> pool, T item) => (_pool, _item) = (pool, item);

        /// <summary>The model (until the lease is disposed).</summary>
        public T Item => _item ?? throw new ObjectDisposedException(nameof(Lease));

        /// <summary>Returns the model to the pool (the first time).</summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _item, null) is { } item)
            {
                _pool.Return(item);
            }
        }
    }
}
