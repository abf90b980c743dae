using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FacePipeline.TestSupport;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace FacePipeline.EndToEnd.Tests;

/// <summary>
/// The studio app (/app on Ingest, docs/app.md) in Debian's Chromium, driven by Playwright, on the whole pipeline:
/// sign-in, a resumable upload, a track job followed live to its end, its review clip, a download, a batch submitted
/// with a manifest naming a browser upload and followed to its end, and another studio's job and batch kept out.
/// Each page's screenshot goes to a scratch folder named in the test output.
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

        // The file is chosen before the submit page's script has run (held here until then, as a slow connection or a
        // loaded machine does): the page takes it when the script comes instead of losing the input's 'change'.
        var fileChosen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await page.RouteAsync("**/app/assets/submit.js", async route =>
        {
            await fileChosen.Task;
            await route.ContinueAsync();
        });
        await page.GetByRole(AriaRole.Link, new() { Name = "Submit", Exact = true }).ClickAsync();
        await page.Locator("#file").SetInputFilesAsync(clip);
        Assert.Equal(string.Empty, await page.Locator("#upload-status").GetAttributeAsync("data-state") ?? string.Empty); // nothing ran yet
        fileChosen.SetResult();
        await browser.WaitForStateAsync("#upload-status", "offline");
        var held = Assert.Single((await api.GetFromJsonAsync<JsonElement>("v1/uploads", PipelineFixture.Json)).GetProperty("items").EnumerateArray());
        Assert.Equal(ChunkBytes, held.GetProperty("offset").GetInt64());
        await browser.Context.SetOfflineAsync(false);
        await browser.WaitForStateAsync("#upload-status", "uploaded");
        await browser.ScreenshotAsync("submit");
        var afterInterruption = patchOffsets.Skip(interruptedAt + 1).ToList();
        Assert.Equal(ChunkBytes, afterInterruption[0]); // resumed where the server was, not from 0
        Assert.DoesNotContain(0L, afterInterruption);
        var uploaded = Assert.Single((await api.GetFromJsonAsync<JsonElement>("v1/uploads", PipelineFixture.Json)).GetProperty("items").EnumerateArray());
        Assert.True(uploaded.GetProperty("completed").GetBoolean());
        Assert.Equal(new FileInfo(clip).Length, uploaded.GetProperty("offset").GetInt64());

        // The track job, followed live on its page until every stage's bar is full.
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit the job" }).ClickAsync();
        await page.WaitForURLAsync("**/app/jobs/*", StudioBrowser.Navigated);
        var jobId = page.Url.Split('/')[^1];
        await page.WaitForFunctionAsync("() => document.getElementById('stages')?.dataset.state === 'completed'", null, new() { Timeout = (float)JobTimeout.TotalMilliseconds });
        Assert.True(await page.EvaluateAsync<bool>("() => [...document.querySelectorAll('#stages progress')].every(p => p.value === 100)"));
        Assert.Contains(browser.RequestPaths, p => p == $"/v1/jobs/{jobId}/events");

        // The review clip plays to its end; the curves are plotted; a download is the output's bytes.
        await page.WaitForFunctionAsync("() => document.getElementById('review-video')?.ended", null, new() { Timeout = 60_000 });
        Assert.True(await page.Locator("#plot svg polyline").CountAsync() > 0);
        await browser.ScreenshotAsync("job");
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Link, new() { Name = "tracking.json", Exact = true }).ClickAsync());
        Assert.Equal("tracking.json", download.SuggestedFilename);
        Assert.Equal(await api.GetByteArrayAsync($"v1/jobs/{jobId}/outputs/tracking.json"), await File.ReadAllBytesAsync(await download.PathAsync()));

        await page.GetByRole(AriaRole.Link, new() { Name = "Jobs and batches" }).ClickAsync();
        await page.Locator($"#job-{jobId}").WaitForAsync();
        await browser.ScreenshotAsync("jobs");
        await page.GetByRole(AriaRole.Link, new() { Name = "Actors" }).ClickAsync();
        await page.WaitForURLAsync("**/app/actors", StudioBrowser.Navigated);
        await browser.ScreenshotAsync("actors");

        // The key was never in a URL nor on a page.
        Assert.DoesNotContain(browser.RequestUrls, u => u.Contains(key, StringComparison.Ordinal));
        Assert.DoesNotContain(key, await page.ContentAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_studio_uploads_a_clip_submits_a_two_shot_batch_naming_it_and_watches_both_shots_complete()
    {
        var key = await pipeline.NewStudioKey("app studio, batch");
        await using var browser = await StudioBrowser.LaunchAsync(pipeline, output);
        var page = browser.Page;
        await browser.SignInAsync(key);

        // The clip is uploaded on the batch page, which shows the upload:<id> to put in the manifest.
        await page.GetByRole(AriaRole.Link, new() { Name = "Submit a batch", Exact = true }).ClickAsync();
        await page.WaitForURLAsync("**/app/batches/new", StudioBrowser.Navigated);
        await page.Locator("#file").SetInputFilesAsync(RepoPaths.MediaFile("grid_bbaf2n.mp4"));
        var reference = await page.Locator("#uploaded-clips code").InnerTextAsync(new() { Timeout = 60_000 });
        Assert.Matches("^upload:[0-9a-f-]{36}$", reference);

        // A bad manifest is refused with the API's sentence, naming its row.
        await page.Locator("#manifest").SetInputFilesAsync(Manifest($"shot,kind,clip\nsh010,trak,{reference}\n"));
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit the batch" }).ClickAsync();
        await page.Locator("#batch-status:not(:empty)").WaitForAsync();
        Assert.Contains("Row 1 (shot 'sh010')", await page.Locator("#batch-status").InnerTextAsync(), StringComparison.Ordinal);
        Assert.EndsWith("/app/batches/new", page.Url, StringComparison.Ordinal);

        // Two shots of the one upload, interactive so they start at once; the batch page follows them to the end.
        await page.Locator("#manifest").SetInputFilesAsync(Manifest($"shot,kind,clip,maxFaces\nsh010,track,{reference},\nsh020,track,{reference},1\n"));
        await page.GetByLabel("Name (optional").FillAsync("app night");
        await page.GetByLabel("Class").SelectOptionAsync("interactive");
        await browser.ScreenshotAsync("batch-new");
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit the batch" }).ClickAsync();
        await page.WaitForURLAsync("**/app/batches/*-*", StudioBrowser.Navigated);
        var batchId = page.Url.Split('/')[^1];
        await page.WaitForFunctionAsync(
            "() => document.getElementById('shots')?.dataset.state === 'ended' && document.querySelectorAll('#shots tbody tr[data-state=completed]').length === 2",
            null,
            new() { Timeout = (float)(2 * JobTimeout).TotalMilliseconds });
        Assert.Equal("completed: 2", await page.Locator("#counts li[data-state=completed]").InnerTextAsync());
        Assert.Equal(6, await page.Locator("#shots progress").CountAsync()); // extract, reconstruct, render of each shot
        Assert.True(await page.EvaluateAsync<bool>("() => [...document.querySelectorAll('#shots progress')].every(p => p.value === 100)"));
        Assert.Contains(browser.RequestPaths, p => p == $"/v1/batches/{batchId}/events");
        Assert.Equal($"/v1/batches/{batchId}/outputs.zip", await page.Locator("#download").GetAttributeAsync("href"));
        await browser.ScreenshotAsync("batch");

        // Each shot links to its job's page; the jobs list links the batch to its page.
        await page.GetByRole(AriaRole.Link, new() { Name = "sh020", Exact = true }).ClickAsync();
        await page.WaitForFunctionAsync("() => document.getElementById('stages')?.dataset.state === 'completed'");
        await page.GetByRole(AriaRole.Link, new() { Name = "Jobs and batches" }).ClickAsync();
        await page.Locator($"#batch-{batchId} a[href='/app/batches/{batchId}']").WaitForAsync();
        Assert.DoesNotContain(browser.RequestUrls, u => u.Contains(key, StringComparison.Ordinal));

        static FilePayload Manifest(string csv) => new() { Name = "night.csv", MimeType = "text/csv", Buffer = System.Text.Encoding.UTF8.GetBytes(csv) };
    }

    [Fact]
    public async Task A_retarget_onto_a_target_clip_uploaded_in_the_page_is_submitted_with_every_option_as_chosen()
    {
        var key = await pipeline.NewStudioKey("app studio, retarget");
        using var api = PipelineFixture.StudioClient(pipeline.Ingest, key);
        await using var browser = await StudioBrowser.LaunchAsync(pipeline, output);
        var page = browser.Page;
        await browser.SignInAsync(key);
        await page.GotoAsync("/app/submit");

        // The performer first, then "retarget onto a target clip" and the target in its own drop zone.
        await page.Locator("#file").SetInputFilesAsync(RepoPaths.MediaFile("grid_lbbc2a.mp4"));
        await browser.WaitForStateAsync("#upload-status", "uploaded");
        await page.Locator("input[name=kind][value=retarget]").CheckAsync();
        await page.Locator("input[name=onto][value=clip]").CheckAsync();
        Assert.True(await page.GetByRole(AriaRole.Button, new() { Name = "Submit the job" }).IsDisabledAsync()); // no target yet
        await page.Locator("#target-file").SetInputFilesAsync(RepoPaths.MediaFile("grid_swiz3n.mp4"));
        await browser.WaitForStateAsync("#target-upload-status", "uploaded");

        await page.Locator("#timing").SelectOptionAsync("loop");
        await page.Locator("#intensity").FillAsync("1.5");
        await page.Locator("#mouthGain").FillAsync("1.2");
        await page.Locator("#pose").SelectOptionAsync("source");
        await page.Locator("input[name=matte]").UncheckAsync();
        await page.Locator("input[name=dnxhr]").CheckAsync();
        await page.Locator("#priority").FillAsync("7");
        await browser.ScreenshotAsync("submit-retarget");
        await page.GetByRole(AriaRole.Button, new() { Name = "Submit the job" }).ClickAsync();
        await page.WaitForURLAsync("**/app/jobs/*", StudioBrowser.Navigated);
        var jobId = page.Url.Split('/')[^1];

        // The API holds the job as the page said it: both clips by upload, every option chosen, the rest at defaults.
        var job = await api.GetFromJsonAsync<JsonElement>($"v1/jobs/{jobId}", PipelineFixture.Json);
        Assert.Equal("retarget", job.GetProperty("kind").GetString());
        Assert.Equal(
            [("source", "grid_lbbc2a.mp4"), ("target", "grid_swiz3n.mp4")],
            job.GetProperty("clips").EnumerateArray().Select(c => (c.GetProperty("name").GetString(), c.GetProperty("fileName").GetString())));
        var settings = job.GetProperty("settings");
        Assert.Equal(("loop", 1.5, 1.2, 1.0, "source"), (settings.GetProperty("timing").GetString(), settings.GetProperty("intensity").GetDouble(), settings.GetProperty("mouthGain").GetDouble(), settings.GetProperty("eyesGain").GetDouble(), settings.GetProperty("pose").GetString()));
        Assert.Equal((false, true, false, false), (settings.GetProperty("matte").GetBoolean(), settings.GetProperty("dnxhr").GetBoolean(), settings.GetProperty("proRes").GetBoolean(), settings.GetProperty("proRes4444").GetBoolean()));
        Assert.Equal(7, job.GetProperty("priority").GetInt32());

        // Its running is the retarget tests' business: cancel it here.
        Assert.True((await api.PostAsync($"v1/jobs/{jobId}/cancel", null)).IsSuccessStatusCode);
    }

    [Fact]
    public async Task Another_studios_job_and_batch_answer_404_in_the_app_and_are_not_listed()
    {
        var others = (await pipeline.Submit(pipeline.StudioB, RepoPaths.MediaFile("grid_bbaf2n.mp4"))).GetProperty("id").GetString()!;
        var othersBatch = await PausedBatch(pipeline.StudioB, RepoPaths.MediaFile("grid_bbaf2n.mp4"));
        var key = await pipeline.NewStudioKey("app studio, isolation");
        using var api = PipelineFixture.StudioClient(pipeline.Ingest, key);
        var own = (await pipeline.Submit(api, RepoPaths.MediaFile("grid_bbaf2n.mp4"))).GetProperty("id").GetString()!;
        await using var browser = await StudioBrowser.LaunchAsync(pipeline, output);
        await browser.SignInAsync(key);

        var answer = await browser.Page.GotoAsync($"/app/jobs/{others}");
        Assert.Equal((int)HttpStatusCode.NotFound, answer!.Status);
        await browser.ScreenshotAsync("missing");
        Assert.Equal((int)HttpStatusCode.NotFound, (await browser.Context.APIRequest.GetAsync($"/v1/jobs/{others}")).Status);

        var batchAnswer = await browser.Page.GotoAsync($"/app/batches/{othersBatch}");
        Assert.Equal((int)HttpStatusCode.NotFound, batchAnswer!.Status);
        Assert.Contains("no such batch", await browser.Page.GetByRole(AriaRole.Alert).InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal((int)HttpStatusCode.NotFound, (await browser.Context.APIRequest.GetAsync($"/v1/batches/{othersBatch}")).Status);

        await browser.Page.GotoAsync("/app");
        await browser.Page.Locator($"#job-{own}").WaitForAsync();
        Assert.Equal(0, await browser.Page.Locator($"#job-{others}").CountAsync());
        Assert.Equal(0, await browser.Page.Locator($"#batch-{othersBatch}").CountAsync());
    }

    /// <summary>A one-shot batch submitted paused, so it holds a batch without running anything; its id.</summary>
    private static async Task<string> PausedBatch(HttpClient studio, string clip)
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent($"shot,kind,clip\nsh010,track,{Path.GetFileName(clip)}\n"), "manifest", "held.csv" },
            { new ByteArrayContent(await File.ReadAllBytesAsync(clip)), "file-1", Path.GetFileName(clip) },
            { new StringContent("true"), "paused" },
        };
        using var response = await studio.PostAsync("v1/batches", form);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(PipelineFixture.Json);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST /v1/batches answered {(int)response.StatusCode}: {body}");
        return body.GetProperty("id").GetString()!;
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
        await page.WaitForURLAsync("**/app/sign-in", StudioBrowser.Navigated);
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

            // Every wait is for a page state, never a sleep; on a 2-core CI machine that runs the whole pipeline beside
            // the browser, a state can take longer than Playwright's default 30 s to come (a page's modules, an upload's
            // pieces through the route handler), so each wait gets up to 2 minutes.
            context.SetDefaultTimeout(120_000);
            return new StudioBrowser(playwright, browser, context, await context.NewPageAsync(), output);
        }

        /// <summary>
        /// A page the app navigated to is ready for the test once its DOM is parsed and its module script has run
        /// (DOMContentLoaded): every step after it waits for the element it needs. Not the load event, which once never
        /// came in a CI run (a 120 s timeout with the network idle, on a page that had arrived), and which the app's pages
        /// do not need.
        /// </summary>
        public static readonly PageWaitForURLOptions Navigated = new() { WaitUntil = WaitUntilState.DOMContentLoaded };

        public async Task SignInAsync(string key)
        {
            await Page.GotoAsync("/app/sign-in");
            await Page.GetByLabel("API key").FillAsync(key);
            await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await Page.WaitForURLAsync("**/app", StudioBrowser.Navigated);
        }

        /// <summary>
        /// Waits for a status element's data-state; when it does not come, the failure says the state and sentence the
        /// element shows instead, with a screenshot of the page as it was.
        /// </summary>
        public async Task WaitForStateAsync(string selector, string state)
        {
            try
            {
                await Page.WaitForSelectorAsync($"{selector}[data-state='{state}']");
            }
            catch (TimeoutException timeout)
            {
                string shown;
                try
                {
                    var element = Page.Locator(selector);
                    shown = $"data-state '{await element.GetAttributeAsync("data-state", new() { Timeout = 5_000 })}', text '{await element.TextContentAsync(new() { Timeout = 5_000 })}'";
                    await ScreenshotAsync($"timed-out-{selector.TrimStart('#')}-{state}");
                }
                catch (Exception unreadable) when (unreadable is PlaywrightException or TimeoutException)
                {
                    shown = $"nothing readable ({unreadable.Message})";
                }

                throw new TimeoutException($"{selector} never reached data-state '{state}': it shows {shown}.", timeout);
            }
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
