namespace FacePipeline.Cli.Tests;

/// <summary>Tests that change this process's environment run one at a time, and put it back.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironment
{
    public const string Name = "process environment";

    public static IDisposable Set(string name, string? value)
    {
        var before = Environment.GetEnvironmentVariable(name);
        Environment.SetEnvironmentVariable(name, value);
        return new Restore(name, before);
    }

    private sealed class Restore(string name, string? value) : IDisposable
    {
        public void Dispose() => Environment.SetEnvironmentVariable(name, value);
    }
}
