extern alias cli;

using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using cli::FacePipeline.Cli.Uploads;
using FacePipeline.TestSupport;
using Microsoft.EntityFrameworkCore;
using Polly;
using Polly.Retry;

namespace FacePipeline.Ingest.Tests.Uploads;

/// <summary>
/// facepipe's resumable uploads (<c>facepipe upload</c>, and big files in submit/retarget) as the real process, against
/// the Ingest API's tus endpoint on a real port: a clip goes up in checksummed pieces byte for byte; an upload an
/// earlier run left half-way goes on from the server's offset (HEAD, then PATCH from there, no new upload); an upload
/// the server no longer has starts afresh.
/// </summary>
public sealed class CliUploadTests(TusApiFixture api) : IClassFixture<TusApiFixture>
{
    private const string Clip = "new_face_video-90.mp4"; // 2.7 MB: three 1 MiB pieces

    [Fact]
    public async Task Facepipe_upload_sends_a_clip_in_checksummed_pieces_and_prints_the_reference_of_a_byte_identical_upload()
    {
        var source = RepoPaths.MediaFile(Clip);
        var state = StateFile();

        var run = await Upload(source, state);

        Assert.Equal(0, run.ExitCode);
        var id = Reference(run.Output);
        Assert.Equal(3, Starts(id).Count);
        Assert.Equal(Sha256(source), Sha256(await StoredPath(id)));
        Assert.Null(new UploadResumeStore(state).Find(Fingerprint(source))); // nothing left to resume
        Assert.DoesNotContain(api.StudioAKey, run.Everything, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_upload_an_earlier_run_left_half_way_goes_on_from_the_servers_offset_without_a_new_upload()
    {
        var source = RepoPaths.MediaFile(Clip);
        var state = StateFile();

        // What a run stopped after its first piece leaves: the upload on the server at 1 MiB, and its URL remembered.
        var location = await CreateWithFirstMiB(source);
        new UploadResumeStore(state).Save(Fingerprint(source), location);
        var uploadsBefore = await UploadCount();

        var run = await Upload(source, state);

        Assert.Equal(0, run.ExitCode);
        var id = Reference(run.Output);
        Assert.Equal(location.Segments[^1], id.ToString());
        Assert.Contains("resumed at byte 1048576", run.Output, StringComparison.Ordinal);
        Assert.Equal(uploadsBefore, await UploadCount());
        Assert.Equal([0L, 1048576L, 2097152L], Starts(id)); // the test's piece, then this run's two, none sent twice
        Assert.Equal(Sha256(source), Sha256(await StoredPath(id)));
    }

    [Fact]
    public async Task A_remembered_upload_the_server_no_longer_has_is_started_afresh()
    {
        var source = RepoPaths.MediaFile(Clip);
        var state = StateFile();
        var location = await CreateWithFirstMiB(source);
        using (var delete = new HttpRequestMessage(HttpMethod.Delete, location))
        {
            delete.Headers.Add("Tus-Resumable", "1.0.0");
            Assert.Equal(HttpStatusCode.NoContent, (await api.StudioA.SendAsync(delete)).StatusCode);
        }

        new UploadResumeStore(state).Save(Fingerprint(source), location);

        var run = await Upload(source, state);

        Assert.Equal(0, run.ExitCode);
        var id = Reference(run.Output);
        Assert.NotEqual(location.Segments[^1], id.ToString());
        Assert.Equal(Sha256(source), Sha256(await StoredPath(id)));
    }

    [Fact]
    public async Task A_piece_whose_answer_is_lost_is_not_sent_again_the_retry_asks_the_offset_and_goes_on()
    {
        var source = RepoPaths.MediaFile(Clip);
        var state = new UploadResumeStore(StateFile());

        // The second PATCH reaches the server, but its answer never comes back (the link drops on the way back).
        var losing = new AnswerLosingHandler(losePatch: 2) { InnerHandler = new HttpClientHandler() };
        using var http = new HttpClient(losing) { BaseAddress = api.BaseAddress };
        http.DefaultRequestHeaders.Add("X-Api-Key", api.StudioAKey);
        var uploader = new ResumableUploader(http, state, chunkBytes: 1 << 20)
        {
            Retry = new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<HttpRequestException>(),
                MaxRetryAttempts = 2,
                Delay = TimeSpan.Zero,
            }).Build(),
        };

        var uploaded = await uploader.UploadAsync(new FileInfo(source), progress: null, CancellationToken.None);

        Assert.Equal(["POST", "PATCH", "PATCH", "HEAD", "PATCH"], losing.Methods);
        Assert.Equal([0L, 1048576L, 2097152L], Starts(uploaded.Id));
        Assert.Equal(Sha256(source), Sha256(await StoredPath(uploaded.Id)));
    }

    private Task<CliRun> Upload(string source, string state) => CliProcess.RunAsync(
        new Dictionary<string, string?> { ["FACEPIPE_API_KEY"] = api.StudioAKey, [UploadResumeStore.Variable] = state },
        "upload", source, "--api", api.BaseAddress.ToString(), "--chunk-mib", "1");

    private static string StateFile() => Path.Combine(RepoPaths.NewScratchFolder("cli-upload-state"), "uploads.json");

    private string Fingerprint(string source) => UploadResumeStore.Fingerprint(api.BaseAddress, new FileInfo(source));

    private static Guid Reference(string output) =>
        Guid.Parse(output.Split('\n').Last(l => l.Contains(": upload:", StringComparison.Ordinal)).Split("upload:")[1].Split(' ')[0].Trim());

    /// <summary>The offsets the server saw this upload's PATCHes start from, in order.</summary>
    private List<long> Starts(Guid id) =>
        [.. api.UploadLog.Where(line => line.StartsWith($"Upload {id}: ", StringComparison.Ordinal) && line.Contains(" from offset ", StringComparison.Ordinal))
            .Select(line => long.Parse(line.Split(" from offset ")[1].Split(',')[0], CultureInfo.InvariantCulture))];

    private async Task<Uri> CreateWithFirstMiB(string source)
    {
        var bytes = await File.ReadAllBytesAsync(source);
        using var create = new HttpRequestMessage(HttpMethod.Post, "v1/uploads");
        create.Headers.Add("Tus-Resumable", "1.0.0");
        create.Headers.Add("Upload-Length", bytes.Length.ToString(CultureInfo.InvariantCulture));
        create.Headers.Add("Upload-Metadata", $"filename {Convert.ToBase64String("new_face_video-90.mp4"u8.ToArray())}");
        using var created = await api.StudioA.SendAsync(create);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var location = new Uri(api.BaseAddress, created.Headers.Location!);

        using var patch = new HttpRequestMessage(HttpMethod.Patch, location) { Content = new ByteArrayContent(bytes, 0, 1 << 20) };
        patch.Headers.Add("Tus-Resumable", "1.0.0");
        patch.Headers.Add("Upload-Offset", "0");
        patch.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/offset+octet-stream");
        using var patched = await api.StudioA.SendAsync(patch);
        Assert.Equal(HttpStatusCode.NoContent, patched.StatusCode);
        return location;
    }

    private async Task<int> UploadCount()
    {
        await using var db = await api.Db();
        return await db.Uploads.CountAsync();
    }

    private async Task<string> StoredPath(Guid id)
    {
        await using var db = await api.Db();
        var row = await db.Uploads.SingleAsync(u => u.Id == id);
        Assert.NotNull(row.CompletedAt);
        return api.Media.PathFor(row.Key);
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream));
    }

    /// <summary>Sends every request on, but throws instead of answering the <c>losePatch</c>-th PATCH: its bytes arrived, its answer did not.</summary>
    private sealed class AnswerLosingHandler(int losePatch) : DelegatingHandler
    {
        private int _patches;

        public List<string> Methods { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Methods.Add(request.Method.Method);
            var response = await base.SendAsync(request, cancellationToken);
            if (request.Method == HttpMethod.Patch && ++_patches == losePatch)
            {
                response.Dispose();
                throw new HttpRequestException("The connection was reset before the answer arrived (test).");
            }

            return response;
        }
    }
}
