using System.Text.Json;

namespace FacePipeline.Deploy.Tests;

/// <summary>A Dockerfile read as its instructions (continuation lines joined, comments dropped).</summary>
internal sealed record DockerInstruction(string Keyword, string Arguments, int Stage);

internal sealed class Dockerfile
{
    private Dockerfile(string path, IReadOnlyList<DockerInstruction> instructions)
    {
        Path = path;
        Instructions = instructions;
    }

    public string Path { get; }

    public IReadOnlyList<DockerInstruction> Instructions { get; }

    public static Dockerfile Load(string repoRelativePath)
    {
        var lines = File.ReadAllLines(System.IO.Path.Combine(RepoFacts.Root, repoRelativePath));
        var instructions = new List<DockerInstruction>();
        var current = "";
        var stage = -1;
        foreach (var raw in lines)
        {
            var line = raw.TrimEnd();
            if (line.TrimStart().StartsWith('#') || (current.Length == 0 && line.Trim().Length == 0))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                current += line[..^1] + " ";
                continue;
            }

            current += line;
            var text = current.Trim();
            current = "";
            var space = text.IndexOf(' ');
            var keyword = (space < 0 ? text : text[..space]).ToUpperInvariant();
            if (keyword == "FROM")
            {
                stage++;
            }

            instructions.Add(new DockerInstruction(keyword, space < 0 ? "" : text[(space + 1)..].Trim(), stage));
        }

        return new Dockerfile(repoRelativePath, instructions);
    }

    public IEnumerable<DockerInstruction> All(string keyword) => Instructions.Where(i => i.Keyword == keyword);

    public int LastStage => Instructions.Max(i => i.Stage);

    public IEnumerable<DockerInstruction> FinalStage(string keyword) => All(keyword).Where(i => i.Stage == LastStage);

    /// <summary>Sources of the COPY/ADD instructions that copy from the build context (not --from=).</summary>
    public IEnumerable<string> ContextSources() => ContextSourcesBefore(null);

    /// <summary>The context sources copied before <paramref name="instruction"/> (all of them when it is null).</summary>
    public IEnumerable<string> ContextSourcesBefore(DockerInstruction? instruction)
    {
        var end = instruction is null ? Instructions.Count : IndexOf(instruction);
        foreach (var copy in Instructions.Take(end).Where(i => i.Keyword is "COPY" or "ADD"))
        {
            var words = copy.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (words.Any(w => w.StartsWith("--from=", StringComparison.Ordinal)))
            {
                continue;
            }

            var paths = words.Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToList();
            foreach (var source in paths.Take(paths.Count - 1))
            {
                yield return source;
            }
        }
    }

    private int IndexOf(DockerInstruction instruction)
    {
        for (var i = 0; i < Instructions.Count; i++)
        {
            if (ReferenceEquals(Instructions[i], instruction))
            {
                return i;
            }
        }

        throw new ArgumentException("Not an instruction of this Dockerfile.", nameof(instruction));
    }

    /// <summary>The ENTRYPOINT in exec form.</summary>
    public IReadOnlyList<string> Entrypoint()
    {
        var entrypoint = FinalStage("ENTRYPOINT").LastOrDefault();
        Assert.True(entrypoint is not null, $"{Path} has no ENTRYPOINT in its final stage.");
        return JsonSerializer.Deserialize<string[]>(entrypoint!.Arguments)
            ?? throw new InvalidOperationException($"{Path}: ENTRYPOINT is not in exec (JSON array) form.");
    }
}
