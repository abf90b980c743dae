using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace FacePipeline.Cli;

/// <summary>The Ingest API as the CLI sees it.</summary>
public sealed partial class JobsClient(HttpClient http) : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static JobsClient Create(string baseUrl, string? apiKey)
    {
        if (string.IsNullOrWhiteSpace(apiKey))
        {
            throw new CliException($"No API key: pass --key or set {CliCommands.ApiKeyVariable} (create one with 'facepipe tenant create <name>').");
        }

        var http = new HttpClient { BaseAddress = new Uri(baseUrl.TrimEnd('/') + "/"), Timeout = Timeout.InfiniteTimeSpan };
        http.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        return new JobsClient(http);
    }

    /// <summary>Submits a job of <paramref name="kind"/> with its files (form part name → path) and option fields.</summary>
    public Task<JobView> SubmitAsync(IReadOnlyDictionary<string, string> files, string kind, IReadOnlyDictionary<string, string?> options, CancellationToken cancellationToken) =>
        PostFormAsync<JobView>("v1/jobs", files, new Dictionary<string, string?>(options) { ["kind"] = kind }, cancellationToken);

    /// <summary>A resumable (tus) uploader over this client's connection and API key.</summary>
    public Uploads.ResumableUploader Uploader(Uploads.UploadResumeStore store, int chunkBytes) => new(http, store, chunkBytes);

    /// <summary>Whether the studio can see <paramref name="path"/>: true on 2xx, false on 404, an error otherwise.</summary>
    public async Task<bool> ExistsAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }

        await EnsureSuccess(response, cancellationToken);
        return true;
    }

    /// <summary>Creates an actor (or, with <paramref name="actorId"/>, trains its next model version) from clips.</summary>
    public Task<ActorSubmissionView> TrainActorAsync(Guid? actorId, IReadOnlyList<string> clips, IReadOnlyDictionary<string, string?> fields, CancellationToken cancellationToken) =>
        PostFormAsync<ActorSubmissionView>(
            actorId is { } id ? $"v1/actors/{id}/models" : "v1/actors",
            clips.Select((path, i) => (Part: $"clip-{i + 1}", Path: path)).ToDictionary(c => c.Part, c => c.Path),
            fields,
            cancellationToken);

    /// <summary>An actor with its model versions, as the API returns it.</summary>
    public async Task<JsonElement> GetActorAsync(Guid id, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync($"v1/actors/{id}", cancellationToken);
        return await Read<JsonElement>(response, cancellationToken);
    }

    /// <summary>The tenant's actors.</summary>
    public async Task<JsonElement> ListActorsAsync(CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync("v1/actors", cancellationToken);
        return await Read<JsonElement>(response, cancellationToken);
    }

    /// <summary>Submits a batch: the manifest (part 'manifest') and each file it names (part 'file-N', with its file name).</summary>
    public Task<BatchView> SubmitBatchAsync(string manifest, IReadOnlyList<string> files, IReadOnlyDictionary<string, string?> fields, CancellationToken cancellationToken) =>
        PostFormAsync<BatchView>(
            "v1/batches",
            files.Select((path, i) => (Part: $"file-{i + 1}", Path: path)).Prepend((Part: "manifest", Path: manifest)).ToDictionary(f => f.Part, f => f.Path),
            fields,
            cancellationToken);

    public async Task<BatchView> GetBatchAsync(Guid id, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync($"v1/batches/{id}", cancellationToken);
        return await Read<BatchView>(response, cancellationToken);
    }

    /// <summary>A batch call that changes it (retry-failed, cancel, pause, resume): the batch as it then stands.</summary>
    public async Task<BatchView> ChangeBatchAsync(Guid id, string action, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsync($"v1/batches/{id}/{action}", null, cancellationToken);
        return await Read<BatchView>(response, cancellationToken);
    }

    private async Task<T> PostFormAsync<T>(string url, IReadOnlyDictionary<string, string> files, IReadOnlyDictionary<string, string?> options, CancellationToken cancellationToken)
    {
        using var form = new MultipartFormDataContent();
        foreach (var (name, value) in options)
        {
            if (value is { Length: > 0 })
            {
                form.Add(new StringContent(value), name);
            }
        }

        var streams = new List<FileStream>();
        try
        {
            foreach (var (part, path) in files)
            {
                var file = File.OpenRead(path);
                streams.Add(file);
                var content = new StreamContent(file, 1 << 16);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                form.Add(content, part, Path.GetFileName(path));
            }

            using var response = await http.PostAsync(url, form, cancellationToken);
            return await Read<T>(response, cancellationToken);
        }
        finally
        {
            foreach (var stream in streams)
            {
                await stream.DisposeAsync();
            }
        }
    }

    public async Task<JobView> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync($"v1/jobs/{id}", cancellationToken);
        return await Read<JobView>(response, cancellationToken);
    }

    public async Task<JobPage> ListAsync(int page, int pageSize, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync($"v1/jobs?page={page}&pageSize={pageSize}", cancellationToken);
        return await Read<JobPage>(response, cancellationToken);
    }

    public async Task<JobView> CancelAsync(Guid id, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsync($"v1/jobs/{id}/cancel", null, cancellationToken);
        return await Read<JobView>(response, cancellationToken);
    }

    /// <summary>Deletes a job at once (media, face data, record; a deletion record stays): DELETE /v1/jobs/{id}.</summary>
    public async Task<DeletionView> DeleteJobAsync(Guid id, CancellationToken cancellationToken)
    {
        using var response = await http.DeleteAsync($"v1/jobs/{id}", cancellationToken);
        return await Read<DeletionView>(response, cancellationToken);
    }

    /// <summary>Deletes an actor at once (footage, models, training jobs; deletion records stay): DELETE /v1/actors/{id}.</summary>
    public async Task<DeletionView> DeleteActorAsync(Guid id, CancellationToken cancellationToken)
    {
        using var response = await http.DeleteAsync($"v1/actors/{id}", cancellationToken);
        return await Read<DeletionView>(response, cancellationToken);
    }

    public async Task DownloadAsync(string url, string path, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(url.TrimStart('/'), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await EnsureSuccess(response, cancellationToken);
        var temp = path + ".part";
        await using (var target = File.Create(temp))
        {
            await response.Content.CopyToAsync(target, cancellationToken);
        }

        File.Move(temp, path, overwrite: true);
    }

    public void Dispose() => http.Dispose();

    private static async Task<T> Read<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await EnsureSuccess(response, cancellationToken);
        return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken) ?? throw new CliException("The server sent an empty answer.");
    }

    /// <summary>The one sentence of an API refusal's body (its <c>error</c>), or null when the body is not of that shape.</summary>
    internal static string? ErrorText(string body)
    {
        try
        {
            return JsonDocument.Parse(body).RootElement.GetProperty("error").GetString();
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null; // not our error shape
        }
    }

    private static async Task EnsureSuccess(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var error = ErrorText(body);
        throw new CliException(response.StatusCode switch
        {
            HttpStatusCode.Unauthorized => "The API key was refused.",
            _ => $"{(int)response.StatusCode} {response.ReasonPhrase}: {error ?? body}",
        });
    }
}

public sealed class CliException(string message) : Exception(message);

/// <summary>What creating an actor or training its next version started.</summary>
public sealed record ActorSubmissionView(Guid ActorId, int Version, Guid JobId, string JobUrl);

public sealed record JobView(
    Guid Id,
    string Kind,
    string State,
    bool Ended,
    string InputFileName,
    DateTimeOffset CreatedAt,
    DateTimeOffset? CompletedAt,
    double? ElapsedSeconds,
    JobFailureView? Failure,
    JsonElement? Video,
    IReadOnlyList<StageView> Stages,
    IReadOnlyList<OutputView> Outputs,
    DateTimeOffset? MediaDeletedAt = null,
    DateTimeOffset? MediaKeptUntil = null)
{
    /// <summary>The job has ended (completed, failed or cancelled), as the API says: one definition, the server's.</summary>
    [JsonIgnore]
    public bool IsTerminal => Ended;
}

/// <param name="Code">One of the failure codes (docs/failures.md).</param>
/// <param name="CorrelationId">A server fault's id: quote it when reporting the job.</param>
public sealed record JobFailureView(string? Stage, string? Code, string Reason, string? CorrelationId);

/// <param name="Unit">What the stage's progress counts: frames, or steps for training.</param>
public sealed record StageView(string Name, string State, string Unit, int FramesDone, int FramesTotal, double? Seconds);

public sealed record OutputView(string Name, string ContentType, string Url);

/// <summary>What a deletion removed, as the API says it (docs/retention.md).</summary>
/// <param name="Message">One sentence: what was deleted and how much.</param>
public sealed record DeletionView(
    string Deleted,
    Guid Id,
    string? Kind,
    DateTimeOffset DeletedAt,
    int Files,
    long Bytes,
    bool Complete,
    IReadOnlyList<Guid> CancelledJobs,
    IReadOnlyList<DeletedJobView> Jobs,
    string Message);

/// <summary>A training job deleted with its actor.</summary>
public sealed record DeletedJobView(Guid Id, string? Kind, int Files, long Bytes);

public sealed record JobPage(IReadOnlyList<JobView> Items, int Page, int PageSize, int Total);

/// <summary>A batch as the API shows it (docs/batches.md, "Batch API").</summary>
public sealed record BatchView(
    Guid Id,
    string? Name,
    string State,
    bool Ended,
    bool Paused,
    string Class,
    int Priority,
    int ShotCount,
    int ShotsEnded,
    ShotCountsView Counts,
    double? EtaSeconds,
    string? EtaReason,
    string OutputsUrl,
    IReadOnlyList<ShotView> Shots);

public sealed record ShotCountsView(int Queued, int Running, int Completed, int Failed, int Cancelled);

/// <summary>A shot and its latest job.</summary>
public sealed record ShotView(string Shot, int Index, Guid JobId, string Kind, string State, string? Stage, int FramesDone, int FramesTotal, int Attempts, JobFailureView? Failure);
