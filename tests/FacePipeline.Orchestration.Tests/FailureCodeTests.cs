using System.Text.RegularExpressions;
using FacePipeline.Contracts;
using FacePipeline.TestSupport;

namespace FacePipeline.Orchestration.Tests;

/// <summary>Failure codes are public API: every one in use is declared in <see cref="FailureCodes"/> and listed in docs/failures.md.</summary>
[Trait("Lane", "Fast")]
public sealed partial class FailureCodeTests
{
    [Fact]
    public void Every_declared_code_is_listed_in_the_docs_and_the_docs_list_no_other()
    {
        var documented = DocumentedCode().Matches(File.ReadAllText(Path.Combine(RepoPaths.RepoRoot, "docs", "failures.md"))).Select(m => m.Groups[1].Value).ToHashSet();

        Assert.Equal(FailureCodes.All.Order(), documented.Order());
        Assert.Equal(FailureCodes.All.Count, FailureCodes.All.Distinct().Count());
    }

    [Fact]
    public void Every_code_the_services_fail_a_job_with_is_a_declared_constant_not_a_literal()
    {
        var offenders = new List<string>();
        foreach (var file in SourceFiles())
        {
            var text = File.ReadAllText(file);
            foreach (Match m in LiteralCode().Matches(text))
            {
                offenders.Add($"{Path.GetRelativePath(RepoPaths.RepoRoot, file)}: {m.Value}");
            }
        }

        Assert.Empty(offenders);
    }

    [Fact]
    public void Every_code_used_is_declared()
    {
        var used = SourceFiles().SelectMany(f => UsedCode().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value)).Except(["All", "IsDeclared"]).ToHashSet();

        Assert.NotEmpty(used);
        Assert.All(used, name => Assert.NotNull(typeof(FailureCodes).GetField(name)));
    }

    private static IEnumerable<string> SourceFiles() =>
        new[] { "shared", "services", "tools" }
            .SelectMany(dir => Directory.EnumerateFiles(Path.Combine(RepoPaths.RepoRoot, dir), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    /// <summary>`code` in the first column of docs/failures.md's table.</summary>
    [GeneratedRegex(@"^\| `([a-z0-9-]+)` \|", RegexOptions.Multiline)]
    private static partial Regex DocumentedCode();

    /// <summary>A string literal where a failure's code goes.</summary>
    [GeneratedRegex(@"new (?:JobInputException\(\s*""|StageFailed\([^;]*,\s*""[a-z-]+""\s*\))|OnStageFailed\([^;]*?,[^;]*?,\s*""[a-z-]+""")]
    private static partial Regex LiteralCode();

    [GeneratedRegex(@"FailureCodes\.([A-Z][A-Za-z]+)\b")]
    private static partial Regex UsedCode();
}
