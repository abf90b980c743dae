using FacePipeline.Orchestration.Uploads;
using FacePipeline.Persistence;
using Microsoft.Extensions.Options;

namespace FacePipeline.Ingest.Api;

/// <summary>An upload as <c>GET /v1/uploads</c> lists it, for scripts; <see cref="Reference"/> names it in a batch manifest (<c>upload:&lt;id&gt;</c>).</summary>
public sealed record UploadResponse(Guid Id, string FileName, long? Length, long Offset, bool Completed, DateTimeOffset CreatedAt, DateTimeOffset? CompletedAt, DateTimeOffset ExpiresAt, string Reference)
{
    public static UploadResponse From(Upload upload)
    {
        ArgumentNullException.ThrowIfNull(upload);
        return new(upload.Id, upload.FileName, upload.Length, upload.Offset, upload.CompletedAt is not null, upload.CreatedAt, upload.CompletedAt, upload.ExpiresAt, $"upload:{upload.Id}");
    }
}

/// <summary>The studio's uploads, newest first.</summary>
public sealed record UploadListResponse(IReadOnlyList<UploadResponse> Items);

/// <summary>
/// Resumable uploads at <c>/v1/uploads</c>: the tus 1.0.0 protocol (core, creation, creation-with-upload, termination,
/// checksum, expiration; docs/uploads.md) and JSON views for scripts. The protocol's state and rules are
/// <see cref="ResumableUploads"/>'s; these endpoints map headers to its calls and its results to answers. Every answer
/// under <c>/v1/uploads</c> carries <c>Tus-Resumable: 1.0.0</c> (<see cref="TusHeaders"/>).
/// </summary>
public static class UploadsApi
{
    private const string Path = "/v1/uploads";

    /// <summary>The uploads' services and settings (section <c>Uploads</c>), the sweep of expired uploads, and <see cref="TusHeaders"/>.</summary>
    public static WebApplicationBuilder AddUploadsApi(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddResumableUploads();
        builder.Services.AddTransient<IStartupFilter, TusHeaders>();
        return builder;
    }

    public static WebApplication MapUploadsApi(this WebApplication app)
    {
        var uploads = app.MapGroup(Path).RequireAuthorization().WithTags("Uploads");
        uploads.MapMethods("/", [HttpMethods.Options], Discover).AllowAnonymous()
            .WithSummary("tus discovery: Tus-Version, Tus-Extension, Tus-Max-Size (Ingest:MaxUploadBytes) and Tus-Checksum-Algorithm. No API key needed.");

        var tus = uploads.MapGroup("/").AddEndpointFilter(RequireTusVersion);
        tus.MapPost("/", Create)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status412PreconditionFailed)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .WithSummary("tus creation: Upload-Length (or Upload-Defer-Length: 1) and Upload-Metadata with 'filename' (base64). 201 with Location and Upload-Expires; with a body in application/offset+octet-stream (creation-with-upload) its bytes are stored and Upload-Offset says how many.");
        tus.MapMethods("/{id:guid}", [HttpMethods.Head], Head)
            .WithSummary("tus: the upload's Upload-Offset and Upload-Length (or Upload-Defer-Length), Upload-Metadata, Upload-Expires. 404 when there is no such upload, 410 once it expired.");
        tus.MapPatch("/{id:guid}", Patch)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status410Gone)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(TusProtocol.ChecksumMismatch)
            .WithSummary("tus: append the body (Content-Type: application/offset+octet-stream) at Upload-Offset, which must be the server's (else 409; 409 too while another PATCH of the upload runs). Optional Upload-Checksum 'sha1|sha256|md5 <base64>': on a mismatch the bytes are not kept (460). 204 with the new Upload-Offset and Upload-Expires.");
        tus.MapDelete("/{id:guid}", Delete)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .WithSummary("tus termination: delete the upload and its bytes at once (204).");

        uploads.MapGet("/", List).Produces<UploadListResponse>()
            .WithSummary("Your uploads that have not expired, newest first: id, fileName, length, offset, completed, expiresAt, and the reference that names a completed one in a batch manifest (upload:<id>).");
        uploads.MapGet("/{id:guid}", Get).Produces<UploadResponse>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status410Gone)
            .WithSummary("One upload as JSON (the same fields as the list).");
        return app;
    }

    private static IResult Discover(HttpResponse response, IOptions<IngestOptions> ingest)
    {
        response.Headers[TusProtocol.VersionHeader] = TusProtocol.Version;
        response.Headers[TusProtocol.ExtensionHeader] = TusProtocol.Extensions;
        response.Headers[TusProtocol.MaxSizeHeader] = ingest.Value.MaxUploadBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers[TusProtocol.ChecksumAlgorithmHeader] = UploadChecksum.Algorithms;
        return Results.NoContent();
    }

    private static async Task<IResult> Create(HttpContext http, ResumableUploads uploads, IOptions<IngestOptions> ingest)
    {
        var headers = http.Request.Headers;
        var creation = new UploadCreationHeaders(Header(headers, TusProtocol.LengthHeader), Header(headers, TusProtocol.DeferLengthHeader), Header(headers, TusProtocol.MetadataHeader));
        var created = await uploads.CreateAsync(http.User.TenantId(), creation, Content(http.Request), http.Request.Body, ingest.Value.MaxUploadBytes, http.RequestAborted);
        if (Refusal(created) is { } refused)
        {
            return refused;
        }

        var upload = created.Upload!;
        SetProgress(http.Response, upload);
        http.Response.Headers.Location = $"{Path}/{upload.Id}";
        return Results.StatusCode(StatusCodes.Status201Created);
    }

    private static async Task<IResult> Head(Guid id, HttpContext http, ResumableUploads uploads)
    {
        http.Response.Headers.CacheControl = "no-store";
        var found = await uploads.FindAsync(http.User.TenantId(), id, http.RequestAborted);
        if (found is null || found.Expired)
        {
            return Results.StatusCode(found is null ? StatusCodes.Status404NotFound : StatusCodes.Status410Gone); // a HEAD answer has no body
        }

        SetProgress(http.Response, found.Upload);
        if (found.Upload.Length is null)
        {
            http.Response.Headers[TusProtocol.DeferLengthHeader] = "1";
        }

        if (found.MetadataHeader.Length > 0)
        {
            http.Response.Headers[TusProtocol.MetadataHeader] = found.MetadataHeader;
        }

        return Results.Ok();
    }

    private static async Task<IResult> Patch(Guid id, HttpContext http, ResumableUploads uploads, IOptions<IngestOptions> ingest)
    {
        var appended = await uploads.AppendAsync(http.User.TenantId(), id, Content(http.Request), http.Request.Body, ingest.Value.MaxUploadBytes, http.RequestAborted);
        if (Refusal(appended) is { } refused)
        {
            return refused;
        }

        SetProgress(http.Response, appended.Upload!);
        return appended.Interrupted
            ? ApiProblems.BadRequest($"The body ended before it was complete; {appended.BytesStored} byte(s) of it were kept: send HEAD and resume from its Upload-Offset.")
            : Results.NoContent();
    }

    private static async Task<IResult> Delete(Guid id, HttpContext http, ResumableUploads uploads) =>
        await uploads.DeleteAsync(http.User.TenantId(), id, http.RequestAborted) switch
        {
            true => Results.NoContent(),
            false => ApiProblems.NotFound($"No upload {id}."),
            null => ApiProblems.Conflict($"Upload {id} is receiving a request's bytes right now: let that request end, then delete it."),
        };

    private static async Task<IResult> List(HttpContext http, ResumableUploads uploads) =>
        Results.Ok(new UploadListResponse([.. (await uploads.ListAsync(http.User.TenantId(), http.RequestAborted)).Select(u => UploadResponse.From(u.Upload))]));

    private static async Task<IResult> Get(Guid id, HttpContext http, ResumableUploads uploads)
    {
        var found = await uploads.FindAsync(http.User.TenantId(), id, http.RequestAborted);
        return found is null ? ApiProblems.NotFound($"No upload {id}.")
            : found.Expired ? ApiProblems.Gone(uploads.Expired(found.Upload))
            : Results.Ok(UploadResponse.From(found.Upload));
    }

    /// <summary>Every tus request but OPTIONS names the protocol version it speaks; another (or none) is refused with 412 and the versions spoken.</summary>
    private static async ValueTask<object?> RequireTusVersion(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var version = Header(http.Request.Headers, TusProtocol.ResumableHeader);
        if (TusProtocol.IsSupportedVersion(version))
        {
            return await next(context);
        }

        http.Response.Headers[TusProtocol.VersionHeader] = TusProtocol.Version;
        return HttpMethods.IsHead(http.Request.Method)
            ? Results.StatusCode(StatusCodes.Status412PreconditionFailed)
            : ApiProblems.Answer(StatusCodes.Status412PreconditionFailed, version is null
                ? $"Send {TusProtocol.ResumableHeader}: {TusProtocol.Version} with every tus request (tus clients do)."
                : $"This server speaks tus {TusProtocol.Version} only, not {ApiProblems.Quote(version)}: send {TusProtocol.ResumableHeader}: {TusProtocol.Version}.");
    }

    private static UploadPatchHeaders Content(HttpRequest request) => new(
        request.ContentType,
        Header(request.Headers, TusProtocol.OffsetHeader),
        Header(request.Headers, TusProtocol.LengthHeader),
        request.ContentLength,
        Header(request.Headers, TusProtocol.ChecksumHeader));

    /// <summary>A refused request's answer: a problem with its sentence (no body for HEAD).</summary>
    private static IResult? Refusal(UploadAppendResult result) =>
        result.Refusal is { } refusal ? ApiProblems.Answer(refusal.Status, refusal.Sentence) : null;

    private static void SetProgress(HttpResponse response, Upload upload)
    {
        response.Headers[TusProtocol.OffsetHeader] = upload.Offset.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (upload.Length is { } length)
        {
            response.Headers[TusProtocol.LengthHeader] = length.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        response.Headers[TusProtocol.ExpiresHeader] = TusProtocol.HttpDate(upload.ExpiresAt);
    }

    /// <summary>A header sent once, or null (absent, or sent more than once, which no tus header may be).</summary>
    private static string? Header(IHeaderDictionary headers, string name) =>
        headers.TryGetValue(name, out var values) && values.Count == 1 ? values[0] : null;
}

/// <summary>
/// The tus guard of every request under <c>/v1/uploads</c>, ahead of the whole pipeline (authentication and the fault
/// guard included): its answer carries <c>Tus-Resumable: 1.0.0</c> whatever it is (a 401, a 404, a fault), and
/// <c>X-HTTP-Method-Override</c> stands for the request's method (for clients that cannot send PATCH or DELETE).
/// </summary>
public sealed class TusHeaders : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            if (context.Request.Path.StartsWithSegments("/v1/uploads"))
            {
                if (context.Request.Headers.TryGetValue(TusProtocol.MethodOverrideHeader, out var method) && method.Count == 1 && !string.IsNullOrEmpty(method[0]))
                {
                    context.Request.Method = method[0]!.ToUpperInvariant();
                }

                context.Response.OnStarting(() =>
                {
                    context.Response.Headers[TusProtocol.ResumableHeader] = TusProtocol.Version;
                    return Task.CompletedTask;
                });
            }

            return nextMiddleware(context);
        });
        next(app);
    };
}
