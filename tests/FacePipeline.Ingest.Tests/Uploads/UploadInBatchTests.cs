using System.Net;
using System.Text;
using FacePipeline.Contracts;
using FacePipeline.Storage;
using FacePipeline.TestSupport;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static FacePipeline.Ingest.Tests.Uploads.TusRequests;

namespace FacePipeline.Ingest.Tests.Uploads;

/// <summary>
/// Issue 18, the hand-over: a clip uploaded with tus (two PATCHes) is named in a batch manifest as <c>upload:&lt;id&gt;</c>;
/// the shot's job gets its own copy of the clip, byte for byte, under its file name; an upload that is not complete is refused.
/// </summary>
public sealed class UploadInBatchTests(IngestApiFixture api) : IClassFixture<IngestApiFixture>
{
    private MediaStore Store => api.Factory.Services.GetRequiredService<MediaStore>();

    [Fact]
    public async Task A_completed_tus_upload_named_in_a_batch_manifest_becomes_the_shots_job_input_byte_for_byte()
    {
        var clip = await File.ReadAllBytesAsync(RepoPaths.MediaFile("grid_lbbc2a.mp4"));
        var location = await Upload(clip, clip.Length);

        using var response = await api.StudioA.PostAsync("v1/batches", Batch($"shot,kind,clip\nsh010,track,upload:{IdOf(location)}\n"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var batchId = Guid.Parse((await IngestApiFixture.Body(response)).GetProperty("id").GetString()!);
        await using var db = await api.Db();
        var job = await db.Jobs.AsNoTracking().SingleAsync(j => j.BatchId == batchId);
        Assert.Equal("grid lbbc2a.mp4", job.InputFileName);
        Assert.StartsWith(MediaKeys.JobPrefix(job.Id) + "/", job.InputKey, StringComparison.Ordinal);
        Assert.Equal(clip, await File.ReadAllBytesAsync(Store.PathFor(job.InputKey)));
    }

    [Fact]
    public async Task An_upload_still_receiving_bytes_cannot_be_named_in_a_batch()
    {
        var location = await Upload(new byte[1000], 2000);

        using var response = await api.StudioA.PostAsync("v1/batches", Batch($"shot,kind,clip\nsh010,track,upload:{IdOf(location)}\n"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"names upload {IdOf(location)}, which is not a completed upload of your studio", await ApiChecks.Sentence(response), StringComparison.Ordinal);
    }

    /// <summary>An upload of <paramref name="length"/> bytes that received <paramref name="bytes"/> in two PATCHes; its location.</summary>
    private async Task<string> Upload(byte[] bytes, long length)
    {
        using var created = await api.StudioA.SendAsync(Create(length, "grid lbbc2a.mp4"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var location = created.Headers.Location!.ToString();
        var half = bytes.Length / 2;
        foreach (var (offset, end) in new[] { (0, half), (half, bytes.Length) })
        {
            using var patched = await api.StudioA.SendAsync(Patch(location, offset, bytes[offset..end]));
            Assert.Equal(HttpStatusCode.NoContent, patched.StatusCode);
        }

        return location;
    }

    /// <summary>A paused batch (its jobs stay queued) of <paramref name="manifest"/>, without file parts.</summary>
    private static MultipartFormDataContent Batch(string manifest) => new()
    {
        { new ByteArrayContent(Encoding.UTF8.GetBytes(manifest)), "manifest", "shots.csv" },
        { new StringContent("true"), "paused" },
    };

    private static Guid IdOf(string location) => Guid.Parse(location.Split('/')[^1]);
}
