using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FacePipeline.Orchestration.Uploads;
using Microsoft.EntityFrameworkCore;
using static FacePipeline.Ingest.Tests.Uploads.TusRequests;

namespace FacePipeline.Ingest.Tests.Uploads;

/// <summary>
/// Issue 18, the tus 1.0.0 protocol at /v1/uploads, request by request (HttpClient and a raw socket on the real port;
/// real PostgreSQL): discovery, creation (with and without a body, deferred length), HEAD, PATCH at the server's offset
/// only, checksums, one writer at a time, a dropped connection, termination, studios kept apart, and the
/// Tus-Resumable header on every answer.
/// </summary>
public sealed class TusProtocolTests(TusApiFixture api) : IClassFixture<TusApiFixture>
{
    [Fact]
    public async Task Options_tells_the_version_extensions_size_limit_and_checksum_algorithms_without_an_api_key()
    {
        using var client = api.Anonymous();
        using var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Options, "v1/uploads"));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Equal("1.0.0", Header(response, "Tus-Version"));
        Assert.Equal("creation,creation-with-upload,termination,checksum,expiration", Header(response, "Tus-Extension"));
        Assert.Equal((4L << 30).ToString(CultureInfo.InvariantCulture), Header(response, "Tus-Max-Size"));
        Assert.Equal(["sha1", "sha256", "md5"], Header(response, "Tus-Checksum-Algorithm").Split(','));
    }

    [Fact]
    public async Task A_creation_answers_201_with_its_location_and_expiry_and_head_tells_its_offset_length_and_metadata()
    {
        var before = DateTimeOffset.UtcNow;
        using var created = await api.StudioA.SendAsync(Create(1000, "Take 1 (final).mp4"));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var location = created.Headers.Location!.ToString();
        Assert.Matches("^/v1/uploads/[0-9a-f-]{36}$", location);
        Assert.Equal(0, Offset(created));
        var expires = DateTimeOffset.ParseExact(Header(created, "Upload-Expires"), "R", CultureInfo.InvariantCulture);
        Assert.InRange(expires, before.AddHours(24).AddSeconds(-1), DateTimeOffset.UtcNow.AddHours(24));

        using var head = await api.StudioA.SendAsync(Tus(HttpMethod.Head, location));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal((0, "1000", "no-store"), (Offset(head), Header(head, "Upload-Length"), head.Headers.CacheControl?.ToString()));
        Assert.Equal($"filename {Convert.ToBase64String(Encoding.UTF8.GetBytes("Take 1 (final).mp4"))},filetype {Convert.ToBase64String("video/mp4"u8)}", Header(head, "Upload-Metadata"));

        var json = await api.StudioA.GetFromJsonAsync<JsonElement>(location, IngestApiFixture.Json);
        Assert.Equal(("Take 1 (final).mp4", 1000, 0, false), (json.GetProperty("fileName").GetString(), json.GetProperty("length").GetInt64(), json.GetProperty("offset").GetInt64(), json.GetProperty("completed").GetBoolean()));
        await using var db = await api.Db();
        var row = await db.Uploads.SingleAsync(u => u.Id == IdOf(location));
        Assert.EndsWith($"/{row.Id:N}/Take_1__final_.mp4", row.Key, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "1000", 400, "The upload has no file name: send it in Upload-Metadata as 'filename <base64 of the name>'")]
    [InlineData("take1.mp4", "5368709120", 413, "The upload's length of 5368709120 bytes is over the limit of 4294967296 bytes (Tus-Max-Size)")]
    [InlineData("take1.mp4", "-1", 400, "Upload-Length must be the file's size as a whole number of bytes (got '-1').")]
    public async Task A_creation_without_a_file_name_with_a_bad_length_or_over_the_limit_is_refused_with_a_sentence(string? fileName, string length, int status, string sentence)
    {
        var request = Create(0, fileName);
        request.Headers.Remove("Upload-Length");
        request.Headers.Add("Upload-Length", length);
        var uploadsBefore = await UploadCount();

        using var response = await api.StudioA.SendAsync(request);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.StartsWith(sentence, await ApiChecks.Sentence(response), StringComparison.Ordinal);
        Assert.Equal(uploadsBefore, await UploadCount());
    }

    [Fact]
    public async Task Patches_at_the_servers_offset_complete_the_upload_and_a_patch_at_another_offset_is_refused_with_409()
    {
        var bytes = RandomNumberGenerator.GetBytes(3000);
        var location = await NewUpload(bytes.Length);

        using (var first = await api.StudioA.SendAsync(Patch(location, 0, bytes[..1000])))
        {
            Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
            Assert.Equal(1000, Offset(first));
            Assert.True(DateTimeOffset.TryParseExact(Header(first, "Upload-Expires"), "R", CultureInfo.InvariantCulture, DateTimeStyles.None, out _));
        }

        foreach (var wrong in new long[] { 0, 500, 2000 })
        {
            using var refused = await api.StudioA.SendAsync(Patch(location, wrong, bytes[1000..2000]));
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Equal($"Upload {IdOf(location)} is at offset 1000, not {wrong}: send HEAD and resume from its Upload-Offset.", await ApiChecks.Sentence(refused));
        }

        using (var rest = await api.StudioA.SendAsync(Patch(location, 1000, bytes[1000..])))
        {
            Assert.Equal(HttpStatusCode.NoContent, rest.StatusCode);
            Assert.Equal(3000, Offset(rest));
        }

        Assert.Equal(bytes, await File.ReadAllBytesAsync(await StoredPath(location)));
        await using var db = await api.Db();
        Assert.NotNull((await db.Uploads.SingleAsync(u => u.Id == IdOf(location))).CompletedAt);
    }

    [Fact]
    public async Task A_patch_with_a_wrong_checksum_is_refused_with_460_and_neither_the_offset_nor_the_file_moves()
    {
        var bytes = RandomNumberGenerator.GetBytes(2000);
        var location = await NewUpload(bytes.Length);
        var corrupted = bytes[..1000].ToArray();
        corrupted[500] ^= 0xFF;

        using (var refused = await api.StudioA.SendAsync(Patch(location, 0, corrupted, $"sha1 {Convert.ToBase64String(SHA1.HashData(bytes.AsSpan(0, 1000)))}")))
        {
            Assert.Equal(460, (int)refused.StatusCode);
            Assert.Equal("The body's sha1 digest is not the one in Upload-Checksum, so its 1000 bytes were not kept: send them again from offset 0.", await ApiChecks.Sentence(refused));
        }

        Assert.Equal(0, await HeadOffset(location));
        Assert.Equal(0, new FileInfo(await StoredPath(location)).Length);

        using (var sha1 = await api.StudioA.SendAsync(Patch(location, 0, bytes[..1000], $"sha1 {Convert.ToBase64String(SHA1.HashData(bytes.AsSpan(0, 1000)))}")))
        {
            Assert.Equal(HttpStatusCode.NoContent, sha1.StatusCode);
        }

        using (var sha256 = await api.StudioA.SendAsync(Patch(location, 1000, bytes[1000..], $"sha256 {Convert.ToBase64String(SHA256.HashData(bytes.AsSpan(1000)))}")))
        {
            Assert.Equal(HttpStatusCode.NoContent, sha256.StatusCode);
            Assert.Equal(2000, Offset(sha256));
        }

        Assert.Equal(bytes, await File.ReadAllBytesAsync(await StoredPath(location)));
    }

    [Theory]
    [InlineData("crc32 AAAAAA==", "The checksum algorithm 'crc32' is not supported: use one of sha1,sha256,md5 (Tus-Checksum-Algorithm).")]
    [InlineData("sha1 bm90IGEgc2hhMQ==", "The sha1 digest in Upload-Checksum is not base64 of 20 bytes: send the body's sha1 digest in base64.")]
    public async Task A_patch_whose_checksum_cannot_be_checked_is_refused_with_400(string checksum, string sentence)
    {
        var location = await NewUpload(10);

        using var refused = await api.StudioA.SendAsync(Patch(location, 0, new byte[10], checksum));

        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(sentence, await ApiChecks.Sentence(refused));
        Assert.Equal(0, await HeadOffset(location));
    }

    [Fact]
    public async Task A_patch_of_another_content_type_is_refused_with_415_and_a_request_without_tus_resumable_with_412()
    {
        var location = await NewUpload(10);

        using (var wrongType = await api.StudioA.SendAsync(Patch(location, 0, new byte[10], contentType: "application/octet-stream")))
        {
            Assert.Equal(HttpStatusCode.UnsupportedMediaType, wrongType.StatusCode);
            Assert.Equal("Send the upload's bytes with Content-Type: application/offset+octet-stream (got 'application/octet-stream').", await ApiChecks.Sentence(wrongType));
        }

        foreach (var version in new[] { null, "0.2.2" })
        {
            var request = Patch(location, 0, new byte[10]);
            request.Headers.Remove("Tus-Resumable");
            if (version is not null)
            {
                request.Headers.Add("Tus-Resumable", version);
            }

            using var refused = await api.StudioA.SendAsync(request);
            Assert.Equal(HttpStatusCode.PreconditionFailed, refused.StatusCode);
            Assert.Equal("1.0.0", Header(refused, "Tus-Version"));
        }

        Assert.Equal(0, await HeadOffset(location));
    }

    [Fact]
    public async Task A_second_patch_or_a_delete_while_the_first_patch_is_still_receiving_is_refused_with_409_and_the_first_completes()
    {
        var bytes = RandomNumberGenerator.GetBytes(4000);
        var location = await NewUpload(bytes.Length);
        var gate = new TaskCompletionSource();
        var first = api.StudioA.SendAsync(Patch(location, 0, new GatedContent(bytes, 1000, gate.Task)));
        await Until(() => UploadLockHeld(IdOf(location)), "the first PATCH holds the upload's lock");

        using (var second = await api.StudioA.SendAsync(Patch(location, 0, bytes)))
        {
            Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
            Assert.Equal($"Upload {IdOf(location)} is receiving another request's bytes right now: let that request end, then send HEAD and resume from its Upload-Offset.", await ApiChecks.Sentence(second));
        }

        using (var delete = await api.StudioA.SendAsync(Tus(HttpMethod.Delete, location)))
        {
            Assert.Equal(HttpStatusCode.Conflict, delete.StatusCode);
            Assert.Equal($"Upload {IdOf(location)} is receiving a request's bytes right now: let that request end, then delete it.", await ApiChecks.Sentence(delete));
        }

        gate.SetResult();
        using var completed = await first;
        Assert.Equal(HttpStatusCode.NoContent, completed.StatusCode);
        Assert.Equal(4000, Offset(completed));
        Assert.Equal(bytes, await File.ReadAllBytesAsync(await StoredPath(location)));
    }

    [Fact]
    public async Task A_patch_whose_connection_ends_part_way_keeps_the_bytes_that_arrived_and_the_upload_resumes_from_there()
    {
        var bytes = RandomNumberGenerator.GetBytes(100_000);
        var location = await NewUpload(bytes.Length);
        var stored = await StoredPath(location);
        await SendAndDrop(location, bytes, 40_000, stored);

        // The server records what arrived once it sees the connection gone (it answers nothing to a client that left).
        await Until(async () => await HeadOffset(location) > 0, "the server recorded the bytes of the cut PATCH");
        Assert.Equal(40_000, await HeadOffset(location));
        await CompletesFrom(location, bytes, 40_000);
    }

    [Fact]
    public async Task A_patch_with_a_checksum_whose_connection_ends_part_way_keeps_none_of_its_bytes()
    {
        var bytes = RandomNumberGenerator.GetBytes(100_000);
        var location = await NewUpload(bytes.Length);
        var stored = await StoredPath(location);
        await SendAndDrop(location, bytes, 40_000, stored, $"Upload-Checksum: sha1 {Convert.ToBase64String(SHA1.HashData(bytes))}"); // its digest can never be checked

        await Until(() => Task.FromResult(api.UploadLog.Any(line => line.StartsWith($"Upload {IdOf(location)}: 0 byte(s) stored from offset 0", StringComparison.Ordinal))), "the server recorded the cut PATCH");
        Assert.Equal(0, await HeadOffset(location));
        Assert.Equal(0, new FileInfo(stored).Length);
    }

    [Fact]
    public async Task Bytes_beyond_the_recorded_offset_left_by_a_crash_are_cut_before_the_next_patch_appends()
    {
        var bytes = RandomNumberGenerator.GetBytes(2000);
        var location = await NewUpload(bytes.Length, bytes[..1000]);

        // A PATCH whose bytes reached the file but whose offset was never recorded (the process died in between).
        var stored = await StoredPath(location);
        await File.AppendAllTextAsync(stored, "bytes of a PATCH that never committed");
        Assert.Equal(1000, await HeadOffset(location));

        await CompletesFrom(location, bytes, 1000);
    }

    [Fact]
    public async Task A_file_shorter_than_the_recorded_offset_brings_the_offset_back_to_its_length_and_the_client_resumes_from_there()
    {
        var bytes = RandomNumberGenerator.GetBytes(2000);
        var location = await NewUpload(bytes.Length, bytes[..1000]);

        var stored = await StoredPath(location);
        await using (var file = new FileStream(stored, FileMode.Open))
        {
            file.SetLength(600); // bytes lost with the disk after their offset was recorded
        }

        using (var refused = await api.StudioA.SendAsync(Patch(location, 1000, bytes[1000..])))
        {
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Equal($"Upload {IdOf(location)} is at offset 600, not 1000: send HEAD and resume from its Upload-Offset.", await ApiChecks.Sentence(refused));
        }

        Assert.Equal(600, await HeadOffset(location));
        await CompletesFrom(location, bytes, 600);
    }

    [Fact]
    public async Task Termination_deletes_the_upload_and_its_bytes_and_it_then_answers_404()
    {
        var location = await NewUpload(2000, new byte[1000]);

        var folder = Path.GetDirectoryName(await StoredPath(location))!;
        Assert.True(Directory.Exists(folder));

        using (var deleted = await api.StudioA.SendAsync(Tus(HttpMethod.Delete, location)))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        Assert.False(Directory.Exists(folder));
        using var head = await api.StudioA.SendAsync(Tus(HttpMethod.Head, location));
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        using var patch = await api.StudioA.SendAsync(Patch(location, 1000, new byte[1000]));
        Assert.Equal(HttpStatusCode.NotFound, patch.StatusCode);
        await using var db = await api.Db();
        Assert.False(await db.Uploads.AnyAsync(u => u.Id == IdOf(location)));
    }

    [Fact]
    public async Task Another_studios_upload_answers_404_to_every_request_and_stays_as_it_was()
    {
        var location = await NewUpload(2000, new byte[1000]);

        foreach (var request in new Func<HttpRequestMessage>[]
        {
            () => Tus(HttpMethod.Head, location),
            () => Patch(location, 1000, new byte[1000]),
            () => Tus(HttpMethod.Delete, location),
            () => new HttpRequestMessage(HttpMethod.Get, location),
        })
        {
            using var response = await api.StudioB.SendAsync(request());
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }

        var list = await api.StudioB.GetFromJsonAsync<JsonElement>("v1/uploads", IngestApiFixture.Json);
        Assert.DoesNotContain(list.GetProperty("items").EnumerateArray(), u => u.GetProperty("id").GetGuid() == IdOf(location));
        Assert.Equal(1000, await HeadOffset(location));
        Assert.Equal(1000, new FileInfo(await StoredPath(location)).Length);
    }

    [Fact]
    public async Task A_deferred_length_is_declared_by_a_later_patch_which_then_completes_the_upload()
    {
        using var created = await api.StudioA.SendAsync(Create(null));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var location = created.Headers.Location!.ToString();
        using (var head = await api.StudioA.SendAsync(Tus(HttpMethod.Head, location)))
        {
            Assert.Equal("1", Header(head, "Upload-Defer-Length"));
            Assert.False(head.Headers.Contains("Upload-Length"));
        }

        using (var first = await api.StudioA.SendAsync(Patch(location, 0, new byte[600])))
        {
            Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        }

        var last = Patch(location, 600, new byte[400]);
        last.Headers.Add("Upload-Length", "1000");
        using (var declared = await api.StudioA.SendAsync(last))
        {
            Assert.Equal(HttpStatusCode.NoContent, declared.StatusCode);
            Assert.Equal((1000, "1000"), (Offset(declared), Header(declared, "Upload-Length")));
        }

        var json = await api.StudioA.GetFromJsonAsync<JsonElement>(location, IngestApiFixture.Json);
        Assert.True(json.GetProperty("completed").GetBoolean());
    }

    [Fact]
    public async Task A_creation_with_a_body_stores_its_bytes_and_answers_their_offset()
    {
        var bytes = RandomNumberGenerator.GetBytes(1500);
        var request = Create(3000);
        request.Content = new ByteArrayContent(bytes);
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(OffsetOctetStream);

        using var created = await api.StudioA.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(1500, Offset(created));
        var location = created.Headers.Location!.ToString();
        Assert.Equal(1500, await HeadOffset(location));
        Assert.Equal(bytes, await File.ReadAllBytesAsync(await StoredPath(location)));
    }

    [Fact]
    public async Task The_method_override_header_stands_for_the_method_of_a_client_that_cannot_send_delete()
    {
        var location = await NewUpload(10);
        var request = Tus(HttpMethod.Post, location);
        request.Headers.Add("X-HTTP-Method-Override", "DELETE");

        using var deleted = await api.StudioA.SendAsync(request);

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var head = await api.StudioA.SendAsync(Tus(HttpMethod.Head, location));
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
    }

    [Fact]
    public async Task The_list_shows_the_studios_uploads_newest_first_with_the_reference_a_job_names()
    {
        var older = await NewUpload(10);
        var newer = await NewUpload(20);

        var list = await api.StudioA.GetFromJsonAsync<JsonElement>("v1/uploads", IngestApiFixture.Json);

        var items = list.GetProperty("items").EnumerateArray().ToList();
        var ids = items.Select(u => u.GetProperty("id").GetGuid()).ToList();
        Assert.True(ids.IndexOf(IdOf(newer)) < ids.IndexOf(IdOf(older)));
        var item = items.Single(u => u.GetProperty("id").GetGuid() == IdOf(newer));
        Assert.Equal(("take1.mp4", 20, 0, false, $"upload:{IdOf(newer)}"), (item.GetProperty("fileName").GetString(), item.GetProperty("length").GetInt64(), item.GetProperty("offset").GetInt64(), item.GetProperty("completed").GetBoolean(), item.GetProperty("reference").GetString()));
        Assert.True(item.GetProperty("expiresAt").GetDateTimeOffset() > DateTimeOffset.UtcNow);
    }

    [Fact]
    public async Task Every_answer_under_v1_uploads_carries_tus_resumable_1_0_0_whatever_its_status()
    {
        var location = await NewUpload(2000);
        var bad = Patch(location, 0, new byte[10]);
        bad.Headers.Remove("Tus-Resumable");
        using var anonymous = api.Anonymous();
        var answers = new List<HttpResponseMessage>
        {
            await anonymous.SendAsync(new HttpRequestMessage(HttpMethod.Options, "v1/uploads")),
            await anonymous.SendAsync(Create(10)),
            await api.StudioA.SendAsync(Create(10)),
            await api.StudioA.SendAsync(Create(10, fileName: null)),
            await api.StudioA.SendAsync(Tus(HttpMethod.Head, location)),
            await api.StudioA.SendAsync(Patch(location, 0, new byte[1000])),
            await api.StudioA.SendAsync(Patch(location, 0, new byte[10])),
            await api.StudioA.SendAsync(Patch(location, 1000, new byte[10], contentType: "text/plain")),
            await api.StudioA.SendAsync(Patch(location, 1000, new byte[10], "sha1 2jmj7l5rSw0yVb/vlWAYkK/YBwk=")),
            await api.StudioA.SendAsync(bad),
            await api.StudioA.SendAsync(Tus(HttpMethod.Head, $"v1/uploads/{Guid.NewGuid()}")),
            await api.StudioA.GetAsync("v1/uploads"),
            await api.StudioA.GetAsync(location),
            await api.StudioA.SendAsync(Tus(HttpMethod.Delete, location)),
        };

        Assert.Equal([204, 401, 201, 400, 200, 204, 409, 415, 460, 412, 404, 200, 200, 204], answers.Select(a => (int)a.StatusCode));
        Assert.All(answers, a => Assert.Equal("1.0.0", Header(a, "Tus-Resumable")));
        answers.ForEach(a => a.Dispose());
    }

    [Fact]
    public async Task The_openapi_document_lists_the_uploads_calls_with_their_problem_answers()
    {
        using var anonymous = api.Anonymous();
        using var document = JsonDocument.Parse(await anonymous.GetStringAsync("openapi/v1.json"));

        var paths = document.RootElement.GetProperty("paths");
        Assert.Equal(["get", "options", "post"], paths.GetProperty("/v1/uploads").EnumerateObject().Select(p => p.Name).Order());
        var upload = paths.GetProperty("/v1/uploads/{id}");
        Assert.Equal(["delete", "get", "head", "patch"], upload.EnumerateObject().Select(p => p.Name).Order());
        Assert.True(upload.GetProperty("patch").GetProperty("responses").GetProperty("460").GetProperty("content").TryGetProperty("application/problem+json", out _));
    }

    private async Task<string> NewUpload(long length)
    {
        using var created = await api.StudioA.SendAsync(Create(length));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return created.Headers.Location!.ToString();
    }

    /// <summary>A new upload of <paramref name="length"/> bytes whose first bytes, <paramref name="first"/>, are stored already.</summary>
    private async Task<string> NewUpload(long length, byte[] first)
    {
        var location = await NewUpload(length);
        using var patched = await api.StudioA.SendAsync(Patch(location, 0, first));
        Assert.Equal(HttpStatusCode.NoContent, patched.StatusCode);
        return location;
    }

    /// <summary>Sends the rest of <paramref name="bytes"/> from <paramref name="offset"/>: the upload completes and its file is those bytes.</summary>
    private async Task CompletesFrom(string location, byte[] bytes, int offset)
    {
        using (var rest = await api.StudioA.SendAsync(Patch(location, offset, bytes[offset..])))
        {
            Assert.Equal(HttpStatusCode.NoContent, rest.StatusCode);
            Assert.Equal(bytes.Length, Offset(rest));
        }

        Assert.Equal(bytes, await File.ReadAllBytesAsync(await StoredPath(location)));
    }

    private async Task<long> HeadOffset(string location)
    {
        using var head = await api.StudioA.SendAsync(Tus(HttpMethod.Head, location));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        return Offset(head);
    }

    private async Task<string> StoredPath(string location)
    {
        await using var db = await api.Db();
        var id = IdOf(location);
        return api.Media.PathFor((await db.Uploads.SingleAsync(u => u.Id == id)).Key);
    }

    private async Task<int> UploadCount()
    {
        await using var db = await api.Db();
        return await db.Uploads.CountAsync();
    }

    private async Task<bool> UploadLockHeld(Guid id)
    {
        await using var db = await api.Db();
        var objectKey = (long)(uint)UploadLock.ObjectKey(id);
        return await db.Database.SqlQuery<int>($"""
            SELECT COUNT(*)::int AS "Value" FROM pg_locks
            WHERE locktype = 'advisory' AND objsubid = 2 AND classid::bigint = {(long)UploadLock.ClassKey} AND objid::bigint = {objectKey}
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """).SingleAsync() == 1;
    }

    /// <summary>
    /// Sends a PATCH of <paramref name="bytes"/> at offset 0 on a raw connection, which drops once the server has written
    /// the first <paramref name="sent"/> of them to <paramref name="stored"/>: a client whose connection breaks mid-body.
    /// </summary>
    private async Task SendAndDrop(string location, byte[] bytes, int sent, string stored, string? extraHeader = null)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(api.BaseAddress.Host, api.BaseAddress.Port);
        var stream = tcp.GetStream();
        var head = $"PATCH {location} HTTP/1.1\r\nHost: {api.BaseAddress.Authority}\r\nX-Api-Key: {api.StudioAKey}\r\nTus-Resumable: 1.0.0\r\n"
            + $"Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: {bytes.Length}\r\n"
            + (extraHeader is null ? string.Empty : $"{extraHeader}\r\n") + "\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(bytes.AsMemory(0, sent));
        await Until(() => Task.FromResult(new FileInfo(stored).Length == sent), $"the server wrote the first {sent} bytes");
    }

    private static Guid IdOf(string location) => Guid.Parse(location.Split('/')[^1]);

    /// <summary>Polls <paramref name="condition"/> until it holds (never a fixed sleep); fails after 30 seconds.</summary>
    private static async Task Until(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting until {what}.");
            await Task.Delay(20);
        }
    }

    /// <summary>A body that sends its first <paramref name="before"/> bytes, then waits for <paramref name="gate"/> before the rest.</summary>
    private sealed class GatedContent(byte[] bytes, int before, Task gate) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(bytes.AsMemory(0, before));
            await stream.FlushAsync();
            await gate;
            await stream.WriteAsync(bytes.AsMemory(before));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = bytes.Length;
            return true;
        }
    }
}
