namespace FacePipeline.Retarget.Tests;

/// <summary>Models kept open between renders (<see cref="ModelPool{T}"/>): reused, never shared, all closed in the end.</summary>
public sealed class ModelPoolTests
{
    [Fact]
    [Trait("Lane", "Fast")]
    public void A_returned_model_is_the_one_the_next_render_gets_and_two_renders_at_once_get_two()
    {
        var opened = new List<Model>();
        using var pool = new ModelPool<Model>(() => Open(opened));

        Model first;
        using (var lease = pool.Rent())
        {
            first = lease.Item;
        }

        using (var again = pool.Rent())
        using (var beside = pool.Rent())
        {
            Assert.Same(first, again.Item);
            Assert.NotSame(again.Item, beside.Item);
        }

        Assert.Equal(2, opened.Count);
        Assert.Equal(2, pool.Idle);
        Assert.All(opened, m => Assert.False(m.Disposed));
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void A_lease_disposed_twice_returns_its_model_once()
    {
        var opened = new List<Model>();
        using var pool = new ModelPool<Model>(() => Open(opened));
        var lease = pool.Rent();

        lease.Dispose();
        lease.Dispose();

        Assert.Equal(1, pool.Idle);
        Assert.Throws<ObjectDisposedException>(() => lease.Item);
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void Disposing_the_pool_closes_the_idle_models_and_each_rented_one_when_it_comes_back()
    {
        var opened = new List<Model>();
        var pool = new ModelPool<Model>(() => Open(opened));
        var idle = pool.Rent();
        var rented = pool.Rent();
        idle.Dispose();

        pool.Dispose();
        Assert.True(opened[0].Disposed);
        Assert.False(opened[1].Disposed);

        rented.Dispose();
        Assert.True(opened[1].Disposed);
        Assert.Equal(0, pool.Idle);
        Assert.Throws<ObjectDisposedException>(() => pool.Rent());
    }

    private static Model Open(List<Model> opened)
    {
        var model = new Model();
        opened.Add(model);
        return model;
    }

    private sealed class Model : IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }
}
