namespace FacePipeline.Stages.Tests;

[Trait("Lane", "Fast")]
public sealed class TextureFrameCacheTests
{
    private readonly List<int> _decoded = [];

    [Fact]
    public async Task A_donor_used_again_and_again_stays_kept_while_other_frames_come_and_go()
    {
        var cache = Cache(capacity: 3);
        foreach (var other in new[] { 10, 11, 12, 13, 14, 15, 16 })
        {
            await cache.GetAsync(7, CancellationToken.None); // the widest-open mouth, wanted on every output frame
            await cache.GetAsync(other, CancellationToken.None);
        }

        Assert.Equal(1, _decoded.Count(f => f == 7));
        Assert.Equal([7, 10, 11, 12, 13, 14, 15, 16], _decoded);
        Assert.Equal(8, cache.Misses);
        Assert.Equal(3, cache.Count);
        Assert.True(cache.Contains(7));
    }

    [Fact]
    public async Task When_full_the_frame_used_longest_ago_makes_room_not_every_frame()
    {
        var cache = Cache(capacity: 3);
        foreach (var frame in new[] { 1, 2, 3, 1 })
        {
            await cache.GetAsync(frame, CancellationToken.None);
        }

        await cache.GetAsync(4, CancellationToken.None); // 2 was used longest ago

        Assert.False(cache.Contains(2));
        Assert.True(cache.Contains(1) && cache.Contains(3) && cache.Contains(4));
        Assert.Equal([1, 2, 3, 4], _decoded);
    }

    [Fact]
    public async Task A_frame_handed_out_keeps_its_pixels_after_it_is_evicted()
    {
        var cache = Cache(capacity: 1);
        var mouth = await cache.GetAsync(5, CancellationToken.None);
        var eye = await cache.GetAsync(9, CancellationToken.None); // evicts 5: both are donors of the same output frame

        Assert.False(cache.Contains(5));
        Assert.All(mouth, b => Assert.Equal(5, b));
        Assert.All(eye, b => Assert.Equal(9, b));
    }

    [Fact]
    public async Task A_frame_that_fails_to_decode_is_not_kept()
    {
        var cache = new TextureFrameCache(2, 4, (_, _, _) => ValueTask.FromException(new InvalidOperationException("decoder ended")));

        await Assert.ThrowsAsync<InvalidOperationException>(async () => await cache.GetAsync(3, CancellationToken.None));
        Assert.False(cache.Contains(3));
        Assert.Equal(0, cache.Misses);
    }

    [Fact]
    public async Task Keeping_a_window_decodes_its_missing_frames_in_ascending_order_and_drops_the_others()
    {
        var cache = Cache(capacity: 4);
        await cache.GetAsync(5, CancellationToken.None);
        await cache.GetAsync(40, CancellationToken.None);

        await cache.KeepOnlyAsync([30, 5, 12], CancellationToken.None);
        await cache.GetAsync(30, CancellationToken.None);
        await cache.GetAsync(12, CancellationToken.None);
        await cache.GetAsync(5, CancellationToken.None);

        Assert.Equal([5, 40, 12, 30], _decoded);
        Assert.False(cache.Contains(40));
        Assert.Equal(3, cache.Count);
        Assert.Equal(4, cache.Misses);
    }

    [Fact]
    public async Task A_long_run_of_windows_decodes_into_no_more_buffers_than_the_cache_holds()
    {
        var cache = Cache(capacity: 4);
        var buffers = new HashSet<byte[]>(ReferenceEqualityComparer.Instance);
        for (var window = 0; window < 50; window++)
        {
            int[] frames = window % 3 == 0 ? [window, window + 1] : [window, window + 1, window + 2, window + 3];
            await cache.KeepOnlyAsync(frames, CancellationToken.None);
            foreach (var frame in frames)
            {
                var pixels = await cache.GetAsync(frame, CancellationToken.None);
                Assert.All(pixels, b => Assert.Equal((byte)frame, b));
                buffers.Add(pixels);
            }
        }

        Assert.Equal(4, buffers.Count);
        Assert.Equal(69, cache.Misses); // each window decodes only the frames the previous one did not keep
    }

    [Fact]
    public async Task A_frame_a_window_drops_lends_its_buffer_to_the_next_frame_decoded()
    {
        var cache = Cache(capacity: 2);
        await cache.KeepOnlyAsync([1, 2], CancellationToken.None);
        var dropped = await cache.GetAsync(1, CancellationToken.None);
        var kept = await cache.GetAsync(2, CancellationToken.None);

        await cache.KeepOnlyAsync([2, 9], CancellationToken.None);

        Assert.Same(dropped, await cache.GetAsync(9, CancellationToken.None));
        Assert.All(dropped, b => Assert.Equal(9, b));
        Assert.Same(kept, await cache.GetAsync(2, CancellationToken.None));
        Assert.All(kept, b => Assert.Equal(2, b));
    }

    [Fact]
    public async Task A_spare_buffer_whose_decode_fails_stays_spare_for_the_next_frame()
    {
        var failNext = false;
        var cache = new TextureFrameCache(2, 4, (frame, pixels, _) =>
        {
            if (failNext)
            {
                failNext = false;
                return ValueTask.FromException(new InvalidOperationException("decoder ended"));
            }

            pixels.Span.Fill((byte)frame);
            return ValueTask.CompletedTask;
        });
        await cache.KeepOnlyAsync([1], CancellationToken.None);
        var first = await cache.GetAsync(1, CancellationToken.None);

        failNext = true;
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await cache.KeepOnlyAsync([3], CancellationToken.None));
        await cache.KeepOnlyAsync([4], CancellationToken.None);

        Assert.False(cache.Contains(3));
        Assert.Same(first, await cache.GetAsync(4, CancellationToken.None));
        Assert.All(first, b => Assert.Equal(4, b));
    }

    [Fact]
    public async Task Keeping_more_frames_than_the_cache_holds_is_refused_before_anything_is_decoded()
    {
        var cache = Cache(capacity: 2);

        var error = await Assert.ThrowsAsync<ArgumentException>(async () => await cache.KeepOnlyAsync([1, 2, 3], CancellationToken.None));

        Assert.Contains("3 frames asked to be kept, more than the cache's 2", error.Message);
        Assert.Empty(_decoded);
    }

    private TextureFrameCache Cache(int capacity) => new(capacity, 4, (frame, pixels, _) =>
    {
        _decoded.Add(frame);
        pixels.Span.Fill((byte)frame);
        return ValueTask.CompletedTask;
    });
}
