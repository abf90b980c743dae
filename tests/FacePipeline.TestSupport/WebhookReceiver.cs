using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FacePipeline.TestSupport;

/// <summary>One POST a <see cref="WebhookReceiver"/> received: its headers (first value of each) and its exact body.</summary>
public sealed record ReceivedWebhook(IReadOnlyDictionary<string, string> Headers, string Body);

/// <summary>
/// A studio's webhook receiver for tests: a real Kestrel server on 127.0.0.1 (a free port) that records every POST to
/// <see cref="Url"/> and answers the status <see cref="StatusFor"/> gives for the request's number (from 1).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedWebhook> _received = new();
    private readonly SemaphoreSlim _arrived = new(0);
    private int _count;

    private WebhookReceiver(WebApplication app, Func<int, int> statusFor)
    {
        _app = app;
        StatusFor = statusFor;
    }

    /// <summary>The status answered to the n-th POST (from 1).</summary>
    public Func<int, int> StatusFor { get; }

    /// <summary>Where the receiver listens: http://127.0.0.1:&lt;port&gt;/hook.</summary>
    public string Url { get; private set; } = string.Empty;

    /// <summary>What arrived so far, in order.</summary>
    public IReadOnlyList<ReceivedWebhook> Received => [.. _received];

    /// <summary>Starts a receiver that answers <paramref name="statusFor"/>(n) to the n-th POST (default: 200 to all).</summary>
    public static async Task<WebhookReceiver> StartAsync(Func<int, int>? statusFor = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, statusFor ?? (_ => StatusCodes.Status200OK));
        app.MapPost("/hook", receiver.Receive);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        receiver.Url = $"{address.TrimEnd('/')}/hook";
        return receiver;
    }

    /// <summary>Waits (at most <paramref name="timeout"/>) until <paramref name="count"/> POSTs arrived; returns them.</summary>
    public async Task<IReadOnlyList<ReceivedWebhook>> WaitForAsync(int count, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (_received.Count < count)
        {
            var left = timeout - deadline.Elapsed;
            if (left <= TimeSpan.Zero || !await _arrived.WaitAsync(left))
            {
                throw new TimeoutException($"The webhook receiver got {_received.Count} of {count} POSTs within {timeout}.");
            }
        }

        return Received;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _arrived.Dispose();
    }

    private async Task<IResult> Receive(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync();
        var number = Interlocked.Increment(ref _count);
        _received.Enqueue(new ReceivedWebhook(request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body));
        _arrived.Release();
        return Results.StatusCode(StatusFor(number));
    }
}

/// <summary>An HMAC computed by Debian's openssl (<c>openssl dgst -sha256 -hmac</c>): an implementation independent of .NET's.</summary>
public static class OpenSsl
{
    /// <summary>The lower-case hex HMAC-SHA256 of <paramref name="text"/> (UTF-8) with the key <paramref name="key"/>.</summary>
    public static async Task<string> HmacSha256Hex(string key, string text)
    {
        var start = new ProcessStartInfo("openssl") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, StandardInputEncoding = new System.Text.UTF8Encoding(false) };
        foreach (var argument in new[] { "dgst", "-sha256", "-hmac", key })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("openssl did not start.");
        await process.StandardInput.WriteAsync(text);
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"openssl dgst failed ({process.ExitCode}): {error}");
        }

        // "HMAC-SHA2-256(stdin)= <hex>" (OpenSSL 3) or "(stdin)= <hex>".
        return output.Trim()[(output.Trim().LastIndexOf("= ", StringComparison.Ordinal) + 2)..];
    }
}
