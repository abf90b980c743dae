using FacePipeline.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FacePipeline.Orchestration.Uploads;

public static class UploadsSetup
{
    /// <summary>
    /// Resumable uploads (tus): <see cref="ResumableUploads"/>, the sweep of expired uploads and its background service;
    /// their options (section "Uploads") are validated at start-up. Needs the job store and the media store.
    /// </summary>
    public static IServiceCollection AddResumableUploads(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddValidatedOptions<UploadOptions>(UploadOptions.Section);
        services.AddSingleton<UploadFiles>();
        services.AddSingleton<ResumableUploads>();
        services.AddSingleton<ExpiredUploads>();
        services.AddHostedService<UploadSweeper>();
        return services;
    }
}
