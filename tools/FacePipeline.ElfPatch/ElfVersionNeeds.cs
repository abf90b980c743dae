using System.Buffers.Binary;
using System.Text;

namespace FacePipeline.ElfPatch;

/// <summary>One version a shared library requires from one of its dependencies (an ELF Vernaux entry).</summary>
/// <param name="File">The dependency's soname (Verneed vn_file), e.g. libstdc++.so.6.</param>
/// <param name="Version">The version name (vna_name), e.g. GLIBCXX_3.4.32.</param>
/// <param name="Weak">Whether VER_FLG_WEAK is set in vna_flags: the loader does not fail when the version is missing.</param>
/// <param name="FlagsOffset">File offset of the entry's 16-bit vna_flags.</param>
public sealed record VersionNeed(string File, string Version, bool Weak, long FlagsOffset);

/// <summary>
/// Reads and edits the version-requirement table (<c>.gnu.version_r</c>, section type SHT_GNU_verneed) of a
/// 64-bit little-endian ELF file. Only the 16-bit <c>vna_flags</c> of chosen entries is ever written; nothing
/// moves, so the file keeps its size and every other byte.
/// </summary>
public static class ElfVersionNeeds
{
    /// <summary>vna_flags bit: the requirement is weak (glibc's loader reports a missing weak version only when verbose).</summary>
    public const ushort VerFlagWeak = 0x2;

    private const uint ShtGnuVerneed = 0x6ffffffe;

    /// <summary>Lists every version requirement of the file's image.</summary>
    /// <exception cref="InvalidDataException">Not a 64-bit little-endian ELF, or a malformed table.</exception>
    public static IReadOnlyList<VersionNeed> Read(ReadOnlySpan<byte> elf)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
        {
            throw new InvalidDataException("Not an ELF file.");
        }

        if (elf[4] != 2 || elf[5] != 1)
        {
            throw new InvalidDataException("Only 64-bit little-endian ELF files are supported.");
        }

        var shoff = checked((long)U64(elf, 0x28));
        var shentsize = U16(elf, 0x3a);
        var shnum = U16(elf, 0x3c);
        if (shoff == 0 || shnum == 0)
        {
            throw new InvalidDataException("The file has no section headers.");
        }

        if (shentsize < 64)
        {
            throw new InvalidDataException($"Unexpected section header size {shentsize}.");
        }

        var needs = new List<VersionNeed>();
        var found = false;
        for (var i = 0; i < shnum; i++)
        {
            var sh = checked(shoff + (long)i * shentsize);
            Check(elf, sh, 64);
            if (U32(elf, sh + 4) != ShtGnuVerneed)
            {
                continue;
            }

            found = true;
            var offset = checked((long)U64(elf, sh + 0x18));
            var size = checked((long)U64(elf, sh + 0x20));
            var link = U32(elf, sh + 0x28);
            var count = U32(elf, sh + 0x2c); // sh_info: number of Verneed entries
            Check(elf, offset, size);
            if (link >= shnum)
            {
                throw new InvalidDataException("The version-requirement section links to no string table.");
            }

            var strSh = checked(shoff + (long)link * shentsize);
            Check(elf, strSh, 64);
            var strOffset = checked((long)U64(elf, strSh + 0x18));
            var strSize = checked((long)U64(elf, strSh + 0x20));
            Check(elf, strOffset, strSize);
            var strings = elf.Slice((int)strOffset, (int)strSize);

            var vn = offset;
            for (var n = 0u; n < count; n++)
            {
                Check(elf, vn, 16);
                var cnt = U16(elf, vn + 2);
                var file = CString(strings, U32(elf, vn + 4));
                var aux = checked(vn + U32(elf, vn + 8));
                for (var a = 0; a < cnt; a++)
                {
                    Check(elf, aux, 16);
                    var flags = U16(elf, aux + 4);
                    needs.Add(new VersionNeed(file, CString(strings, U32(elf, aux + 8)), (flags & VerFlagWeak) != 0, aux + 4));
                    var nextAux = U32(elf, aux + 12);
                    if (nextAux == 0 && a + 1 < cnt)
                    {
                        throw new InvalidDataException($"Version requirements of {file} end before their count ({cnt}).");
                    }

                    aux = checked(aux + nextAux);
                }

                var next = U32(elf, vn + 12);
                if (next == 0)
                {
                    break;
                }

                vn = checked(vn + next);
                if (vn >= offset + size)
                {
                    throw new InvalidDataException("A version requirement lies outside its section.");
                }
            }
        }

        return found ? needs : throw new InvalidDataException("The file has no version-requirement section (.gnu.version_r).");
    }

    /// <summary>
    /// Sets VER_FLG_WEAK on every requirement of <paramref name="version"/> (from any dependency) in
    /// <paramref name="elf"/>, in place. Idempotent: an entry already weak is left alone.
    /// </summary>
    /// <returns>How many entries were changed (0 when all were already weak).</returns>
    /// <exception cref="InvalidOperationException">The file requires no such version.</exception>
    public static int MakeWeak(Span<byte> elf, string version)
    {
        ArgumentException.ThrowIfNullOrEmpty(version);
        var matches = Read(elf).Where(n => n.Version == version).ToList();
        if (matches.Count == 0)
        {
            throw new InvalidOperationException($"The file requires no version {version}.");
        }

        var changed = 0;
        foreach (var need in matches.Where(n => !n.Weak))
        {
            var at = elf.Slice((int)need.FlagsOffset, 2);
            BinaryPrimitives.WriteUInt16LittleEndian(at, (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(at) | VerFlagWeak));
            changed++;
        }

        return changed;
    }

    private static void Check(ReadOnlySpan<byte> elf, long offset, long length)
    {
        if (offset < 0 || length < 0 || offset + length > elf.Length)
        {
            throw new InvalidDataException($"ELF structure at {offset} (+{length}) runs past the end of the file ({elf.Length} bytes).");
        }
    }

    private static ushort U16(ReadOnlySpan<byte> b, long at) => BinaryPrimitives.ReadUInt16LittleEndian(b[(int)at..]);

    private static uint U32(ReadOnlySpan<byte> b, long at) => BinaryPrimitives.ReadUInt32LittleEndian(b[(int)at..]);

    private static ulong U64(ReadOnlySpan<byte> b, long at) => BinaryPrimitives.ReadUInt64LittleEndian(b[(int)at..]);

    private static string CString(ReadOnlySpan<byte> strings, uint at)
    {
        if (at >= strings.Length)
        {
            throw new InvalidDataException("A version name lies outside the string table.");
        }

        var rest = strings[(int)at..];
        var end = rest.IndexOf((byte)0);
        return Encoding.ASCII.GetString(end < 0 ? rest : rest[..end]);
    }
}
