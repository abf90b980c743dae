using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FacePipeline.TestSupport;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace FacePipeline.EndToEnd.Tests;

/// <summary>
/// The studio app (/app on Ingest, docs/app.md) in Debian's Chromium, driven by Playwright, on the whole pipeline:
/// sign-in, a resumable upload, a track job followed live to its end, its review clip, a download, and another
/// studio's job kept out. Each page's screenshot goes to a scratch folder named in the test output.
/// </summary>
[Collection(PipelineCollection.Name)]
public sealed class StudioAppTests(PipelineFixture pipeline, ITestOutputHelper output)
{
    private const string Chromium = "/usr/bin/chromium";

    /// <summary>The submit page's tus chunk: each PATCH carries at most this many bytes (submit.js).</summary>
    private const long ChunkBytes = 256 * 1024;

    private static readonly TimeSpan JobTimeout = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task A_studio_signs_in_uploads_through_a_lost_connection_submits_a_track_job_and_watches_it_complete()
    {
        var key = await pipeline.NewStudioKey("app studio");
        using var api = PipelineFixture.StudioClient(pipeline.Ingest, key);
        await using var browser = await StudioBrowser.LaunchAsync(pipeline, output);
        var page = browser.Page;

        // Without a session, /app sends the browser to the sign-in page; signing in sets the session cookie.
        await page.GotoAsync("/app");
        Assert.EndsWith("/app/sign-in", page.Url, StringComparison.Ordinal);
        await browser.ScreenshotAsync("sign-in");
        await browser.SignInAsync(key);
        var session = (await browser.Context.CookiesAsync()).Single(c => c.Name == "facepipe.session");
        Assert.True(session.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, session.SameSite);

        // The upload: the connection drops after the first chunk; back online, it goes on from the server's offset.
        var clip = RepoPaths.MediaFile("obama_wh_closeup.mp4");
        var patchOffsets = new List<long>();
        var interruptedAt = -1;
        await page.RouteAsync("**/v1/uploads/*", async route =>
        {
            if (route.Request.Method == "PATCH")
            {
                var offset = long.Parse(route.Request.Headers["upload-offset"], System.Globalization.CultureInfo.InvariantCulture);
                lock (patchOffsets)
                {
                    patchOffsets.Add(offset);
                }

                if (interruptedAt < 0 && offset > 0)
                {
                    interruptedAt = patchOffsets.Count - 1;
                    await browser.Context.SetOfflineAsync(true);
                    await route.AbortAsync("internetdisconnected");
                    return;
                }
            }

            await route.ContinueAsync();
        });
        await page.GetByRole(AriaRole.Link, new() { Name = "Submit", Exact = true }).ClickAsync();
        await page.Locator("#file").SetInputFilesAsync(clip);
        await page.WaitForSelectorAsync("#upload-status[data-state='offline']");
        var held = Assert.Single((await api.GetFromJsonAsync<JsonElement>("v1/uploads", PipelineFixture.Json)).GetProperty("items").EnumerateArray());
        Assert.Equal(ChunkBytes, held.GetProperty("offset").GetInt64());
        await browser.Context.SetOfflineAsync(false);
        await page.WaitForSelectorAsync("#upload-status[data-state='uploaded']");
        await browser.ScreenshotAsync("submit");
        var afterInterruption = patchOffsets.Skip(interruptedAt + 1).ToList();
        Assert.Equal(ChunkBytes, afterInterruption[0]); // resumed where the server was, not from 0
        Assert.DoesNotContain(0L, afterInterruption);
        var uploaded = Assert.Single((await api.GetFromJsonAsync<JsonElement>("v1/uploads", PipelineFixture.Json)).GetProperty("items").EnumerateArray());
        Assert.True(uploaded.GetProperty("completed").GetBoolean());
        Assert.Equal(new FileInfo(clip).Length, uploaded.GetProperty("offset").GetInt64());

        // The track job, followed live on its page until every stage's bar is full.
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit the job" }).ClickAsync();
        await page.WaitForURLAsync("**/app/jobs/*");
        var jobId = page.Url.Split('/')[^1];
        await page.WaitForFunctionAsync("() => document.getElementById('stages').dataset.state === 'completed'", null, new() { Timeout = (float)JobTimeout.TotalMilliseconds });
        Assert.True(await page.EvaluateAsync<bool>("() => [...document.querySelectorAll('#stages progress')].every(p => p.value === 100)"));
        Assert.Contains(browser.RequestPaths, p => p == $"/v1/jobs/{jobId}/events");

        // The review clip plays to its end; the curves are plotted; a download is the output's bytes.
        await page.WaitForFunctionAsync("() => document.getElementById('review-video').ended", null, new() { Timeout = 60_000 });
        Assert.True(await page.Locator("#plot svg polyline").CountAsync() > 0);
        await browser.ScreenshotAsync("job");
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "tracking.json", Exact = true }).ClickAsync());
        Assert.Equal("tracking.json", download.SuggestedFilename);
        Assert.Equal(await api.GetByteArrayAsync($"v1/jobs/{jobId}/outputs/tracking.json"), await File.ReadAllBytesAsync(await download.PathAsync()));

        await page.GetByRole(AriaRole.Link, new() { Name = "Jobs and batches" }).ClickAsync();
        await page.Locator($"#job-{jobId}").WaitForAsync();
        await browser.ScreenshotAsync("jobs");
        await page.GetByRole(AriaRole.Link, new() { Name = "Actors" }).ClickAsync();
        await page.WaitForURLAsync("**/app/actors");
        await browser.ScreenshotAsync("actors");

        // The key was never in a URL nor on a page.
        Assert.DoesNotContain(browser.RequestUrls, u => u.Contains(key, StringComparison.Ordinal));
        Assert.DoesNotContain(key, await page.ContentAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_studios_job_answers_404_in_the_app_and_is_not_listed()
    {
        var others = (await pipeline.Submit(pipeline.StudioB, RepoPaths.MediaFile("grid_bbaf2n.mp4"))).GetProperty("id").GetString()!;
        var key = await pipeline.NewStudioKey("app studio, isolation");
        using var api = PipelineFixture.StudioClient(pipeline.Ingest, key);
        var own = (await pipeline.Submit(api, RepoPaths.MediaFile("grid_bbaf2n.mp4"))).GetProperty("id").GetString()!;
        await using var browser = await StudioBrowser.LaunchAsync(pipeline, output);
        await browser.SignInAsync(key);

        var answer = await browser.Page.GotoAsync($"/app/jobs/{others}");
        Assert.Equal((int)HttpStatusCode.NotFound, answer!.Status);
        await browser.ScreenshotAsync("missing");
        Assert.Equal((int)HttpStatusCode.NotFound, (await browser.Context.APIRequest.GetAsync($"/v1/jobs/{others}")).Status);

        await browser.Page.GotoAsync("/app");
        await browser.Page.Locator($"#job-{own}").WaitForAsync();
        Assert.Equal(0, await browser.Page.Locator($"#job-{others}").CountAsync());
    }

    [Fact]
    public async Task The_session_refuses_a_wrong_key_changes_without_its_csrf_token_and_everything_after_sign_out()
    {
        var key = await pipeline.NewStudioKey("app studio, session");
        using var api = PipelineFixture.StudioClient(pipeline.Ingest, key);
        var job = (await pipeline.Submit(api, RepoPaths.MediaFile("grid_bbaf2n.mp4"))).GetProperty("id").GetString()!;
        await using var browser = await StudioBrowser.LaunchAsync(pipeline, output);
        var page = browser.Page;

        await page.GotoAsync("/app/sign-in");
        await page.GetByLabel("API key").FillAsync("fp_not-a-key");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        Assert.Contains("not a studio's API key", await page.GetByRole(AriaRole.Alert).InnerTextAsync(), StringComparison.Ordinal);
        Assert.Empty(await browser.Context.CookiesAsync());

        await browser.SignInAsync(key);
        var withoutToken = await browser.Context.APIRequest.PostAsync($"/v1/jobs/{job}/cancel");
        Assert.Equal((int)HttpStatusCode.Forbidden, withoutToken.Status);
        Assert.Contains("X-CSRF", await withoutToken.TextAsync(), StringComparison.Ordinal);
        Assert.Equal((int)HttpStatusCode.OK, (await browser.Context.APIRequest.GetAsync($"/v1/jobs/{job}")).Status);

        await page.GotoAsync("/app");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.WaitForURLAsync("**/app/sign-in");
        Assert.Equal((int)HttpStatusCode.Unauthorized, (await browser.Context.APIRequest.GetAsync($"/v1/jobs/{job}")).Status);
        await page.GotoAsync("/app/submit");
        Assert.EndsWith("/app/sign-in", page.Url, StringComparison.Ordinal);
    }

    /// <summary>One headless Chromium with one page on Ingest, recording every URL the page asked for.</summary>
    private sealed class StudioBrowser : IAsyncDisposable
    {
        /// <summary>Where every test run's screenshots go (printed in the test output).</summary>
        private static readonly Lazy<string> ScreenshotFolder = new(() => RepoPaths.NewScratchFolder("app-screenshots"));

        private readonly IPlaywright _playwright;
        private readonly IBrowser _browser;
        private readonly ITestOutputHelper _output;

        private StudioBrowser(IPlaywright playwright, IBrowser browser, IBrowserContext context, IPage page, ITestOutputHelper output)
        {
            (_playwright, _browser, Context, Page, _output) = (playwright, browser, context, page, output);
            page.Request += (_, request) =>
            {
                lock (RequestUrls)
                {
                    RequestUrls.Add(request.Url);
                }
            };
        }

        public IBrowserContext Context { get; }

        public IPage Page { get; }

        public List<string> RequestUrls { get; } = [];

        public IEnumerable<string> RequestPaths
        {
            get
            {
                lock (RequestUrls)
                {
                    return [.. RequestUrls.Select(u => new Uri(u).AbsolutePath)];
                }
            }
        }

        public static async Task<StudioBrowser> LaunchAsync(PipelineFixture pipeline, ITestOutputHelper output)
        {
            var playwright = await Playwright.CreateAsync();
            var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true });
            var context = await browser.NewContextAsync(new() { BaseURL = pipeline.Ingest.BaseAddress.ToString().TrimEnd('/'), AcceptDownloads = true, ViewportSize = new() { Width = 1200, Height = 900 } });
            return new StudioBrowser(playwright, browser, context, await context.NewPageAsync(), output);
        }

        public async Task SignInAsync(string key)
        {
            await Page.GotoAsync("/app/sign-in");
            await Page.GetByLabel("API key").FillAsync(key);
            await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await Page.WaitForURLAsync("**/app");
        }

        public async Task ScreenshotAsync(string name)
        {
            var path = Path.Combine(ScreenshotFolder.Value, $"{name}.png");
            await Page.ScreenshotAsync(new() { Path = path, FullPage = true });
            _output.WriteLine($"screenshot: {path}");
        }

        public async ValueTask DisposeAsync()
        {
            await Context.CloseAsync();
            await _browser.CloseAsync();
            _playwright.Dispose();
        }
    }
}
