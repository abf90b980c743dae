using FacePipeline.Face;

namespace FacePipeline.Stages;

/// <summary>
/// The idle rings of decoded frames a Reconstruction process keeps for track jobs' single-decode passes
/// (<see cref="OnePassTrackRenderer"/>), shared by its slots. A clip's pieces run one after another but not always in the
/// same slot; with a ring per slot, a job whose pieces had been taken by both slots held two rings (37 MB each at 1080p),
/// one more than a job short enough for one piece, and the worker's peak grew with the clip's length (1.24 × at 1080p
/// 9k against 1k, docs/benchmarks.md, "Reconstruction's peak at the sequence build"). From a shared pool a run takes a
/// ring of its picture size and gives it back when it ends: as many rings exist as passes run at once, never more than
/// <see cref="MaxIdle"/> wait idle, and a ring of another size is dropped for a new one only when the pool is full.
/// Thread-safe.
/// </summary>
public sealed class FrameRingPool
{
    private readonly object _gate = new();
    private readonly List<Yuv420RgbFrame[]> _idle = [];

    /// <param name="maxIdle">Rings kept while no pass uses them: the passes the process runs at once (its slots).</param>
    public FrameRingPool(int maxIdle = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxIdle, 1);
        MaxIdle = maxIdle;
    }

    /// <summary>Rings kept while no pass uses them.</summary>
    public int MaxIdle { get; }

    /// <summary>Rings waiting in the pool now.</summary>
    public int Idle
    {
        get
        {
            lock (_gate)
            {
                return _idle.Count;
            }
        }
    }

    /// <summary>An idle ring of <paramref name="frames"/> frames of that size and matrix, or a new one when none waits.</summary>
    public Yuv420RgbFrame[] Rent(int width, int height, YuvMatrix matrix, int frames)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(frames, 1);
        lock (_gate)
        {
            var index = _idle.FindIndex(ring => ring.Length == frames && ring[0].Width == width && ring[0].Height == height && ring[0].Matrix == matrix);
            if (index >= 0)
            {
                var ring = _idle[index];
                _idle.RemoveAt(index);
                return ring;
            }
        }

        return [.. Enumerable.Range(0, frames).Select(_ => new Yuv420RgbFrame(width, height, matrix))];
    }

    /// <summary>Gives a ring back once nothing reads or writes its frames any more; the longest idle is dropped when the pool is full.</summary>
    public void Return(Yuv420RgbFrame[] ring)
    {
        ArgumentNullException.ThrowIfNull(ring);
        if (ring.Length == 0)
        {
            return;
        }

        lock (_gate)
        {
            if (_idle.Contains(ring))
            {
                return;
            }

            if (_idle.Count >= MaxIdle)
            {
                _idle.RemoveAt(0);
            }

            _idle.Add(ring);
        }
    }
}
