using System.Security.Cryptography;
using System.Text.Json;

namespace FacePipeline.ModelImport.MediaPipe;

/// <summary>One file packed in a MediaPipe solution's <c>*_packed_assets.data</c>: [Start, End) bytes.</summary>
public sealed record PackedAsset(string Path, long Start, long End)
{
    public string FileName => System.IO.Path.GetFileName(Path);

    public long Length => End - Start;
}

/// <summary>
/// MediaPipe's JavaScript solutions (npm @mediapipe/*) pack their models into one
/// <c>*_packed_assets.data</c> file; the matching <c>*_packed_assets_loader.js</c> (Emscripten's
/// file packager) lists each file's byte range in a <c>loadPackage({"files": [...]})</c> call.
/// </summary>
public static class PackedAssets
{
    /// <summary>Reads the byte ranges from the loader script's <c>loadPackage({...})</c> argument.</summary>
    public static IReadOnlyList<PackedAsset> ParseLoader(string loaderScript)
    {
        const string call = "loadPackage(";
        var at = loaderScript.IndexOf(call, StringComparison.Ordinal);
        // The first occurrence may be the function's definition: take the call with an object literal.
        while (at >= 0 && !loaderScript.AsSpan(at + call.Length).TrimStart().StartsWith("{"))
        {
            at = loaderScript.IndexOf(call, at + call.Length, StringComparison.Ordinal);
        }

        if (at < 0)
        {
            throw new InvalidDataException("The loader script has no loadPackage({...}) call.");
        }

        var json = BalancedObject(loaderScript, loaderScript.IndexOf('{', at));
        using var doc = JsonDocument.Parse(json);
        if (!doc.RootElement.TryGetProperty("files", out var files) || files.ValueKind != JsonValueKind.Array)
        {
            throw new InvalidDataException("The loadPackage argument has no \"files\" list.");
        }

        var assets = new List<PackedAsset>();
        foreach (var file in files.EnumerateArray())
        {
            var asset = new PackedAsset(
                file.GetProperty("filename").GetString() ?? throw new InvalidDataException("A packed file without a name."),
                file.GetProperty("start").GetInt64(),
                file.GetProperty("end").GetInt64());
            if (asset.Start < 0 || asset.End < asset.Start)
            {
                throw new InvalidDataException($"Bad byte range for {asset.Path}: [{asset.Start}, {asset.End}).");
            }

            assets.Add(asset);
        }

        return assets;
    }

    /// <summary>
    /// Copies each packed file out of <paramref name="dataPath"/> into <paramref name="outDir"/>
    /// (by file name, written through a temporary name). Returns the written paths by file name.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Unpack(string dataPath, IReadOnlyList<PackedAsset> assets, string outDir)
    {
        Directory.CreateDirectory(outDir);
        using var data = File.OpenRead(dataPath);
        var written = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var asset in assets)
        {
            if (asset.End > data.Length)
            {
                throw new InvalidDataException($"{asset.FileName}: range [{asset.Start}, {asset.End}) exceeds {dataPath} ({data.Length} bytes).");
            }

            var bytes = new byte[asset.Length];
            data.Position = asset.Start;
            data.ReadExactly(bytes);
            var dest = Path.Combine(outDir, asset.FileName);
            File.WriteAllBytes(dest + ".partial", bytes);
            File.Move(dest + ".partial", dest, overwrite: true);
            written[asset.FileName] = dest;
        }

        return written;
    }

    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>
    /// The expected sha256 of each model file, from a golden manifest's <c>models_sha256</c> object
    /// (file name → lowercase hex).
    /// </summary>
    public static IReadOnlyDictionary<string, string> ReadExpectedHashes(string manifestPath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(manifestPath));
        if (!doc.RootElement.TryGetProperty("models_sha256", out var hashes) || hashes.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"{manifestPath} has no \"models_sha256\" object.");
        }

        return hashes.EnumerateObject().ToDictionary(p => p.Name, p => (p.Value.GetString() ?? "").ToLowerInvariant(), StringComparer.Ordinal);
    }

    private static string BalancedObject(string text, int open)
    {
        var depth = 0;
        var inString = false;
        for (var i = open; i < text.Length; i++)
        {
            var c = text[i];
            if (inString)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    inString = false;
                }

                continue;
            }

            switch (c)
            {
                case '"':
                    inString = true;
                    break;
                case '{':
                    depth++;
                    break;
                case '}' when --depth == 0:
                    return text[open..(i + 1)];
            }
        }

        throw new InvalidDataException("Unbalanced braces in the loadPackage argument.");
    }
}
