using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FacePipeline.Orchestration.Uploads;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using static FacePipeline.Ingest.Tests.Uploads.TusRequests;

namespace FacePipeline.Ingest.Tests.Uploads;

/// <summary>
/// Issue 18, expiration: with Uploads:IncompleteExpiry and Uploads:CompletedRetention of two seconds, an upload answers
/// 410 once its Upload-Expires has passed (and leaves the list), and a round of the sweep (run here directly) deletes its row and its bytes,
/// after which it answers 404; an upload that has not expired is left as it was.
/// </summary>
public sealed class UploadExpiryTests(ExpiringTusApiFixture api) : IClassFixture<ExpiringTusApiFixture>
{
    [Theory]
    [InlineData(1500, "incomplete")]
    [InlineData(3000, "complete")]
    public async Task An_expired_upload_answers_410_and_the_sweep_deletes_its_row_and_bytes_after_which_it_answers_404(int sent, string state)
    {
        var request = Create(3000);
        request.Content = new ByteArrayContent(new byte[sent]);
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(OffsetOctetStream);
        using var created = await api.StudioA.SendAsync(request);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var location = created.Headers.Location!.ToString();
        var id = Guid.Parse(location.Split('/')[^1]);
        var expires = DateTimeOffset.ParseExact(Header(created, "Upload-Expires"), "R", System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(expires <= DateTimeOffset.UtcNow.AddSeconds(3), $"the {state} upload expires at {expires:O}, two seconds after its last bytes");
        string folder;
        await using (var db = await api.Db())
        {
            folder = Path.GetDirectoryName(api.Media.PathFor((await db.Uploads.SingleAsync(u => u.Id == id)).Key))!;
        }

        Assert.Equal(sent, new FileInfo(Directory.GetFiles(folder).Single(f => !Path.GetFileName(f).StartsWith('.'))).Length);

        // Waits for the expiry to pass (the HEAD answers 410 from then on), polling: never a fixed sleep.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (await HeadStatus(location) == HttpStatusCode.OK)
        {
            Assert.True(DateTime.UtcNow < deadline, "The upload never expired.");
            await Task.Delay(100);
        }

        Assert.Equal(HttpStatusCode.Gone, await HeadStatus(location));
        var list = await api.StudioA.GetFromJsonAsync<JsonElement>("v1/uploads", IngestApiFixture.Json);
        Assert.DoesNotContain(list.GetProperty("items").EnumerateArray(), u => u.GetProperty("id").GetGuid() == id);
        using (var patch = await api.StudioA.SendAsync(Patch(location, sent, new byte[10])))
        {
            Assert.Equal(HttpStatusCode.Gone, patch.StatusCode);
            Assert.StartsWith($"Upload {id} expired on ", await ApiChecks.Sentence(patch), StringComparison.Ordinal);
        }

        // An upload that expires later (an hour from now, whatever this host's two seconds) stays as it is.
        using var later = await api.StudioA.SendAsync(Create(10));
        var laterId = Guid.Parse(later.Headers.Location!.ToString().Split('/')[^1]);
        await using (var db = await api.Db())
        {
            await db.Uploads.Where(u => u.Id == laterId).ExecuteUpdateAsync(u => u.SetProperty(x => x.ExpiresAt, DateTimeOffset.UtcNow.AddHours(1)));
        }

        var round = await api.Services.GetRequiredService<ExpiredUploads>().SweepAsync(CancellationToken.None);

        Assert.True(round.Uploads >= 1);
        Assert.True(round.Removed.Bytes >= sent);
        Assert.Equal(HttpStatusCode.NotFound, await HeadStatus(location));
        Assert.False(Directory.Exists(folder));
        await using (var db = await api.Db())
        {
            Assert.False(await db.Uploads.AnyAsync(u => u.Id == id));
        }

        Assert.Equal(HttpStatusCode.OK, await HeadStatus(later.Headers.Location!.ToString()));
    }

    private async Task<HttpStatusCode> HeadStatus(string location)
    {
        using var head = await api.StudioA.SendAsync(Tus(HttpMethod.Head, location));
        return head.StatusCode;
    }
}
