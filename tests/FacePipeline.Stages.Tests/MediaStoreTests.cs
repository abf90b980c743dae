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
    public void A_shared_copy_is_one_file_on_disk_under_two_keys_and_deleting_either_leaves_the_other_whole()
    {
        var bytes = new byte[1 << 20];
        new Random(7).NextBytes(bytes);
        _store.EnsureFolder("uploads/t/u");
        File.WriteAllBytes(_store.PathFor("uploads/t/u/clip.mp4"), bytes);

        Assert.True(_store.ShareOrCopy("uploads/t/u/clip.mp4", "jobs/j/input/source.mp4"));

        Assert.Equal(bytes, File.ReadAllBytes(_store.PathFor("jobs/j/input/source.mp4")));
        Assert.Equal("2", LinkCount(_store.PathFor("jobs/j/input/source.mp4"))); // one file, two names: no second copy on disk
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(_store.PathFor("jobs/j/input/source.mp4"))!, "*.tmp"));
        _store.DeleteTree("uploads/t/u"); // the upload swept
        Assert.Equal(bytes, File.ReadAllBytes(_store.PathFor("jobs/j/input/source.mp4")));
        Assert.Equal("1", LinkCount(_store.PathFor("jobs/j/input/source.mp4")));

        Assert.True(_store.ShareOrCopy("jobs/j/input/source.mp4", "jobs/k/input/source.mp4")); // a retried shot's input
        _store.DeleteTree("jobs/j");
        Assert.Equal(bytes, File.ReadAllBytes(_store.PathFor("jobs/k/input/source.mp4")));
    }

    [Fact]
    public void A_shared_copy_of_a_missing_file_fails_and_leaves_nothing_under_the_new_key()
    {
        Assert.Throws<FileNotFoundException>(() => _store.ShareOrCopy("uploads/t/none/clip.mp4", "jobs/j2/input/source.mp4"));
        Assert.False(_store.Exists("jobs/j2/input/source.mp4"));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(_store.PathFor("jobs/j2/input/source.mp4"))!));
    }

    private static string LinkCount(string path)
    {
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%h", path]) { RedirectStandardOutput = true })!;
        var output = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        return output;
    }

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
