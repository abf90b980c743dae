using System.Security.Claims;
using System.Security.Cryptography;
using FacePipeline.Ingest.Api;
using FacePipeline.ServiceDefaults;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.Options;

namespace FacePipeline.Ingest.App;

/// <summary>
/// The studio app's session: signing in with the studio's API key sets an HttpOnly, SameSite=Strict cookie (Secure
/// over https) holding a data-protected ticket with the tenant claim and a random CSRF token; the key itself is kept
/// nowhere. The <c>/v1</c> API takes either the <c>X-Api-Key</c> header or this cookie (<see cref="EitherScheme"/>),
/// and a state-changing request on the cookie must carry the session's token in <see cref="CsrfHeader"/>.
/// </summary>
public static class StudioSession
{
    /// <summary>The cookie scheme.</summary>
    public const string SchemeName = "StudioSession";

    /// <summary>The default scheme: the API key when the request sends one, else the session cookie.</summary>
    public const string EitherScheme = "ApiKeyOrStudioSession";

    /// <summary>The authorization policy of the app's pages: the cookie only, so a missing session redirects to the sign-in page.</summary>
    public const string PagesPolicy = "StudioAppPages";

    public const string CookieName = "facepipe.session";

    /// <summary>The header in which the pages send the session's CSRF token with every state-changing call.</summary>
    public const string CsrfHeader = "X-CSRF";

    public const string CsrfClaim = "csrf";

    /// <summary>Where the data-protection keys that seal the cookie are kept: in the shared media folder, so every replica and every restart reads the same keys.</summary>
    public const string KeysFolder = "app/data-protection-keys";

    public static WebApplicationBuilder AddStudioSession(this WebApplicationBuilder builder)
    {
        builder.Services.AddDataProtection().SetApplicationName("FacePipeline.Ingest");
        builder.Services.AddOptions<KeyManagementOptions>().Configure<IOptions<MediaOptions>, ILoggerFactory>((keys, media, logs) =>
            keys.XmlRepository = new FileSystemXmlRepository(new DirectoryInfo(Path.Combine(media.Value.Root!, KeysFolder)), logs));
        builder.Services.AddAuthentication(EitherScheme)
            .AddPolicyScheme(EitherScheme, "API key or studio session", o => o.ForwardDefaultSelector = SchemeFor)
            .AddCookie(SchemeName, o =>
            {
                o.Cookie.Name = CookieName;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.ExpireTimeSpan = TimeSpan.FromHours(12);
                o.SlidingExpiration = true;
                o.LoginPath = StudioApp.SignInPath;
                o.LogoutPath = StudioApp.SignOutPath;
                o.Events.OnRedirectToLogin = context => Challenge(context, StatusCodes.Status401Unauthorized,
                    $"Your studio session has ended: sign in again at {StudioApp.SignInPath}, or send your studio's API key in the {ApiKeyAuthenticationHandler.HeaderName} header.");
                o.Events.OnRedirectToAccessDenied = context => Challenge(context, StatusCodes.Status403Forbidden, "This session may not do that: sign in with the studio's own key.");
            });
        builder.Services.AddAuthorizationBuilder().AddPolicy(PagesPolicy, p => p.AddAuthenticationSchemes(SchemeName).RequireClaim(ApiKeyAuthenticationHandler.TenantClaim));
        return builder;
    }

    /// <summary>The principal of a signed-in studio: its tenant, its name and a new CSRF token.</summary>
    public static ClaimsPrincipal Principal(Guid tenantId, string studioName) => new(new ClaimsIdentity(
        [
            new Claim(ApiKeyAuthenticationHandler.TenantClaim, tenantId.ToString()),
            new Claim(ClaimTypes.Name, studioName),
            new Claim(CsrfClaim, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))),
        ],
        SchemeName));

    /// <summary>The session's CSRF token, which the pages carry and send back in <see cref="CsrfHeader"/>.</summary>
    public static string CsrfToken(this ClaimsPrincipal user) => user.FindFirstValue(CsrfClaim) ?? string.Empty;

    /// <summary>
    /// Refuses (403) a state-changing request authenticated by the session cookie without the session's token in
    /// <see cref="CsrfHeader"/>: another site can make a browser send the cookie, never that header with that value.
    /// </summary>
    public static async Task RequireCsrfToken(HttpContext context, RequestDelegate next)
    {
        var unsafeMethod = !(HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method) || HttpMethods.IsOptions(context.Request.Method));
        if (unsafeMethod && !context.Request.Path.Equals(StudioApp.SignInPath) && context.User.Identity is { IsAuthenticated: true, AuthenticationType: SchemeName } && !HasToken(context))
        {
            await ApiProblems.WriteAsync(context, StatusCodes.Status403Forbidden,
                $"A change made with the studio session must carry the session's token in the {CsrfHeader} header (the app's pages send it): reload the page and try again.");
            return;
        }

        await next(context);
    }

    private static bool HasToken(HttpContext context)
    {
        var expected = context.User.CsrfToken();
        var sent = context.Request.Headers[CsrfHeader];
        return expected.Length > 0 && sent.Count == 1
            && CryptographicOperations.FixedTimeEquals(System.Text.Encoding.ASCII.GetBytes(sent[0] ?? string.Empty), System.Text.Encoding.ASCII.GetBytes(expected));
    }

    private static string SchemeFor(HttpContext context) =>
        context.Request.Headers.ContainsKey(ApiKeyAuthenticationHandler.HeaderName) || !context.Request.Cookies.ContainsKey(CookieName)
            ? ApiKeyAuthenticationHandler.SchemeName
            : SchemeName;

    /// <summary>A page without a session goes to the sign-in page; an API call gets its refusal as a sentence.</summary>
    private static Task Challenge(RedirectContext<CookieAuthenticationOptions> context, int status, string sentence)
    {
        if (context.Request.Path.StartsWithSegments(StudioApp.BasePath) && status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Redirect(StudioApp.SignInPath);
            return Task.CompletedTask;
        }

        return ApiProblems.WriteAsync(context.HttpContext, status, sentence);
    }
}
