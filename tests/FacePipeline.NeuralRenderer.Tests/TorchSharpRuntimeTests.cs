using System.Buffers.Binary;
using FacePipeline.ElfPatch;
using FacePipeline.NeuralRenderer;
using TorchSharp;

namespace FacePipeline.NeuralRenderer.Tests;

[Trait("Lane", "Fast")]
public sealed class TorchSharpRuntimeTests
{
    private static string CopiedLibTorchSharp =>
        RepoPathsLocal.RequireFile(Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so"));

    [Fact]
    public void A_tensor_operation_runs_on_this_machine()
    {
        using var a = torch.tensor(new float[] { 1, 2, 3, 4 }, [2, 2]);
        using var b = torch.tensor(new float[] { 5, 6, 7, 8 }, [2, 2]);
        using var c = a.matmul(b);
        Assert.Equal(new float[] { 19, 22, 43, 50 }, c.data<float>().ToArray());
        Assert.Equal(torch.cuda.is_available() ? DeviceType.CUDA : DeviceType.CPU, TorchDevices.Preferred().type);
    }

    [Fact]
    public void The_build_marked_the_GLIBCXX_3_4_32_requirement_of_the_copied_library_weak()
    {
        var needs = ElfVersionNeeds.Read(File.ReadAllBytes(CopiedLibTorchSharp));
        var need = Assert.Single(needs, n => n.Version == "GLIBCXX_3.4.32");
        Assert.Equal("libstdc++.so.6", need.File);
        Assert.True(need.Weak);
        Assert.All(needs.Where(n => n.Version != "GLIBCXX_3.4.32"), n => Assert.False(n.Weak));
    }

    [Fact]
    public void Weakening_changes_only_the_flag_and_is_idempotent()
    {
        var patched = File.ReadAllBytes(CopiedLibTorchSharp);
        var need = ElfVersionNeeds.Read(patched).Single(n => n.Version == "GLIBCXX_3.4.32");

        // Undo the build's patch to get the library as shipped, then patch it again.
        var original = (byte[])patched.Clone();
        var flags = BinaryPrimitives.ReadUInt16LittleEndian(original.AsSpan((int)need.FlagsOffset));
        BinaryPrimitives.WriteUInt16LittleEndian(original.AsSpan((int)need.FlagsOffset), (ushort)(flags & ~ElfVersionNeeds.VerFlagWeak));
        Assert.False(ElfVersionNeeds.Read(original).Single(n => n.Version == "GLIBCXX_3.4.32").Weak);

        var copy = (byte[])original.Clone();
        Assert.Equal(1, ElfVersionNeeds.MakeWeak(copy, "GLIBCXX_3.4.32"));
        Assert.Equal(patched, copy);
        var differing = Enumerable.Range(0, copy.Length).Count(i => copy[i] != original[i]);
        Assert.Equal(1, differing);
        Assert.Equal(0, ElfVersionNeeds.MakeWeak(copy, "GLIBCXX_3.4.32"));
        Assert.Equal(patched, copy);
    }

    [Fact]
    public void Weakening_rejects_a_version_the_library_does_not_require_and_a_file_that_is_not_ELF()
    {
        var bytes = File.ReadAllBytes(CopiedLibTorchSharp);
        Assert.Throws<InvalidOperationException>(() => ElfVersionNeeds.MakeWeak(bytes, "GLIBCXX_9.9.99"));
        Assert.Throws<InvalidDataException>(() => ElfVersionNeeds.Read("not an ELF file at all, just text padding it out to 64 bytes...."u8.ToArray()));
        var truncated = bytes.AsSpan(0, 4096).ToArray();
        Assert.Throws<InvalidDataException>(() => ElfVersionNeeds.Read(truncated));
    }
}

internal static class RepoPathsLocal
{
    public static string RequireFile(string path) =>
        File.Exists(path) ? path : throw new FileNotFoundException($"Expected {path} in the test output (TorchSharp's native library).", path);
}
