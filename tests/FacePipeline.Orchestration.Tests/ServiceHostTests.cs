using FacePipeline.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.FileProviders;

namespace FacePipeline.Orchestration.Tests;

/// <summary>Where a service's host is rooted (no servers: the Fast lane).</summary>
public sealed class ServiceHostTests
{
    private static string Folder(string path) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));

    [Fact]
    [Trait("Lane", "Fast")]
    public void A_services_content_root_is_its_own_folder()
    {
        var builder = ServiceHost.CreateBuilder([]);

        Assert.Equal(Folder(AppContext.BaseDirectory), Folder(builder.Environment.ContentRootPath));
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void The_configuration_files_it_watches_are_looked_for_in_its_own_folder_only()
    {
        var builder = ServiceHost.CreateBuilder([]);

        var watched = ((IConfigurationBuilder)builder.Configuration).Sources.OfType<FileConfigurationSource>().ToList();
        Assert.NotEmpty(watched); // appsettings.json and appsettings.{environment}.json, optional
        Assert.All(watched, source =>
        {
            var root = Assert.IsType<PhysicalFileProvider>(source.FileProvider).Root;
            Assert.Equal(Folder(AppContext.BaseDirectory), Folder(root));
        });
    }
}
