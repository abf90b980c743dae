using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using FacePipeline.TestSupport;
using Microsoft.EntityFrameworkCore;

namespace FacePipeline.Ingest.Tests.Uploads;

/// <summary>
/// Issue 18, resumable uploads: the official tus client (tus-js-client in node) against the Ingest API on a real port
/// (real PostgreSQL, media in a scratch folder). A real clip arrives byte for byte, in chunks; an upload stopped half-way
/// resumes with a new client run from the server's offset, never from 0.
/// </summary>
public sealed class TusClientTests(TusApiFixture api) : IClassFixture<TusApiFixture>
{
    private const string Clip = "grid_lbbc2a.mp4";

    [Fact]
    public async Task Tus_js_client_uploads_a_real_clip_in_chunks_and_the_stored_file_is_byte_identical()
    {
        var source = RepoPaths.MediaFile(Clip);
        var run = await TusJsClient.UploadAsync(api.Endpoint, api.StudioAKey, source, "--chunk-size", "65536");

        Assert.True(run.Completed);
        var patches = run.Requests.Where(r => r.Method == "PATCH").ToList();
        Assert.Equal((new FileInfo(source).Length + 65535) / 65536, patches.Count);
        var upload = await Upload(run.UploadId);
        Assert.True(upload.GetProperty("completed").GetBoolean());
        Assert.Equal((Clip, new FileInfo(source).Length), (upload.GetProperty("fileName").GetString(), upload.GetProperty("length").GetInt64()));
        Assert.Equal($"upload:{run.UploadId}", upload.GetProperty("reference").GetString());

        await using var db = await api.Db();
        var row = await db.Uploads.SingleAsync(u => u.Id == run.UploadId);
        Assert.EndsWith($"/{run.UploadId:N}/{Clip}", row.Key, StringComparison.Ordinal);
        Assert.Equal(Sha256(source), Sha256(api.Media.PathFor(row.Key)));
    }

    [Fact]
    public async Task An_upload_stopped_half_way_resumes_from_the_servers_offset_with_a_new_client_run_and_is_byte_identical()
    {
        var source = RepoPaths.MediaFile(Clip);
        var length = new FileInfo(source).Length;
        var store = Path.Combine(RepoPaths.NewScratchFolder("tus-url-storage"), "urls.json");

        var first = await TusJsClient.UploadAsync(api.Endpoint, api.StudioAKey, source, "--chunk-size", "32768", "--stop-after", (length / 2).ToString(System.Globalization.CultureInfo.InvariantCulture), "--store", store);
        Assert.False(first.Completed);
        var serverOffset = await HeadOffset(first.UploadId);
        Assert.Equal(first.Offset, serverOffset);
        Assert.InRange(serverOffset, length / 2, (length / 2) + 32768);

        var second = await TusJsClient.UploadAsync(api.Endpoint, api.StudioAKey, source, "--chunk-size", "32768", "--store", store, "--resume");

        Assert.True(second.Completed);
        Assert.Equal(first.UploadId, second.UploadId);
        Assert.DoesNotContain(second.Requests, r => r.Method == "POST");
        Assert.Equal("HEAD", second.Requests[0].Method);
        Assert.Equal(serverOffset.ToString(System.Globalization.CultureInfo.InvariantCulture), second.Requests.First(r => r.Method == "PATCH").UploadOffset);

        // The server saw it the same way: its first PATCH started at 0, the resumed run's first at the offset it had.
        var starts = api.UploadLog.Where(line => line.StartsWith($"Upload {first.UploadId}: ", StringComparison.Ordinal))
            .Select(line => long.Parse(line.Split(" from offset ")[1].Split(',')[0], System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(0, starts[0]);
        Assert.Single(starts, s => s == 0);
        Assert.Contains(serverOffset, starts);
        Assert.Equal(length, await HeadOffset(first.UploadId));

        await using var db = await api.Db();
        var row = await db.Uploads.SingleAsync(u => u.Id == first.UploadId);
        Assert.NotNull(row.CompletedAt);
        Assert.Equal(Sha256(source), Sha256(api.Media.PathFor(row.Key)));
    }

    private async Task<JsonElement> Upload(Guid id) =>
        await api.StudioA.GetFromJsonAsync<JsonElement>($"v1/uploads/{id}", IngestApiFixture.Json);

    private async Task<long> HeadOffset(Guid id)
    {
        using var head = new HttpRequestMessage(HttpMethod.Head, $"v1/uploads/{id}");
        head.Headers.Add("Tus-Resumable", "1.0.0");
        using var response = await api.StudioA.SendAsync(head);
        response.EnsureSuccessStatusCode();
        return long.Parse(response.Headers.GetValues("Upload-Offset").Single(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream));
    }
}
