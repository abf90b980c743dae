using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FacePipeline.TestSupport;

namespace FacePipeline.EndToEnd.Tests;

/// <summary>The Ingest API's contract: tenancy, authentication, listing, cancel, OpenAPI.</summary>
[Collection(PipelineCollection.Name)]
public sealed class ApiTests(PipelineFixture pipeline)
{
    [Fact]
    public async Task A_studio_cannot_see_or_download_another_studios_job()
    {
        var id = (await pipeline.Submit(pipeline.StudioA, RepoPaths.MediaFile("grid_bbaf2n.mp4"))).GetProperty("id").GetString()!;
        await pipeline.WaitForEnd(pipeline.StudioA, id, TimeSpan.FromMinutes(4));

        Assert.Equal(HttpStatusCode.OK, (await pipeline.StudioA.GetAsync($"v1/jobs/{id}/outputs/tracking.json")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await pipeline.StudioB.GetAsync($"v1/jobs/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await pipeline.StudioB.GetAsync($"v1/jobs/{id}/outputs/tracking.json")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await pipeline.StudioB.GetAsync($"v1/jobs/{id}/outputs/qc.mp4")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await pipeline.StudioB.PostAsync($"v1/jobs/{id}/cancel", null)).StatusCode);
        var listB = await pipeline.StudioB.GetFromJsonAsync<JsonElement>("v1/jobs?pageSize=100", PipelineFixture.Json);
        Assert.DoesNotContain(listB.GetProperty("items").EnumerateArray(), j => j.GetProperty("id").GetString() == id);
        var listA = await pipeline.StudioA.GetFromJsonAsync<JsonElement>("v1/jobs?pageSize=100", PipelineFixture.Json);
        Assert.Contains(listA.GetProperty("items").EnumerateArray(), j => j.GetProperty("id").GetString() == id);
    }

    [Fact]
    public async Task Requests_without_a_valid_key_are_refused()
    {
        using var anonymous = new HttpClient { BaseAddress = pipeline.Ingest.BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("v1/jobs")).StatusCode);
        anonymous.DefaultRequestHeaders.Add("X-Api-Key", "fp_not-a-real-key");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("v1/jobs")).StatusCode);
    }

    [Fact]
    public async Task An_unknown_job_kind_is_a_bad_request_naming_the_kinds()
    {
        await using var file = File.OpenRead(RepoPaths.MediaFile("grid_bbaf2n.mp4"));
        using var form = new MultipartFormDataContent { { new StringContent("dance"), "kind" }, { new StreamContent(file), "clip", "grid.mp4" } };
        using var response = await pipeline.StudioA.PostAsync("v1/jobs", form);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("track", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cancelled_job_ends_cancelled_and_cannot_be_cancelled_again()
    {
        var id = (await pipeline.Submit(pipeline.StudioA, RepoPaths.MediaFile("new_face_video-90.mp4"))).GetProperty("id").GetString()!;

        using var cancel = await pipeline.StudioA.PostAsync($"v1/jobs/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal("cancelled", (await pipeline.Job(pipeline.StudioA, id)).GetProperty("state").GetString());
        Assert.Equal(HttpStatusCode.Conflict, (await pipeline.StudioA.PostAsync($"v1/jobs/{id}/cancel", null)).StatusCode);
    }

    [Fact]
    public async Task An_upload_over_the_size_limit_is_refused_and_leaves_no_job()
    {
        // A second Ingest on the same database and broker, with a 100 kB limit.
        var environment = new Dictionary<string, string>(pipeline.Environment) { ["Ingest__MaxUploadBytes"] = "100000" };
        using var smallIngest = new ServiceProcess("Ingest", PipelineFixture.FreePort(), environment, pipeline.LogFolder);
        smallIngest.Start();
        await smallIngest.WaitReadyAsync(TimeSpan.FromSeconds(90));
        using var studio = PipelineFixture.StudioClient(smallIngest, await pipeline.NewStudioKey("small uploads"));

        await using var file = File.OpenRead(RepoPaths.MediaFile("grid_bbaf2n.mp4"));
        Assert.True(file.Length > 100_000);
        using var form = new MultipartFormDataContent { { new StringContent("track"), "kind" }, { new StreamContent(file), "clip", "grid.mp4" } };
        using var response = await studio.PostAsync("v1/jobs", form);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("larger than the limit", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var jobs = await studio.GetFromJsonAsync<JsonElement>("v1/jobs", PipelineFixture.Json);
        Assert.Equal(0, jobs.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_the_jobs_endpoints()
    {
        using var anonymous = new HttpClient { BaseAddress = pipeline.Ingest.BaseAddress };
        var document = await anonymous.GetStringAsync("openapi/v1.json");

        Assert.Contains("/v1/jobs/{id}/outputs/{name}", document, StringComparison.Ordinal);
        Assert.Contains("/v1/jobs/{id}/cancel", document, StringComparison.Ordinal);
    }
}
