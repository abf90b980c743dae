using FacePipeline.Face;
using FacePipeline.Stages;

namespace FacePipeline.Stages.Tests;

/// <summary>
/// The frame rings a Reconstruction process's slots share for single-decode passes (<see cref="FrameRingPool"/>): a
/// clip's pieces reuse one ring whichever slot runs them, so a long clip's worker holds no more rings than a short one's.
/// </summary>
public sealed class FrameRingPoolTests
{
    [Fact]
    [Trait("Lane", "Fast")]
    public void A_ring_given_back_is_the_one_the_next_run_of_the_same_picture_size_gets()
    {
        var pool = new FrameRingPool(maxIdle: 2);
        var first = pool.Rent(64, 48, YuvMatrix.Bt709, 4);
        pool.Return(first);

        var second = pool.Rent(64, 48, YuvMatrix.Bt709, 4);

        Assert.Same(first, second);
        Assert.Equal(0, pool.Idle);
        Assert.All(second, frame => Assert.Equal((64, 48, YuvMatrix.Bt709), (frame.Width, frame.Height, frame.Matrix)));
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void Runs_at_once_get_rings_of_their_own_and_a_run_of_another_size_or_matrix_never_gets_one_that_does_not_fit()
    {
        var pool = new FrameRingPool(maxIdle: 2);
        var a = pool.Rent(64, 48, YuvMatrix.Bt709, 4);
        var b = pool.Rent(64, 48, YuvMatrix.Bt709, 4);
        Assert.NotSame(a, b);
        pool.Return(a);

        var otherSize = pool.Rent(32, 24, YuvMatrix.Bt709, 4);
        var otherMatrix = pool.Rent(64, 48, YuvMatrix.Bt601, 4);

        Assert.NotSame(a, otherSize);
        Assert.NotSame(a, otherMatrix);
        Assert.Equal((32, 24), (otherSize[0].Width, otherSize[0].Height));
        Assert.Equal(YuvMatrix.Bt601, otherMatrix[0].Matrix);
        Assert.Equal(1, pool.Idle); // a still waits for a run of its size
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void No_more_rings_than_the_slots_wait_idle_the_longest_idle_going_first()
    {
        var pool = new FrameRingPool(maxIdle: 2);
        var oldest = pool.Rent(32, 24, YuvMatrix.Bt709, 4);
        var middle = pool.Rent(64, 48, YuvMatrix.Bt709, 4);
        var newest = pool.Rent(96, 64, YuvMatrix.Bt709, 4);
        pool.Return(oldest);
        pool.Return(middle);
        pool.Return(newest);
        pool.Return(newest); // given back twice: kept once

        Assert.Equal(2, pool.Idle);
        Assert.NotSame(oldest, pool.Rent(32, 24, YuvMatrix.Bt709, 4));
        Assert.Same(middle, pool.Rent(64, 48, YuvMatrix.Bt709, 4));
        Assert.Same(newest, pool.Rent(96, 64, YuvMatrix.Bt709, 4));
    }
}
