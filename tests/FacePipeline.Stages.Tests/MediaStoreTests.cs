using FacePipeline.Storage;
using FacePipeline.TestSupport;

namespace FacePipeline.Stages.Tests;

[Trait("Lane", "Fast")]
public sealed class MediaStoreTests
{
    private readonly MediaStore _store = new(RepoPaths.NewScratchFolder("store"));

    [Theory]
    [InlineData("../outside")]
    [InlineData("jobs/../../etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("jobs//x")]
    [InlineData("jobs/x y")]
    [InlineData("jobs\\x")]
    [InlineData("")]
    public void Keys_cannot_leave_the_root_or_carry_odd_characters(string key) =>
        Assert.Throws<ArgumentException>(() => _store.PathFor(key));

    [Fact]
    public void A_write_is_invisible_until_committed_and_gone_if_abandoned()
    {
        using (var write = _store.BeginWrite("jobs/a/file.bin"))
        {
            File.WriteAllText(write.TempPath, "half");
            Assert.False(_store.Exists("jobs/a/file.bin"));
        }

        Assert.False(_store.Exists("jobs/a/file.bin"));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(_store.PathFor("jobs/a/file.bin"))!));

        using (var write = _store.BeginWrite("jobs/a/file.bin"))
        {
            File.WriteAllText(write.TempPath, "whole");
            write.Commit();
        }

        Assert.Equal("whole", File.ReadAllText(_store.PathFor("jobs/a/file.bin")));
    }

    [Fact]
    public async Task A_write_that_throws_half_way_keeps_the_previous_file_and_leaves_no_temporary_file()
    {
        await _store.WriteAllBytesAsync("jobs/b/doc.json", "{\"v\":1}"u8.ToArray());

        await Assert.ThrowsAsync<IOException>(() => _store.WriteAsync("jobs/b/doc.json", async (stream, ct) =>
        {
            await stream.WriteAsync("{\"v\":"u8.ToArray(), ct);
            throw new IOException("disk full");
        }));
        Assert.Throws<InvalidDataException>(() => _store.Write("jobs/b/doc.json", stream =>
        {
            stream.Write("{"u8);
            throw new InvalidDataException("bug");
        }));

        Assert.Equal("{\"v\":1}", File.ReadAllText(_store.PathFor("jobs/b/doc.json")));
        Assert.Equal([_store.PathFor("jobs/b/doc.json")], Directory.GetFiles(Path.GetDirectoryName(_store.PathFor("jobs/b/doc.json"))!));
    }

    [Fact]
    public async Task Writing_the_same_key_again_replaces_it()
    {
        await _store.WriteAllBytesAsync("jobs/b/out.json", "[1]"u8.ToArray());
        await _store.WriteAllBytesAsync("jobs/b/out.json", "[2]"u8.ToArray());

        Assert.Equal("[2]", File.ReadAllText(_store.PathFor("jobs/b/out.json")));
    }
}
