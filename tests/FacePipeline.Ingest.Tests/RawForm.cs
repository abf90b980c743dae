using System.Net.Http.Headers;
using System.Text;

namespace FacePipeline.Ingest.Tests;

/// <summary>
/// A multipart/form-data body written byte by byte, so that a test can send what no HTTP client would build: a body
/// without its closing boundary, one that never matches its boundary, a part without headers, a file name of any length.
/// </summary>
public sealed class RawForm
{
    public const string DefaultBoundary = "fp-raw-boundary-7d1c";

    private readonly List<(string Headers, byte[] Body)> _parts = [];

    public RawForm(string boundary = DefaultBoundary) => Boundary = boundary;

    public string Boundary { get; }

    public RawForm Field(string name, string value) => Part($"Content-Disposition: form-data; name=\"{name}\"", Encoding.UTF8.GetBytes(value));

    public RawForm File(string name, string fileName, byte[] content) =>
        Part($"Content-Disposition: form-data; name=\"{name}\"; filename=\"{fileName}\"\r\nContent-Type: application/octet-stream", content);

    /// <summary>A part with exactly these header lines (CRLF-separated, without the blank line that ends them).</summary>
    public RawForm Part(string headers, byte[] body)
    {
        _parts.Add((headers, body));
        return this;
    }

    /// <summary>The body: every part after its boundary line, then the closing boundary unless <paramref name="close"/> is false.</summary>
    public byte[] Bytes(bool close = true)
    {
        using var stream = new MemoryStream();
        foreach (var (headers, body) in _parts)
        {
            Write(stream, $"--{Boundary}\r\n{headers}\r\n\r\n");
            stream.Write(body);
            Write(stream, "\r\n");
        }

        if (close)
        {
            Write(stream, $"--{Boundary}--\r\n");
        }

        return stream.ToArray();
    }

    /// <summary>The body as content, with a Content-Type naming <paramref name="contentTypeBoundary"/> (default: the body's own boundary).</summary>
    public ByteArrayContent Content(bool close = true, string? contentTypeBoundary = null) => Content(Bytes(close), contentTypeBoundary ?? Boundary);

    public static ByteArrayContent Content(byte[] body, string boundary)
    {
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", $"multipart/form-data; boundary={boundary}");
        return content;
    }

    /// <summary>Bytes that are not a video: no worker runs in these tests, so uploads are only stored.</summary>
    public static readonly byte[] Clip = "stored as uploaded; no extraction ever reads it"u8.ToArray();

    private static void Write(Stream stream, string text) => stream.Write(Encoding.UTF8.GetBytes(text));
}

/// <summary>What the tests check of the API's answers and of the media store.</summary>
public static class ApiChecks
{
    /// <summary>The job folders (jobs/&lt;id&gt;) in the media store.</summary>
    public static string[] JobFolders(string mediaRoot)
    {
        var jobs = Path.Combine(mediaRoot, "jobs");
        return Directory.Exists(jobs) ? [.. Directory.GetDirectories(jobs).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)] : [];
    }

    /// <summary>Every file in the media store (temporary files of an upload included).</summary>
    public static string[] MediaFiles(string mediaRoot) =>
        [.. Directory.EnumerateFiles(mediaRoot, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];

    /// <summary>
    /// The sentence of a refusal: an RFC 9457 problem (application/problem+json) whose detail, repeated in 'error', is
    /// a sentence (it ends with a full stop). Fails the test otherwise.
    /// </summary>
    public static async Task<string> Sentence(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{(int)response.StatusCode} answered {response.Content.Headers.ContentType?.MediaType ?? "no content type"}: {text}");
        using var document = System.Text.Json.JsonDocument.Parse(text);
        var root = document.RootElement;
        var detail = root.GetProperty("detail").GetString();
        Assert.False(string.IsNullOrWhiteSpace(detail), $"{(int)response.StatusCode} answered a problem without a sentence: {text}");
        Assert.Equal(detail, root.GetProperty("error").GetString());
        Assert.Equal((int)response.StatusCode, root.GetProperty("status").GetInt32());
        Assert.True(detail!.TrimEnd().EndsWith('.'), $"Not a sentence: {detail}");
        return detail;
    }

    public static MediaTypeHeaderValue? ContentType(HttpResponseMessage response) => response.Content.Headers.ContentType;
}
