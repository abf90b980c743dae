using System.CommandLine;
using FacePipeline.Cli;
using FacePipeline.Media;

var root = new RootCommand("facepipe: submit footage to FacePipeline, follow jobs, download results, and analyse files locally.");
CliCommands.AddTo(root);
try
{
    return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception ex) when (ex is CliException or MediaRejectedException or FileNotFoundException or HttpRequestException)
{
    Console.Error.WriteLine($"facepipe: {ex.Message}");
    return 1;
}
