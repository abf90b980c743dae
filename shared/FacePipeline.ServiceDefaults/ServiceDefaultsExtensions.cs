using Microsoft.Extensions.DependencyInjection.Extensions;
using FacePipeline.Storage;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace FacePipeline.ServiceDefaults;

/// <summary>
/// What every FacePipeline service shares: configuration, OpenTelemetry, health endpoints, the
/// media store and the RabbitMQ bus. A service's Program.cs calls these and adds its own consumers.
/// </summary>
public static class ServiceDefaultsExtensions
{
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.AddLoggingDefaults(); // levels, console format (simple or JSON lines), scopes, the rotated log file: docs/logging.md
        builder.Services.AddSingleton<OnnxSessionLogging>(); // resolved by the start-up checks, before any model is opened

        builder.Services.AddOpenTelemetry()
            .WithTracing(t => t
                .AddSource(builder.Environment.ApplicationName)
                .AddSource("MassTransit")
                .AddSource("FacePipeline.Outbox")
                .AddAspNetCoreInstrumentation(o => o.Filter = ctx => !ctx.Request.Path.StartsWithSegments("/health")))
            .WithMetrics(m => m
                .AddMeter("MassTransit")
                .AddMeter(Telemetry.MeterName)
                .AddAspNetCoreInstrumentation());
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        // Missing registrations fail when the provider is built, in every environment (not only Development).
        builder.ConfigureContainer(new DefaultServiceProviderFactory(new ServiceProviderOptions
        {
            ValidateOnBuild = true,
            ValidateScopes = builder.Environment.IsDevelopment(),
        }));
        builder.Services.AddValidatedOptions<MediaOptions>(MediaOptions.Section);
        builder.Services.AddSingleton(sp => new MediaStore(sp.GetRequiredService<IOptions<MediaOptions>>().Value.Root!));
        builder.Services.AddHealthChecks().AddCheck<MediaStoreHealthCheck>("media-store", tags: ["ready"]);
        return builder;
    }

    /// <summary>
    /// The RabbitMQ bus (MassTransit 8), with the service's consumers on kebab-case queues. The broker's settings are
    /// <see cref="RabbitMqOptions"/>, validated at start-up (no default credentials outside Development).
    /// </summary>
    public static IServiceCollection AddMessageBus(this IServiceCollection services, Action<IBusRegistrationConfigurator> addConsumers)
    {
        ArgumentNullException.ThrowIfNull(addConsumers);
        services.AddRabbitMqOptions();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<EndedJobs>();
        services.AddMassTransit(x =>
        {
            x.ConfigureUsageTelemetryOptions(o => o.Enabled = false);
            x.SetKebabCaseEndpointNameFormatter();
            addConsumers(x);
            // Every queue is a priority queue: an interactive job's work overtakes queued overnight work (docs/batches.md).
            x.AddConfigureEndpointsCallback((_, cfg) =>
            {
                if (cfg is IRabbitMqReceiveEndpointConfigurator rabbit)
                {
                    rabbit.EnablePriority(BrokerPriority.Max);
                }
            });
            x.UsingRabbitMq((context, cfg) =>
            {
                var options = context.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
                cfg.Host(options.Host, options.Port, options.VirtualHost, h =>
                {
                    h.Username(options.Username!); // validated at start-up
                    h.Password(options.Password!);
                });
                cfg.PrefetchCount = options.PrefetchCount;
                cfg.UseJobContext(context);
                cfg.UseMessageRetry(ConsumeRetry);
                cfg.Publish<Contracts.IJobMessage>(p => p.Exclude = true); // a marker, not a topic
                cfg.ConfigureEndpoints(context);
            });
        });
        return services;
    }

    /// <summary>
    /// In-process retry for a consume that throws: exponential back-off (0.2 s doubling to 5 s, four retries) for
    /// transient faults. The studio's input (<see cref="Contracts.JobInputException"/>) and a declared server fault
    /// (<see cref="Contracts.ServerFaultException"/>: a missing model, a broken install) are not retried: the same
    /// message would fail the same way, so the job fails at once with its code. An unavailable database is the
    /// concern of the consumers that use it (<see cref="DatabaseFaults.OutageRetry"/>), not retried twice over.
    /// </summary>
    public static void ConsumeRetry(IRetryConfigurator retry)
    {
        ArgumentNullException.ThrowIfNull(retry);
        retry.Exponential(4, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(400));
        retry.Ignore<Contracts.JobInputException>();
        retry.Ignore<Contracts.ServerFaultException>();
        retry.Ignore<Exception>(DatabaseFaults.IsUnavailable); // the consumers that use the database retry it for minutes: DatabaseFaults.OutageRetry
    }

    /// <summary>/health/live (the process answers) and /health/ready (its dependencies answer).</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = r => r.Tags.Contains("live") });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = r => r.Tags.Contains("ready") });
        return app;
    }

    /// <summary>Media:Root from configuration, or an exception naming the setting (the services bind <see cref="MediaOptions"/>).</summary>
    public static string MediaRoot(IConfiguration configuration) =>
        configuration["Media:Root"] is { Length: > 0 } root
            ? root
            : throw new InvalidOperationException("Media:Root is not configured (environment variable Media__Root): the shared media folder.");

    public static string RequiredConnectionString(this IConfiguration configuration, string name) =>
        configuration.GetConnectionString(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"ConnectionStrings:{name} is not configured (environment variable ConnectionStrings__{name}).");
}

internal sealed class MediaStoreHealthCheck(MediaStore store) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(Directory.Exists(store.Root)
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"Media root {store.Root} is missing."));
}
