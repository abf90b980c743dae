using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace FacePipeline.Ingest.Api;

/// <summary>
/// Every answer of the API that is not a success: an RFC 9457 problem (<c>application/problem+json</c>) whose
/// <c>detail</c> is one sentence a person can act on. The same sentence is in <c>error</c>, the field clients read
/// (the CLI, scripts and the end-to-end tests).
/// </summary>
public static class ApiProblems
{
    /// <summary>The problem answer with <paramref name="status"/> and <paramref name="sentence"/>.</summary>
    public static ProblemHttpResult Answer(int status, string sentence) => TypedResults.Problem(Details(status, sentence));

    public static ProblemHttpResult BadRequest(string sentence) => Answer(StatusCodes.Status400BadRequest, sentence);

    public static ProblemHttpResult NotFound(string sentence) => Answer(StatusCodes.Status404NotFound, sentence);

    public static ProblemHttpResult Conflict(string sentence) => Answer(StatusCodes.Status409Conflict, sentence);

    /// <summary>410: what was asked for existed and was deleted (at the studio's request, or by retention).</summary>
    public static ProblemHttpResult Gone(string sentence) => Answer(StatusCodes.Status410Gone, sentence);

    /// <summary>429: the studio is past one of its caps (docs/batches.md, "Quotas").</summary>
    public static ProblemHttpResult TooManyRequests(string sentence) => Answer(StatusCodes.Status429TooManyRequests, sentence);

    /// <summary>The problem document itself, for answers written outside an endpoint (authentication, the exception guard).</summary>
    public static ProblemDetails Details(int status, string sentence) => new()
    {
        Status = status,
        Title = Title(status),
        Detail = sentence,
        Extensions = { ["error"] = sentence },
    };

    /// <summary>
    /// Writes a problem answer to a response that has not started; with <paramref name="clear"/>, whatever headers a
    /// failed handler had set go first (else they stay: e.g. the Allow header of a 405).
    /// </summary>
    public static Task WriteAsync(HttpContext context, int status, string sentence, bool clear = true)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (clear)
        {
            context.Response.Clear();
        }

        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(Details(status, sentence), options: null, contentType: "application/problem+json", context.RequestAborted);
    }

    /// <summary>A value the studio sent, as a refusal quotes it: at most 40 characters, control characters shown as '?'.</summary>
    public static string Quote(string? value)
    {
        value ??= string.Empty;
        var shown = new string([.. value.Take(40).Select(c => char.IsControl(c) ? '?' : c)]);
        return $"'{shown}{(value.Length > 40 ? "…" : string.Empty)}'";
    }

    private static string Title(int status) => status switch
    {
        StatusCodes.Status400BadRequest => "The request is not valid",
        StatusCodes.Status401Unauthorized => "No valid API key",
        StatusCodes.Status404NotFound => "Not found",
        StatusCodes.Status408RequestTimeout => "The request body was not received in time",
        StatusCodes.Status409Conflict => "Conflict",
        StatusCodes.Status410Gone => "Deleted",
        StatusCodes.Status413PayloadTooLarge => "The upload is too large",
        StatusCodes.Status415UnsupportedMediaType => "Not a multipart form",
        StatusCodes.Status429TooManyRequests => "Past the studio's quota",
        >= 500 => "Server fault",
        _ => "The request was refused",
    };
}
