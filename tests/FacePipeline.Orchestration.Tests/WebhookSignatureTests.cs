using System.ComponentModel.DataAnnotations;
using System.Globalization;
using FacePipeline.Orchestration.Notifications;
using FacePipeline.Persistence;
using FacePipeline.TestSupport;

namespace FacePipeline.Orchestration.Tests;

/// <summary>Webhook signatures, secrets, URLs, the retry backoff and the event stream's frames: pure, no database.</summary>
[Trait("Lane", "Fast")]
public sealed class WebhookSignatureTests
{
    private const string Secret = "whsec_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private const string Body = """{"id":"6f1c2a9e-0000-4000-8000-000000000001","type":"job.completed","job":{"state":"completed"}}""";
    private static readonly DateTimeOffset SentAt = new(2026, 12, 4, 22, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_signature_verifies_with_the_same_secret_body_and_a_fresh_timestamp()
    {
        var header = WebhookSignature.Sign(Secret, Body, SentAt);

        Assert.Matches("^t=[0-9]+,v1=[0-9a-f]{64}$", header);
        Assert.StartsWith($"t={SentAt.ToUnixTimeSeconds()},", header, StringComparison.Ordinal);
        Assert.True(WebhookSignature.Verify(Secret, header, Body, SentAt.AddMinutes(4), WebhookSignature.DefaultTolerance));
    }

    [Fact]
    public void Verify_rejects_a_changed_body_a_wrong_secret_a_stale_timestamp_and_a_malformed_header()
    {
        var header = WebhookSignature.Sign(Secret, Body, SentAt);
        var tolerance = WebhookSignature.DefaultTolerance;

        Assert.False(WebhookSignature.Verify(Secret, header, Body.Replace("completed", "failed", StringComparison.Ordinal), SentAt, tolerance));
        Assert.False(WebhookSignature.Verify(Secret + "0", header, Body, SentAt, tolerance));
        Assert.False(WebhookSignature.Verify(Secret, header, Body, SentAt.AddMinutes(5).AddSeconds(1), tolerance)); // a replay 5 min later
        Assert.False(WebhookSignature.Verify(Secret, header.Replace("t=", "t=1", StringComparison.Ordinal), Body, SentAt, TimeSpan.FromDays(100_000))); // another timestamp
        Assert.False(WebhookSignature.Verify(Secret, null, Body, SentAt, tolerance));
        Assert.False(WebhookSignature.Verify(Secret, "v1=" + header.Split("v1=")[1], Body, SentAt, tolerance));
        Assert.False(WebhookSignature.Verify(Secret, $"t={SentAt.ToUnixTimeSeconds()}", Body, SentAt, tolerance));
    }

    [Fact]
    public async Task The_signature_is_the_hmac_sha256_that_openssl_computes_over_the_timestamp_a_dot_and_the_body()
    {
        var body = """{"studio":"Zoë's","note":"non-ASCII and \"quotes\""}""";
        var header = WebhookSignature.Sign(Secret, body, SentAt);

        var expected = await OpenSsl.HmacSha256Hex(Secret, string.Create(CultureInfo.InvariantCulture, $"{SentAt.ToUnixTimeSeconds()}.{body}"));

        Assert.Equal(64, expected.Length);
        Assert.Equal($"t={SentAt.ToUnixTimeSeconds()},v1={expected}", header);
    }

    [Fact]
    public void New_secrets_are_whsec_and_32_random_bytes_in_hex()
    {
        var first = WebhookSignature.NewSecret();
        var second = WebhookSignature.NewSecret();

        Assert.Matches("^whsec_[0-9a-f]{64}$", first);
        Assert.NotEqual(first, second);
    }

    [Theory]
    [InlineData("https://hooks.example.com/facepipeline", false, null)]
    [InlineData("http://127.0.0.1:8080/hook", true, null)]
    [InlineData("http://hooks.example.com/facepipeline", false, "must use https://")]
    [InlineData("https://user:pass@hooks.example.com/", false, "user name or password")]
    [InlineData("/relative/hook", false, "absolute")]
    [InlineData("ftp://hooks.example.com/", true, "scheme 'ftp'")]
    [InlineData("https://hooks.example.com/#part", false, "fragment")]
    [InlineData("", false, "Send the webhook's address")]
    public void A_webhook_url_is_an_absolute_https_url_without_credentials(string url, bool allowHttp, string? problem)
    {
        var refusal = StudioWebhooks.UrlProblem(url, allowHttp);

        if (problem is null)
        {
            Assert.Null(refusal);
        }
        else
        {
            Assert.Contains(problem, refusal, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Retries_wait_the_first_delay_doubled_per_failure_up_to_the_longest_plus_at_most_a_fifth_of_jitter()
    {
        var options = new WebhookOptions { FirstRetryDelay = TimeSpan.FromSeconds(10), MaxRetryDelay = TimeSpan.FromMinutes(1) };

        Assert.Equal(
            [10, 20, 40, 60, 60],
            Enumerable.Range(1, 5).Select(attempt => options.RetryDelay(attempt, jitter: 0).TotalSeconds));
        Assert.Equal(TimeSpan.FromSeconds(12), options.RetryDelay(1, jitter: 1));
        Assert.Equal(TimeSpan.FromSeconds(72), options.RetryDelay(30, jitter: 1));
    }

    [Fact]
    public void A_longest_retry_delay_shorter_than_the_first_is_refused_with_both_settings_named()
    {
        var options = new WebhookOptions { FirstRetryDelay = TimeSpan.FromMinutes(5), MaxRetryDelay = TimeSpan.FromMinutes(1) };

        var results = new List<ValidationResult>();
        Assert.False(Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true));
        Assert.Contains("Webhooks:MaxRetryDelay", Assert.Single(results).ErrorMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void An_event_is_framed_as_id_event_and_data_lines_ended_by_a_blank_line()
    {
        var row = new JobEvent { Id = 42, Type = JobEventTypes.JobProgress, Data = """{"state":"extracting"}""" };

        Assert.Equal("id: 42\nevent: job.progress\ndata: {\"state\":\"extracting\"}\n\n", JobEventStream.Frame(row));
        Assert.Equal("id: 7\nevent: job.queued\ndata: {\ndata:   \"a\": 1\ndata: }\n\n", JobEventStream.Frame(new JobEvent { Id = 7, Type = JobEventTypes.JobQueued, Data = "{\r\n  \"a\": 1\r\n}" }));
    }
}
