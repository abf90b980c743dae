namespace FacePipeline.Cli;

/// <summary>The studio web app's pages (Ingest's /app, docs/app.md) for a job or a batch, under the API's base URL.</summary>
public static class StudioAppUrls
{
    /// <param name="page">"jobs" or "batches".</param>
    public static Uri Page(string apiBaseUrl, string page, Guid id)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(apiBaseUrl);
        if (!Uri.TryCreate(apiBaseUrl.TrimEnd('/') + "/", UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
        {
            throw new CliException($"--api must be the service's http(s) base URL, not '{apiBaseUrl}'.");
        }

        return new Uri(baseUri, $"app/{page}/{id}");
    }
}
