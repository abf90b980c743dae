using System.Net;
using FacePipeline.Ingest.Api;
using FacePipeline.Persistence;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;

namespace FacePipeline.Ingest.App;

/// <summary>Settings of the studio app (section <c>StudioApp</c>).</summary>
public sealed class StudioAppOptions
{
    public const string Section = "StudioApp";

    /// <summary>
    /// The folder holding tus-js-client's <c>tus.min.js</c> (its package's <c>dist</c> folder, installed by
    /// scripts/setup.sh into .data/tus-client), served at <c>/app/vendor/</c>; without it the submit page cannot upload.
    /// </summary>
    public string? TusClientFolder { get; set; }
}

/// <summary>
/// The studios' web app under <c>/app</c> (docs/app.md): a sign-in page, then pages that call the same <c>/v1</c> API
/// as the CLI, with the session cookie of <see cref="StudioSession"/>. The pages are static HTML with ES modules,
/// filled in here with the studio's name and the session's CSRF token only.
/// </summary>
public static class StudioApp
{
    public const string BasePath = "/app";
    public const string SignInPath = "/app/sign-in";
    public const string SignOutPath = "/app/sign-out";

    private static readonly string AppFolder = Path.Combine(AppContext.BaseDirectory, "wwwroot", "app");

    public static WebApplicationBuilder AddStudioApp(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<StudioAppOptions>().BindConfiguration(StudioAppOptions.Section);
        return builder.AddStudioSession();
    }

    public static WebApplication MapStudioApp(this WebApplication app)
    {
        app.Use(StudioSession.RequireCsrfToken);
        app.UseStaticFiles(new StaticFileOptions { RequestPath = $"{BasePath}/assets", FileProvider = new PhysicalFileProvider(Path.Combine(AppFolder, "assets")) });
        if (app.Services.GetRequiredService<IOptions<StudioAppOptions>>().Value.TusClientFolder is { Length: > 0 } tus && Directory.Exists(tus))
        {
            app.UseStaticFiles(new StaticFileOptions { RequestPath = $"{BasePath}/vendor", FileProvider = new PhysicalFileProvider(Path.GetFullPath(tus)) });
        }
        else
        {
            app.Logger.LogWarning("StudioApp:TusClientFolder is not set to a folder holding tus.min.js: the app's submit page cannot upload (scripts/setup.sh installs it into .data/tus-client)");
        }

        app.MapGet(SignInPath, (HttpContext http) => http.User.Identity?.AuthenticationType == StudioSession.SchemeName
            ? Results.Redirect(BasePath)
            : SignInPage(StatusCodes.Status200OK, null)).AllowAnonymous().ExcludeFromDescription();
        app.MapPost(SignInPath, SignIn).AllowAnonymous().DisableAntiforgery().ExcludeFromDescription();
        app.MapPost(SignOutPath, async (HttpContext http) =>
        {
            await http.SignOutAsync(StudioSession.SchemeName);
            return Results.NoContent();
        }).RequireAuthorization(StudioSession.PagesPolicy).ExcludeFromDescription();

        var pages = app.MapGroup(BasePath).RequireAuthorization(StudioSession.PagesPolicy).ExcludeFromDescription();
        pages.MapGet("/", (HttpContext http) => Page(http, "jobs", "Jobs and batches"));
        pages.MapGet("/submit", (HttpContext http) => Page(http, "submit", "Submit"));
        pages.MapGet("/actors", (HttpContext http) => Page(http, "actors", "Actors"));
        pages.MapGet("/batches/new", (HttpContext http) => Page(http, "batch-new", "Submit a batch"));
        pages.MapGet("/jobs/{id:guid}", async (Guid id, HttpContext http, JobsDbContext db) =>
        {
            var tenantId = http.User.TenantId();
            return await db.Jobs.AnyAsync(j => j.Id == id && j.TenantId == tenantId, http.RequestAborted)
                ? Page(http, "job", "Job")
                : Missing(http, "job");
        });
        pages.MapGet("/batches/{id:guid}", async (Guid id, HttpContext http, JobsDbContext db) =>
        {
            var tenantId = http.User.TenantId();
            return await db.Batches.AnyAsync(b => b.Id == id && b.TenantId == tenantId, http.RequestAborted)
                ? Page(http, "batch", "Batch")
                : Missing(http, "batch");
        });
        return app;
    }

    /// <summary>The 404 page for a job or batch that is not the studio's (or none): the same answer either way, as the API's.</summary>
    private static IResult Missing(HttpContext http, string thing) =>
        Html(Layout($"No such {thing}", http.User.Identity?.Name ?? string.Empty, http.User.CsrfToken(), Fragment("missing").Replace("{{thing}}", thing, StringComparison.Ordinal), "api"), StatusCodes.Status404NotFound);

    /// <summary>
    /// Signs the studio in with its API key from the form (checked as <see cref="ApiKeyAuthenticationHandler"/> checks
    /// the header) and sends it to its jobs; a form posted from another site is refused (no signing a browser into
    /// someone else's studio).
    /// </summary>
    private static async Task<IResult> SignIn(HttpContext http, JobsDbContext db)
    {
        if (http.Request.Headers["Sec-Fetch-Site"].ToString() is { Length: > 0 } site && site is not ("same-origin" or "none"))
        {
            return SignInPage(StatusCodes.Status403Forbidden, "Sign in from this page, not from another site's form.");
        }

        if (!http.Request.HasFormContentType)
        {
            return SignInPage(StatusCodes.Status400BadRequest, "Send the sign-in form with your studio's API key.");
        }

        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var key = form["key"].ToString().Trim();
        if (key.Length == 0)
        {
            return SignInPage(StatusCodes.Status400BadRequest, "Enter your studio's API key (it starts with fp_).");
        }

        var hash = TenantKeys.Hash(key);
        var tenant = await db.Tenants.AsNoTracking().SingleOrDefaultAsync(t => t.ApiKeyHash == hash, http.RequestAborted);
        if (tenant is null)
        {
            return SignInPage(StatusCodes.Status401Unauthorized, "That is not a studio's API key: paste the key that 'facepipe tenant create' printed.");
        }

        await http.SignInAsync(StudioSession.SchemeName, StudioSession.Principal(tenant.Id, tenant.Name));
        return Results.Redirect(BasePath);
    }

    private static IResult SignInPage(int status, string? refusal) =>
        Html(Layout("Sign in", string.Empty, string.Empty, Fragment("sign-in").Replace("{{refusal}}", refusal is null ? string.Empty : $"<p class=\"refusal\" role=\"alert\">{WebUtility.HtmlEncode(refusal)}</p>", StringComparison.Ordinal), script: null), status);

    /// <summary>A page of the app: its fragment <paramref name="name"/> in the layout, with its module of the same name.</summary>
    private static IResult Page(HttpContext http, string name, string title) =>
        Html(Layout(title, http.User.Identity?.Name ?? string.Empty, http.User.CsrfToken(), Fragment(name), name), StatusCodes.Status200OK);

    /// <summary>The page around a fragment: its title, the studio's name, the session's CSRF token (for the scripts' calls) and the page's module.</summary>
    private static string Layout(string title, string studio, string csrf, string main, string? script) =>
        Fragment("layout")
            .Replace("{{nav}}", studio.Length == 0 ? string.Empty : Fragment("nav"), StringComparison.Ordinal)
            .Replace("{{script}}", script is null ? string.Empty : $"<script type=\"module\" src=\"{BasePath}/assets/{script}.js\"></script>", StringComparison.Ordinal)
            .Replace("{{main}}", main, StringComparison.Ordinal)
            .Replace("{{title}}", WebUtility.HtmlEncode(title), StringComparison.Ordinal)
            .Replace("{{csrf}}", WebUtility.HtmlEncode(csrf), StringComparison.Ordinal)
            .Replace("{{studio}}", WebUtility.HtmlEncode(studio), StringComparison.Ordinal);

    private static string Fragment(string name) => File.ReadAllText(Path.Combine(AppFolder, "pages", $"{name}.html"));

    private static IResult Html(string html, int status) => Results.Content(html, "text/html; charset=utf-8", System.Text.Encoding.UTF8, status);
}
