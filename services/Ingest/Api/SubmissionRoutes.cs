namespace FacePipeline.Ingest.Api;

/// <summary>What every multipart submission call declares in the OpenAPI document.</summary>
public static class SubmissionRoutes
{
    /// <summary>
    /// A multipart form in (no antiforgery token: API clients send keys, not cookies), 202 with <typeparamref name="TResponse"/>,
    /// and the refusals a submission may answer: 400 (a field or a file), 413 (too large), 415 (not a form), 429 (a quota).
    /// </summary>
    public static RouteHandlerBuilder AcceptsSubmission<TResponse>(this RouteHandlerBuilder route) =>
        route
            .DisableAntiforgery()
            .Accepts<IFormFile>("multipart/form-data")
            .Produces<TResponse>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
}
