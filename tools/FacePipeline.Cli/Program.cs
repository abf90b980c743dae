using System.CommandLine;
using FacePipeline.Cli;

var root = new RootCommand("facepipe: submit footage to FacePipeline, follow jobs, download results, and analyse files locally.");
CliCommands.AddTo(root);
try
{
    return await root.Parse(args).InvokeAsync();
}
catch (CliException ex)
{
    Console.Error.WriteLine($"facepipe: {ex.Message}");
    return 1;
}
