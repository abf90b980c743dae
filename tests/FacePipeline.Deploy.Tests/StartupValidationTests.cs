using FacePipeline.ExpressionTransfer;
using FacePipeline.FrameExtraction;
using FacePipeline.Ingest.Api;
using FacePipeline.Media;
using FacePipeline.Orchestration;
using FacePipeline.Persistence;
using FacePipeline.Reconstruction;
using FacePipeline.Rendering;
using FacePipeline.ServiceDefaults;
using FacePipeline.Stages;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace FacePipeline.Deploy.Tests;

/// <summary>
/// The services' start-up checks: settings bound with their checks and validated before any work is taken, the models
/// each service needs present (named with the command that produces them), no RabbitMQ guest account outside
/// Development. In process: each service's option registrations as its Program.cs makes them, on a host that is built
/// but never started (no broker). The last tests start the real binaries.
/// </summary>
public sealed class StartupValidationTests : IDisposable
{
    private readonly string _media = TestSupport.RepoPaths.NewScratchFolder("media");
    private readonly List<string> _scratch = [];

    public static TheoryData<string> Services() => new() { "Ingest", "FrameExtraction", "Reconstruction", "ExpressionTransfer", "Rendering" };

    // ---- RabbitMQ credentials ----

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public void RabbitMq_guest_user_is_refused_outside_Development(string environment)
    {
        var failures = Failures("FrameExtraction", Settings(("RabbitMq:Username", "guest"), ("RabbitMq:Password", "guest")), environment);

        var failure = Assert.Single(failures);
        Assert.Contains("RabbitMq:Username is 'guest'", failure, StringComparison.Ordinal);
        Assert.Contains($"refused outside the Development environment (this is {environment})", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void RabbitMq_guest_user_is_refused_in_any_letter_case()
    {
        var failure = Assert.Single(Failures("FrameExtraction", Settings(("RabbitMq:Username", "Guest"), ("RabbitMq:Password", "x"))));
        Assert.Contains("built-in local account", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void RabbitMq_without_credentials_refuses_to_start_outside_Development_naming_the_variables_to_set()
    {
        var failure = Assert.Single(Failures("FrameExtraction", Settings(("RabbitMq:Username", null), ("RabbitMq:Password", null))));

        Assert.Contains("RabbitMq:Username and RabbitMq:Password are not configured in the Production environment", failure, StringComparison.Ordinal);
        Assert.Contains("RabbitMq__Username", failure, StringComparison.Ordinal);
        Assert.Contains("ASPNETCORE_ENVIRONMENT=Development", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void RabbitMq_validation_failure_is_an_OptionsValidationException_of_RabbitMqOptions()
    {
        using var app = Service("FrameExtraction", Settings(("RabbitMq:Username", "guest")));

        var error = Assert.Throws<OptionsValidationException>(() => StartupChecks.Run(app.Services));
        Assert.Equal(typeof(RabbitMqOptions), error.OptionsType);
    }

    [Fact]
    public void RabbitMq_in_Development_without_credentials_uses_the_local_guest_account()
    {
        using var app = Service("FrameExtraction", Settings(("RabbitMq:Username", null), ("RabbitMq:Password", null)), Environments.Development);

        StartupChecks.Run(app.Services);
        var options = app.Services.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
        Assert.Equal(("guest", "guest"), (options.Username, options.Password));
    }

    [Fact]
    public void RabbitMq_in_Development_an_explicit_guest_user_is_accepted()
    {
        Assert.Empty(Failures("FrameExtraction", Settings(("RabbitMq:Username", "guest"), ("RabbitMq:Password", "guest")), Environments.Development));
    }

    [Fact]
    public void RabbitMq_configured_credentials_are_used_as_given_in_Development_too()
    {
        using var app = Service("FrameExtraction", Settings(("RabbitMq:Username", "facepipe"), ("RabbitMq:Password", "s3cret")), Environments.Development);

        StartupChecks.Run(app.Services);
        var options = app.Services.GetRequiredService<IOptions<RabbitMqOptions>>().Value;
        Assert.Equal(("facepipe", "s3cret"), (options.Username, options.Password));
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Development")]
    public void RabbitMq_a_user_without_a_password_is_refused_in_every_environment(string environment)
    {
        var failure = Assert.Single(Failures("FrameExtraction", Settings(("RabbitMq:Password", null)), environment));
        Assert.Contains("RabbitMq:Username is set but RabbitMq:Password is not", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void RabbitMq_port_and_prefetch_of_zero_are_refused_with_the_settings_names()
    {
        var failures = Failures("FrameExtraction", Settings(("RabbitMq:Port", "0"), ("RabbitMq:PrefetchCount", "0")));

        var text = string.Join(" ", failures);
        Assert.Contains("RabbitMq:Port must be between 1 and 65535", text, StringComparison.Ordinal);
        Assert.Contains("RabbitMq:PrefetchCount must be between 1 and 1000", text, StringComparison.Ordinal);
    }

    // ---- settings of every service ----

    [Theory]
    [MemberData(nameof(Services))]
    public void Each_service_passes_its_start_up_checks_with_its_models_and_broker_credentials(string service)
    {
        Assert.Empty(Failures(service, Settings()));
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Each_service_refuses_to_start_without_a_media_root(string service)
    {
        var failure = Assert.Single(Failures(service, Settings(("Media:Root", null))));
        Assert.Contains("Media:Root is not configured (environment variable Media__Root)", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_misspelt_setting_is_refused_with_its_name_and_the_sections_settings()
    {
        var failure = Assert.Single(Failures("Rendering", Settings(("Rendering:ClosedLoopRound", "3"))));

        Assert.Contains("Rendering:ClosedLoopRound (environment variable Rendering__ClosedLoopRound) is not a setting", failure, StringComparison.Ordinal);
        Assert.Contains("ClosedLoopRounds, BlendshapeCurves, IdentityCheck", failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Reconstruction", "Reconstruction:RefinedLandmarks", "yes please")] // not a boolean
    [InlineData("Ingest", "Pipelines:TrackQc", "Sideways")] // a track QC path Ingest does not know
    public void A_value_that_does_not_bind_stops_start_up_naming_the_setting(string service, string key, string value)
    {
        using var app = Service(service, Settings((key, value)));

        var error = Assert.Throws<InvalidOperationException>(() => StartupChecks.Run(app.Services));
        Assert.Contains(key, StartupChecks.Reason(error), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Ingest:ChunkSize", "0", "Ingest:ChunkSize must be between 1 and 10000")]
    [InlineData("Ingest:MaxUploadBytes", "0", "Ingest:MaxUploadBytes must be between 1 and 1099511627776")]
    [InlineData("Ingest:MaxPageSize", "-1", "Ingest:MaxPageSize must be between 1 and 1000")]
    public void Ingest_settings_out_of_range_are_refused(string key, string value, string expected)
    {
        var failure = Assert.Single(Failures("Ingest", Settings((key, value))));
        Assert.Contains(expected, failure, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("SingleDecodePass", true)]
    [InlineData("Segments", false)]
    public void Ingest_runs_track_jobs_exact_planes_clips_as_the_house_sets_it(string? setting, bool singleDecodePass)
    {
        using var app = Service("Ingest", Settings(("Pipelines:TrackQc", setting)));

        StartupChecks.Run(app.Services);
        var track = app.Services.GetRequiredService<FacePipeline.Orchestration.Pipelines.JobPipelines>().For(JobKinds.Track);
        Assert.Equal(singleDecodePass, track.Steps.OfType<FacePipeline.Orchestration.Pipelines.Steps.ReconstructFacesStep>().Single().OnePassQc);
    }

    [Fact]
    public void Ingest_upload_limit_sets_kestrels_request_body_limit()
    {
        using var app = Service("Ingest", Settings(("Ingest:MaxUploadBytes", "100000")));

        var kestrel = app.Services.GetRequiredService<IOptions<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>>().Value;
        Assert.Equal(100_000 + (1 << 20), kestrel.Limits.MaxRequestBodySize);
    }

    [Theory]
    [InlineData("Extraction:Limits:MaxDuration", "00:00:00", "Extraction:Limits:MaxDuration must be positive")]
    [InlineData("Extraction:Limits:MaxDisplayWidth", "0", "Extraction:Limits:MaxDisplayWidth must be between 1 and 16384")]
    [InlineData("Extraction:Limits:MaxFrameCount", "0", "Extraction:Limits:MaxFrameCount must be at least 1")]
    [InlineData("Extraction:Limits:MaxWidth", "1920", "Extraction:Limits:MaxWidth (environment variable Extraction__Limits__MaxWidth) is not a setting")]
    public void Extraction_limits_that_admit_nothing_or_do_not_exist_are_refused(string key, string value, string expected)
    {
        var failure = Assert.Single(Failures("FrameExtraction", Settings((key, value))));
        Assert.Contains(expected, failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Extraction_limits_from_configuration_reach_the_stage()
    {
        using var app = Service("FrameExtraction", Settings(("Extraction:Limits:MaxDuration", "00:05:00"), ("Extraction:Limits:MaxDisplayWidth", "1920")));

        StartupChecks.Run(app.Services);
        var limits = app.Services.GetRequiredService<MediaLimits>();
        Assert.Equal((TimeSpan.FromMinutes(5), 1920, MediaLimits.Default.MaxDisplayHeight), (limits.MaxDuration, limits.MaxDisplayWidth, limits.MaxDisplayHeight));
    }

    // ---- models ----

    [Fact]
    public void Rendering_refuses_to_start_without_the_ICT_model_naming_the_file_the_command_and_the_setting_that_turns_it_off()
    {
        var models = ServiceBinaries.FakeModels(m => m.IctFaceModelFiles);

        var failures = Failures("Rendering", Settings(("Models:Root", models)));

        Assert.Equal(2, failures.Count);
        var neutral = new ModelPaths(models).IctFaceModelFiles[0].Path;
        Assert.Contains(failures, f => f.StartsWith($"Model missing: {neutral} ", StringComparison.Ordinal));
        Assert.All(failures, f =>
        {
            Assert.Contains("Run scripts/unpack-ict.sh", f, StringComparison.Ordinal);
            Assert.Contains("set it to false to run without the model", f, StringComparison.Ordinal);
            Assert.Contains("Rendering__BlendshapeCurves=true", f, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void Rendering_with_blendshape_curves_off_starts_without_the_ICT_model()
    {
        var models = ServiceBinaries.FakeModels(m => m.IctFaceModelFiles);

        Assert.Empty(Failures("Rendering", Settings(("Models:Root", models), ("Rendering:BlendshapeCurves", "false"))));
    }

    [Fact]
    public void Rendering_refuses_to_start_without_the_identity_model_unless_the_identity_check_is_off()
    {
        var models = ServiceBinaries.FakeModels(m => [m.IdentityModel]);

        var failure = Assert.Single(Failures("Rendering", Settings(("Models:Root", models))));
        Assert.StartsWith($"Model missing: {new ModelPaths(models).IdentityModel.Path} ", failure, StringComparison.Ordinal);
        Assert.Contains("Run scripts/fetch-identity-model.sh", failure, StringComparison.Ordinal);
        Assert.Contains("Rendering__IdentityCheck", failure, StringComparison.Ordinal);

        Assert.Empty(Failures("Rendering", Settings(("Models:Root", models), ("Rendering:IdentityCheck", "false"))));
    }

    [Fact]
    public void Rendering_refuses_to_start_without_the_refined_landmark_model_or_the_face_geometry()
    {
        var models = ServiceBinaries.FakeModels(m => [m.RefinedFaceLandmarksModel, m.FaceGeometryModel]);

        var failures = Failures("Rendering", Settings(("Models:Root", models)));

        Assert.Equal(
            [new ModelPaths(models).FaceGeometryModel.Path, new ModelPaths(models).RefinedFaceLandmarksPath],
            failures.Select(f => f.Split(' ')[2]));
        Assert.All(failures, f => Assert.Contains("Run scripts/fetch-models.sh", f, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("9")]
    public void Rendering_closed_loop_rounds_outside_0_to_8_are_refused(string rounds)
    {
        var failure = Assert.Single(Failures("Rendering", Settings(("Rendering:ClosedLoopRounds", rounds))));
        Assert.Contains("Rendering:ClosedLoopRounds must be between 0 and 8", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Rendering_settings_reach_the_retarget_render_options()
    {
        using var app = Service("Rendering", Settings(("Rendering:ClosedLoopRounds", "0")));

        StartupChecks.Run(app.Services);
        Assert.Equal(0, app.Services.GetRequiredService<IOptions<RenderingOptions>>().Value.ToRetargetRenderOptions().ClosedLoopRounds);
    }

    [Fact]
    public void Reconstruction_with_refined_landmarks_refuses_to_start_without_the_refined_model()
    {
        var models = ServiceBinaries.FakeModels(m => [m.RefinedFaceLandmarksModel]);

        var failure = Assert.Single(Failures("Reconstruction", Settings(("Models:Root", models))));
        Assert.StartsWith($"Model missing: {new ModelPaths(models).RefinedFaceLandmarksPath} ", failure, StringComparison.Ordinal);
        Assert.Contains("Run scripts/fetch-models.sh", failure, StringComparison.Ordinal);
        Assert.Contains("Reconstruction__RefinedLandmarks=true", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Reconstruction_without_refined_landmarks_needs_only_the_detector_the_468_point_model_and_the_face_geometry()
    {
        var models = ServiceBinaries.FakeModels(m => [m.RefinedFaceLandmarksModel, m.IdentityModel, .. m.IctFaceModelFiles]);
        Assert.Empty(Failures("Reconstruction", Settings(("Models:Root", models), ("Reconstruction:RefinedLandmarks", "false"))));

        var without468 = ServiceBinaries.FakeModels(m => [m.FaceLandmarksModel]);
        var failure = Assert.Single(Failures("Reconstruction", Settings(("Models:Root", without468), ("Reconstruction:RefinedLandmarks", "false"))));
        Assert.StartsWith($"Model missing: {new ModelPaths(without468).FaceLandmarksModel.Path} ", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void ExpressionTransfer_in_blendshape_space_needs_the_ICT_model_unless_turned_off()
    {
        var models = ServiceBinaries.FakeModels(m => m.IctFaceModelFiles);

        var failures = Failures("ExpressionTransfer", Settings(("Models:Root", models)));
        Assert.Equal(2, failures.Count);
        Assert.All(failures, f => Assert.Contains("ExpressionTransfer__BlendshapeSpace=true", f, StringComparison.Ordinal));
        Assert.All(failures, f => Assert.Contains("Run scripts/unpack-ict.sh", f, StringComparison.Ordinal));

        Assert.Empty(Failures("ExpressionTransfer", Settings(("Models:Root", models), ("ExpressionTransfer:BlendshapeSpace", "false"))));
    }

    [Fact]
    public void An_empty_models_folder_is_refused_by_every_worker_that_runs_models()
    {
        var empty = TestSupport.RepoPaths.NewScratchFolder("no-models");
        _scratch.Add(empty);

        foreach (var service in new[] { "Reconstruction", "ExpressionTransfer", "Rendering" })
        {
            var failures = Failures(service, Settings(("Models:Root", empty)));
            Assert.NotEmpty(failures);
            Assert.All(failures, f => Assert.StartsWith($"Model missing: {empty}", f, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void A_missing_registration_stops_start_up_instead_of_a_silent_null()
    {
        var services = new ServiceCollection();
        services.AddSingleton(sp => new Needs(sp.GetRequiredService<IFormatProvider>()));
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<InvalidOperationException>(() => StartupChecks.Run(provider, typeof(Needs)));
        Assert.Contains(nameof(IFormatProvider), error.Message, StringComparison.Ordinal);
    }

    // ---- the real binaries ----

    [Theory]
    [InlineData("Ingest")]
    [InlineData("FrameExtraction")]
    [InlineData("Reconstruction")]
    [InlineData("ExpressionTransfer")]
    [InlineData("Rendering")]
    [InlineData("Training")]
    public void Each_service_binary_refuses_guest_credentials_outside_Development_and_exits_with_the_reason(string service)
    {
        var run = ServiceBinaries.Start(service, BinaryEnvironment(("RabbitMq__Username", "guest"), ("RabbitMq__Password", "guest")), TimeSpan.FromSeconds(60));

        Assert.True(run.ExitCode == 1, $"{service} exit code {run.ExitCode?.ToString() ?? "(still running)"}: {run.Output}");
        Assert.Contains($"FacePipeline.{service} refuses to start: ", run.Output, StringComparison.Ordinal);
        var reason = Assert.Single(run.Reasons);
        Assert.StartsWith("RabbitMq:Username is 'guest'", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Training_binary_refuses_a_checkpoint_interval_of_zero()
    {
        var run = ServiceBinaries.Start("Training", BinaryEnvironment(("Training__CheckpointInterval", "0")), TimeSpan.FromSeconds(60));

        Assert.True(run.ExitCode == 1, $"exit code {run.ExitCode?.ToString() ?? "(still running)"}: {run.Output}");
        Assert.Contains("Training:CheckpointInterval must be between 1 and 1000000 steps", Assert.Single(run.Reasons), StringComparison.Ordinal);
        Assert.DoesNotContain("Self-check", run.Output, StringComparison.Ordinal); // refused before the slow libtorch self-check
    }

    [Fact]
    public void A_worker_binary_in_Development_without_credentials_starts_on_the_guest_account()
    {
        var environment = BinaryEnvironment(("RabbitMq__Username", null), ("RabbitMq__Password", null), ("ASPNETCORE_ENVIRONMENT", "Development"), ("RabbitMq__Port", "1"));

        var run = ServiceBinaries.Start("FrameExtraction", environment, TimeSpan.FromSeconds(60), until: "Application started");

        Assert.DoesNotContain("refuses to start", run.Output, StringComparison.Ordinal);
        Assert.Contains("Application started", run.Output, StringComparison.Ordinal);
        Assert.Contains("Hosting environment: Development", run.Output, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        foreach (var folder in _scratch.Append(_media))
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Valid settings (a complete fake models folder, broker credentials, a media folder) with <paramref name="changes"/> (null: removed).</summary>
    private Dictionary<string, string?> Settings(params (string Key, string? Value)[] changes)
    {
        var models = ServiceBinaries.FakeModels();
        _scratch.Add(models);
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase)
        {
            ["Media:Root"] = _media,
            ["Models:Root"] = models,
            ["RabbitMq:Username"] = "facepipe",
            ["RabbitMq:Password"] = "facepipe-test",
            ["ConnectionStrings:Jobs"] = "Host=127.0.0.1;Port=1;Database=never;Username=never;Password=never",
        };
        foreach (var (key, value) in changes)
        {
            if (value is null)
            {
                settings.Remove(key);
            }
            else
            {
                settings[key] = value;
            }

            if (key == "Models:Root" && value is not null)
            {
                _scratch.Add(value);
            }
        }

        return settings;
    }

    /// <summary>The environment of a binary: <see cref="Settings"/> as environment variables, with <paramref name="changes"/>.</summary>
    private Dictionary<string, string> BinaryEnvironment(params (string Key, string? Value)[] changes)
    {
        var environment = Settings()
            .Where(s => s.Value is not null)
            .ToDictionary(s => ValidatedOptions.EnvironmentVariable(s.Key), s => s.Value!, StringComparer.Ordinal);
        foreach (var (key, value) in changes)
        {
            if (value is null)
            {
                environment.Remove(key);
            }
            else
            {
                environment[key] = value;
            }
        }

        return environment;
    }

    /// <summary>
    /// The service's host as its Program.cs registers its settings (service defaults, its own options, the bus), with only
    /// <paramref name="settings"/> as configuration; built, never started.
    /// </summary>
    private static WebApplication Service(string service, IReadOnlyDictionary<string, string?> settings, string environment = "Production")
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment, ApplicationName = $"FacePipeline.{service}" });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddServiceDefaults();
        switch (service)
        {
            case "Ingest":
                builder.Services.AddJobStore(builder.Configuration.RequiredConnectionString("Jobs"));
                builder.Services.AddJobOrchestration();
                builder.AddIngestApi();
                builder.AddUploadsApi();
                break;
            case "FrameExtraction":
                builder.Services.AddExtractionOptions();
                break;
            case "Reconstruction":
                builder.Services.AddReconstructionOptions();
                break;
            case "ExpressionTransfer":
                builder.Services.AddExpressionTransferOptions();
                break;
            case "Rendering":
                builder.Services.AddRenderingOptions();
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(service), service, null);
        }

        builder.Services.AddMessageBus(_ => { });
        return builder.Build();
    }

    /// <summary>The reasons the service's start-up checks give (<see cref="StartupChecks.Reason"/>), empty when it may start.</summary>
    private static IReadOnlyList<string> Failures(string service, IReadOnlyDictionary<string, string?> settings, string environment = "Production")
    {
        using var app = Service(service, settings, environment);
        try
        {
            StartupChecks.Run(app.Services);
            return [];
        }
        catch (Exception error) when (error is OptionsValidationException or AggregateException)
        {
            return StartupChecks.Reason(error).Split(StartupChecks.Separator);
        }
    }

    private sealed class Needs(IFormatProvider format)
    {
        public IFormatProvider Format { get; } = format;
    }
}
