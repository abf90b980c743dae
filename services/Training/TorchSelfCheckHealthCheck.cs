using FacePipeline.NeuralRenderer;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace FacePipeline.Training;

/// <summary>Readiness: unhealthy, with the reason, when this host's libtorch failed the start-up self-check (it then takes no training).</summary>
public sealed class TorchSelfCheckHealthCheck(TorchSelfCheckResult result) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(result.Passed ? HealthCheckResult.Healthy(result.Summary) : HealthCheckResult.Unhealthy(result.Summary));
}
