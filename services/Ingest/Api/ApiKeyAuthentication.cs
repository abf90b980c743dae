using System.Security.Claims;
using System.Text.Encodings.Web;
using FacePipeline.Persistence;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace FacePipeline.Ingest.Api;

/// <summary>Authenticates a studio by the API key in the <c>X-Api-Key</c> header.</summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IDbContextFactory<JobsDbContext> dbFactory) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";
    public const string TenantClaim = "tenant_id";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(HeaderName, out var values) || values.Count != 1 || string.IsNullOrWhiteSpace(values[0]))
        {
            return AuthenticateResult.NoResult();
        }

        var hash = TenantKeys.Hash(values[0]!);
        await using var db = await dbFactory.CreateDbContextAsync(Context.RequestAborted);
        var tenant = await db.Tenants.AsNoTracking().SingleOrDefaultAsync(t => t.ApiKeyHash == hash, Context.RequestAborted);
        if (tenant is null)
        {
            return AuthenticateResult.Fail("Unknown API key.");
        }

        var identity = new ClaimsIdentity([new Claim(TenantClaim, tenant.Id.ToString()), new Claim(ClaimTypes.Name, tenant.Name)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        return ApiProblems.WriteAsync(Context, StatusCodes.Status401Unauthorized, $"Send your studio's API key in the {HeaderName} header.");
    }
}

public static class TenantPrincipal
{
    public static Guid TenantId(this ClaimsPrincipal user) =>
        Guid.Parse(user.FindFirstValue(ApiKeyAuthenticationHandler.TenantClaim) ?? throw new InvalidOperationException("Not authenticated."));
}
