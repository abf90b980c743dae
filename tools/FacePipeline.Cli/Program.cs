using FacePipeline.Cli;
using FacePipeline.Media;

try
{
    return await CliCommands.Root().Parse(args).InvokeAsync(new System.CommandLine.InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception ex) when (ex is CliException or MediaRejectedException or FileNotFoundException or HttpRequestException)
{
    Console.Error.WriteLine($"facepipe: {CliSecrets.Redact(ex.Message)}");
    return 1;
}
