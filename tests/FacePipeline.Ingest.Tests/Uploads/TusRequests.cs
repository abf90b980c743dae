using System.Globalization;
using System.Net.Http.Headers;
using System.Text;

namespace FacePipeline.Ingest.Tests.Uploads;

/// <summary>tus requests as a client builds them by hand (HttpClient), for the cases tus-js-client never sends.</summary>
public static class TusRequests
{
    public const string OffsetOctetStream = "application/offset+octet-stream";

    /// <summary>A request with Tus-Resumable: 1.0.0 (or <paramref name="version"/>; none when null).</summary>
    public static HttpRequestMessage Tus(HttpMethod method, string url, string? version = "1.0.0")
    {
        var request = new HttpRequestMessage(method, url);
        if (version is not null)
        {
            request.Headers.Add("Tus-Resumable", version);
        }

        return request;
    }

    /// <summary>A creation of a file called <paramref name="fileName"/> of <paramref name="length"/> bytes (null: deferred).</summary>
    public static HttpRequestMessage Create(long? length, string? fileName = "take1.mp4")
    {
        var request = Tus(HttpMethod.Post, "v1/uploads");
        if (length is { } bytes)
        {
            request.Headers.Add("Upload-Length", bytes.ToString(CultureInfo.InvariantCulture));
        }
        else
        {
            request.Headers.Add("Upload-Defer-Length", "1");
        }

        if (fileName is not null)
        {
            request.Headers.Add("Upload-Metadata", $"filename {Convert.ToBase64String(Encoding.UTF8.GetBytes(fileName))},filetype {Convert.ToBase64String("video/mp4"u8)}");
        }

        return request;
    }

    /// <summary>A PATCH of <paramref name="bytes"/> at <paramref name="offset"/>.</summary>
    public static HttpRequestMessage Patch(string url, long offset, byte[] bytes, string? checksum = null, string contentType = OffsetOctetStream) =>
        Patch(url, offset, new ByteArrayContent(bytes), checksum, contentType);

    /// <summary>A PATCH of <paramref name="content"/> at <paramref name="offset"/>.</summary>
    public static HttpRequestMessage Patch(string url, long offset, HttpContent content, string? checksum = null, string contentType = OffsetOctetStream)
    {
        var request = Tus(HttpMethod.Patch, url);
        request.Headers.Add("Upload-Offset", offset.ToString(CultureInfo.InvariantCulture));
        if (checksum is not null)
        {
            request.Headers.Add("Upload-Checksum", checksum);
        }

        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Content = content;
        return request;
    }

    /// <summary>The value of a response header sent once.</summary>
    public static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.Single()
        : response.Content.Headers.TryGetValues(name, out var contentValues) ? contentValues.Single()
        : throw new Xunit.Sdk.XunitException($"The answer ({(int)response.StatusCode}) has no {name} header.");

    public static long Offset(HttpResponseMessage response) => long.Parse(Header(response, "Upload-Offset"), CultureInfo.InvariantCulture);
}
