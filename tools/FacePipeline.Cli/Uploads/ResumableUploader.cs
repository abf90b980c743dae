using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Polly;
using Polly.Retry;

namespace FacePipeline.Cli.Uploads;

/// <summary>
/// A tus 1.0 client for the CLI (docs/uploads.md): creates the upload (or finds the one an earlier run left in the
/// <see cref="UploadResumeStore"/> and asks the server its offset), then sends the file in pieces, each with its
/// SHA-256 in <c>Upload-Checksum</c>. A dropped connection or a 5xx is retried with backoff (Polly), each retry going
/// on from the offset the server answers to HEAD; when retries run out, running the same command again resumes.
/// </summary>
public sealed class ResumableUploader(HttpClient http, UploadResumeStore store, int chunkBytes = ResumableUploader.DefaultChunkBytes)
{
    public const int DefaultChunkBytes = 8 * 1024 * 1024;

    private const string Protocol = "1.0.0";

    /// <summary>How a piece is retried: a connection lost, a timeout, a server fault or a checksum refused in transit.</summary>
    public ResiliencePipeline Retry { get; init; } = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>().Handle<IOException>().Handle<TransientUploadException>()
                .Handle<TaskCanceledException>(ex => !ex.CancellationToken.IsCancellationRequested),
            MaxRetryAttempts = 8,
            BackoffType = DelayBackoffType.Exponential,
            Delay = TimeSpan.FromSeconds(1),
            MaxDelay = TimeSpan.FromSeconds(30),
            UseJitter = true,
        })
        .Build();

    /// <summary>Uploads <paramref name="file"/> (or goes on with it) and answers its upload id.</summary>
    /// <param name="progress">Bytes the server holds, after each piece (and once at the start: a resumed upload's offset).</param>
    public async Task<UploadedFile> UploadAsync(FileInfo file, IProgress<long>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        var fingerprint = UploadResumeStore.Fingerprint(http.BaseAddress!, file);
        var (location, offset) = await Resume(fingerprint, cancellationToken);
        var resumedFrom = offset;
        if (location is null)
        {
            location = await Create(file, cancellationToken);
            store.Save(fingerprint, location);
            offset = 0;
        }

        progress?.Report(offset);
        var buffer = new byte[(int)Math.Min(chunkBytes, Math.Max(1, file.Length))];
        await using (var stream = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan))
        {
            while (offset < file.Length)
            {
                try
                {
                    // The first try sends from the offset known; a retry asks the server first (an answer may have been lost).
                    var known = (long?)offset;
                    offset = await Retry.ExecuteAsync(
                        async ct =>
                        {
                            var from = known ?? await Offset(location, ct);
                            known = null;
                            return await SendPiece(location, stream, buffer, from, file.Length, ct);
                        },
                        cancellationToken);
                }
                catch (Exception ex) when (ex is HttpRequestException or IOException or TransientUploadException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
                {
                    throw new CliException(string.Create(
                        CultureInfo.InvariantCulture,
                        $"The upload of {file.Name} stopped at {offset} of {file.Length} bytes ({ex.Message}): run the same command again to go on from there."));
                }

                progress?.Report(offset);
            }
        }

        store.Forget(fingerprint);
        return new UploadedFile(Guid.Parse(location.Segments[^1]), file.Name, file.Length, resumedFrom);
    }

    /// <summary>The upload an earlier run left for this file, and the server's offset; none if it is gone or expired.</summary>
    private async Task<(Uri? Location, long Offset)> Resume(string fingerprint, CancellationToken cancellationToken)
    {
        if (store.Find(fingerprint) is not { } location)
        {
            return (null, 0);
        }

        using var request = Request(HttpMethod.Head, location);
        using var response = await http.SendAsync(request, cancellationToken);
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
        {
            store.Forget(fingerprint);
            return (null, 0);
        }

        await Ensure(response, "ask how far the upload got", cancellationToken);
        return (location, UploadOffset(response));
    }

    private async Task<Uri> Create(FileInfo file, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Post, new Uri("v1/uploads", UriKind.Relative));
        request.Headers.Add("Upload-Length", file.Length.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("Upload-Metadata", $"filename {Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(file.Name))}");
        using var response = await http.SendAsync(request, cancellationToken);
        await Ensure(response, "create the upload", cancellationToken);
        var location = response.Headers.Location ?? throw new CliException("The service created the upload but did not say where it is (no Location header).");
        return location.IsAbsoluteUri ? location : new Uri(http.BaseAddress!, location);
    }

    private async Task<long> Offset(Uri location, CancellationToken cancellationToken)
    {
        using var request = Request(HttpMethod.Head, location);
        using var response = await http.SendAsync(request, cancellationToken);
        await Ensure(response, "ask how far the upload got", cancellationToken);
        return UploadOffset(response);
    }

    /// <summary>Sends the piece at <paramref name="offset"/>; answers the server's new offset.</summary>
    private async Task<long> SendPiece(Uri location, FileStream stream, byte[] buffer, long offset, long length, CancellationToken cancellationToken)
    {
        stream.Position = offset;
        var count = await stream.ReadAtLeastAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - offset)), (int)Math.Min(buffer.Length, length - offset), throwOnEndOfStream: true, cancellationToken);
        using var request = Request(HttpMethod.Patch, location);
        request.Headers.Add("Upload-Offset", offset.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("Upload-Checksum", $"sha256 {Convert.ToBase64String(SHA256.HashData(buffer.AsSpan(0, count)))}");
        request.Content = new ByteArrayContent(buffer, 0, count);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/offset+octet-stream");
        using var response = await http.SendAsync(request, cancellationToken);
        switch ((int)response.StatusCode)
        {
            case 204:
                return UploadOffset(response);
            case 409 or 460 or >= 500:
                // Another offset than ours (an earlier piece did arrive), bytes damaged on the way, or a server fault:
                // ask the server's offset again and go on from there.
                throw new TransientUploadException($"{(int)response.StatusCode} {response.ReasonPhrase}");
            default:
                await Ensure(response, "send a piece of the file", cancellationToken);
                return UploadOffset(response);
        }
    }

    private static HttpRequestMessage Request(HttpMethod method, Uri uri)
    {
        var request = new HttpRequestMessage(method, uri);
        request.Headers.Add("Tus-Resumable", Protocol);
        return request;
    }

    private static long UploadOffset(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Upload-Offset", out var values) && long.TryParse(values.First(), CultureInfo.InvariantCulture, out var offset)
            ? offset
            : throw new CliException("The service's upload answer has no Upload-Offset: is --api a FacePipeline service?");

    private static async Task Ensure(HttpResponseMessage response, string doing, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        if ((int)response.StatusCode >= 500)
        {
            throw new TransientUploadException($"{(int)response.StatusCode} {response.ReasonPhrase}");
        }

        var body = response.Content.Headers.ContentLength is > 0 ? await response.Content.ReadAsStringAsync(cancellationToken) : string.Empty;
        var detail = JobsClient.ErrorText(body);
        throw new CliException(response.StatusCode == HttpStatusCode.Unauthorized
            ? "The API key was refused."
            : $"Could not {doing}: {(int)response.StatusCode} {response.ReasonPhrase}{(detail is null ? string.Empty : $": {detail}")}");
    }
}

/// <summary>A completed upload: its id (named in a job as <c>upload:&lt;id&gt;</c>) and where this run started it from.</summary>
public sealed record UploadedFile(Guid Id, string FileName, long Length, long ResumedFrom)
{
    public string Reference => $"upload:{Id}";
}

/// <summary>A piece the server did not take for a reason that passes (a fault, an offset to ask again): retried.</summary>
public sealed class TransientUploadException(string message) : Exception(message);
