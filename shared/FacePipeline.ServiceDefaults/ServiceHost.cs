using Microsoft.AspNetCore.Builder;

namespace FacePipeline.ServiceDefaults;

/// <summary>
/// Where every service's Program.cs starts: ASP.NET Core's builder with the content root at the service's own folder
/// (<see cref="AppContext.BaseDirectory"/>, <c>/app</c> in the images) instead of the directory it was started from.
/// The host watches its content root, subfolders included, for configuration files that change; started from the
/// repository (<c>scripts/services.sh</c>, <c>dotnet run</c>), that was 1,749 inotify watches per service over the
/// repository, the media store, PostgreSQL's files and the logs, and every write there woke six processes: 2.4 % of the
/// machine's CPU during a 480p 9k track job (docs/benchmarks.md, "Where the CPU of a track job goes"). The services read
/// no configuration files (settings come from the environment), and the studio app's assets are found from the same folder.
/// </summary>
public static class ServiceHost
{
    /// <summary>The service's builder, its content root the folder its assembly was loaded from.</summary>
    public static WebApplicationBuilder CreateBuilder(string[] args) =>
        WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
}
