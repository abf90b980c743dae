using System.Security.Cryptography;
using System.Text;
using FacePipeline.Orchestration.Uploads;
using FacePipeline.ServiceDefaults;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FacePipeline.Ingest.Tests.Uploads;

/// <summary>The tus rules as pure functions: metadata, checksum headers, file names, what a creation and a PATCH may declare.</summary>
[Trait("Lane", "Fast")]
public sealed class UploadRulesTests
{
    private const long Limit = 1_000_000;
    private static readonly Guid Id = Guid.Parse("3f2a0000-0000-0000-0000-000000000001");

    [Fact]
    public void Metadata_is_comma_separated_keys_with_base64_values_and_a_value_may_be_absent()
    {
        var (metadata, problem) = UploadMetadata.Parse($"filename {B64("Überstunden take 3.mov")},is_confidential, filetype {B64("video/quicktime")}");

        Assert.Null(problem);
        Assert.Equal("Überstunden take 3.mov", metadata![UploadMetadata.FileNameKey]);
        Assert.Equal(string.Empty, metadata["is_confidential"]);
        Assert.Equal("video/quicktime", metadata["filetype"]);
        Assert.Null(metadata["name"]);
    }

    [Theory]
    [InlineData("filename a b c", "is not 'key base64value'")]
    [InlineData("filename !!!", "is not base64 of UTF-8 text")]
    [InlineData("filename /w==", "is not base64 of UTF-8 text")]
    [InlineData("filename YQ==,filename Yg==", "The Upload-Metadata key 'filename' is sent more than once")]
    [InlineData(",filename YQ==", "is not 'key base64value'")]
    public void Malformed_metadata_is_refused_with_what_is_wrong(string header, string expected)
    {
        var (metadata, problem) = UploadMetadata.Parse(header);

        Assert.Null(metadata);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sha1", 20)]
    [InlineData("sha256", 32)]
    [InlineData("md5", 16)]
    public void A_checksum_header_names_a_supported_algorithm_and_its_digest_matches_only_the_same_bytes(string algorithm, int size)
    {
        var body = Encoding.UTF8.GetBytes("the bytes of one PATCH");
        var digest = algorithm switch { "sha1" => SHA1.HashData(body), "sha256" => SHA256.HashData(body), _ => MD5.HashData(body) };

        var (checksum, problem) = UploadChecksum.Parse($"{algorithm} {Convert.ToBase64String(digest)}");

        Assert.Null(problem);
        Assert.Equal(size, checksum!.Digest.Length);
        using var hash = checksum.NewHash();
        hash.AppendData(body);
        Assert.True(checksum.Matches(hash.GetHashAndReset()));
        hash.AppendData(body.AsSpan(1));
        Assert.False(checksum.Matches(hash.GetHashAndReset()));
    }

    [Theory]
    [InlineData("crc32 AAAAAA==", "The checksum algorithm 'crc32' is not supported")]
    [InlineData("SHA1 2jmj7l5rSw0yVb/vlWAYkK/YBwk=", "The checksum algorithm 'SHA1' is not supported")]
    [InlineData("sha1", "Upload-Checksum must be an algorithm and a base64 digest separated by a space")]
    [InlineData("sha1 2jmj7l5rSw0yVb/vlWAYkK/YBwk=AAAA", "is not base64 of 20 bytes")]
    [InlineData("sha256 2jmj7l5rSw0yVb/vlWAYkK/YBwk=", "is not base64 of 32 bytes")]
    public void A_checksum_that_cannot_be_checked_is_refused_with_a_sentence(string header, string expected)
    {
        var (checksum, problem) = UploadChecksum.Parse(header);

        Assert.Null(checksum);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void No_checksum_header_is_no_checksum_and_no_problem() =>
        Assert.Equal((null, null), UploadChecksum.Parse(null));

    [Theory]
    [InlineData("take1.mp4", "take1.mp4", "take1.mp4")]
    [InlineData("C:\\footage\\day 2\\take \"7\".mov", "take 7.mov", "take_7.mov")]
    [InlineData("../../etc/passwd", "passwd", "passwd")]
    [InlineData("..hidden.mp4", "..hidden.mp4", "hidden.mp4")]
    [InlineData("Überstunden.mp4", "Überstunden.mp4", "_berstunden.mp4")]
    [InlineData("日本語", "日本語", "___")]
    [InlineData("...", "...", "upload")]
    public void A_file_name_is_kept_without_folders_and_quotes_and_stored_under_a_safe_key_segment(string sent, string kept, string segment)
    {
        var (fileName, problem) = UploadFileNames.Clean(sent);

        Assert.Null(problem);
        Assert.Equal(kept, fileName);
        Assert.Equal(segment, UploadFileNames.KeySegment(fileName!));
    }

    [Fact]
    public void A_long_file_name_keeps_its_extension_in_the_key_and_one_over_255_characters_is_refused()
    {
        Assert.Equal(new string('a', 96) + ".mp4", UploadFileNames.KeySegment(new string('a', 200) + ".mp4"));
        Assert.StartsWith("The file name is 256 characters long", UploadFileNames.Clean(new string('a', 252) + ".mp4").Problem, StringComparison.Ordinal);
        Assert.StartsWith("The upload has no file name", UploadFileNames.Clean("folder/").Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1000", null, 1000L)]
    [InlineData("0", null, 0L)]
    [InlineData(null, "1", null)]
    [InlineData("1000000", null, 1_000_000L)]
    public void A_creation_declares_its_length_or_defers_it(string? length, string? defer, long? expected)
    {
        var (plan, refusal) = UploadRules.Creation(new UploadCreationHeaders(length, defer, $"filename {B64("a.mp4")}"), Limit);

        Assert.Null(refusal);
        Assert.Equal((expected, "a.mp4"), (plan!.Length, plan.FileName));
    }

    [Theory]
    [InlineData("1000", "1", 400, "Send either Upload-Length")]
    [InlineData(null, null, 400, "Send Upload-Length with the file's size")]
    [InlineData(null, "0", 400, "Upload-Defer-Length can only be 1")]
    [InlineData("1e3", null, 400, "Upload-Length must be the file's size as a whole number of bytes (got '1e3').")]
    [InlineData("+10", null, 400, "Upload-Length must be the file's size")]
    [InlineData("99999999999999999999", null, 400, "Upload-Length must be the file's size")]
    [InlineData("1000001", null, 413, "The upload's length of 1000001 bytes is over the limit of 1000000 bytes (Tus-Max-Size)")]
    public void A_creation_with_a_bad_or_too_large_length_is_refused(string? length, string? defer, int status, string sentence)
    {
        var (plan, refusal) = UploadRules.Creation(new UploadCreationHeaders(length, defer, $"filename {B64("a.mp4")}"), Limit);

        Assert.Null(plan);
        Assert.Equal(status, refusal!.Status);
        Assert.StartsWith(sentence, refusal.Sentence, StringComparison.Ordinal);
    }

    [Fact]
    public void A_patch_at_the_servers_offset_may_carry_up_to_the_rest_of_the_upload()
    {
        var (plan, refusal) = UploadRules.Patch(Id, 400, 1000, Patch("400", contentLength: 600, checksum: "sha1 2jmj7l5rSw0yVb/vlWAYkK/YBwk="), Limit);

        Assert.Null(refusal);
        Assert.Equal((400L, 600L, (long?)1000), (plan!.Offset, plan.MaxBodyBytes, plan.Length));
        Assert.Equal("sha1", plan.Checksum!.Algorithm);
    }

    [Theory]
    [InlineData("application/octet-stream", "400", null, 600L, 415, "Send the upload's bytes with Content-Type: application/offset+octet-stream")]
    [InlineData(null, "400", null, 600L, 415, "Send the upload's bytes with Content-Type")]
    [InlineData(TusProtocol.OffsetOctetStream, null, null, 600L, 400, "Send Upload-Offset with the offset the bytes start at (the upload is at 400")]
    [InlineData(TusProtocol.OffsetOctetStream, "-1", null, 600L, 400, "Upload-Offset must be a whole number of bytes (got '-1').")]
    [InlineData(TusProtocol.OffsetOctetStream, "0", null, 600L, 409, "Upload 3f2a0000-0000-0000-0000-000000000001 is at offset 400, not 0: send HEAD and resume from its Upload-Offset.")]
    [InlineData(TusProtocol.OffsetOctetStream, "500", null, 600L, 409, "Upload 3f2a0000-0000-0000-0000-000000000001 is at offset 400, not 500")]
    [InlineData(TusProtocol.OffsetOctetStream, "400", null, 601L, 413, "The upload is 1000 bytes long, so it takes at most 600 more bytes from offset 400")]
    [InlineData(TusProtocol.OffsetOctetStream, "400", "2000", 600L, 400, "Upload 3f2a0000-0000-0000-0000-000000000001 was created with Upload-Length 1000; a length cannot change")]
    public void A_patch_is_refused_for_its_content_type_its_offset_its_size_or_a_changed_length(string? contentType, string? offset, string? length, long contentLength, int status, string sentence)
    {
        var (plan, refusal) = UploadRules.Patch(Id, 400, 1000, new UploadPatchHeaders(contentType, offset, length, contentLength, null), Limit);

        Assert.Null(plan);
        Assert.Equal(status, refusal!.Status);
        Assert.StartsWith(sentence, refusal.Sentence, StringComparison.Ordinal);
    }

    [Fact]
    public void A_deferred_length_is_declared_once_within_the_limit_and_not_below_the_bytes_received()
    {
        var (declared, _) = UploadRules.Patch(Id, 400, null, Patch("400", length: "900"), Limit);
        Assert.Equal((900L, 500L), (declared!.Length, declared.MaxBodyBytes));

        var (undeclared, _) = UploadRules.Patch(Id, 400, null, Patch("400"), Limit);
        Assert.Equal(((long?)null, Limit - 400), (undeclared!.Length, undeclared.MaxBodyBytes));

        Assert.Equal(400, UploadRules.Patch(Id, 400, null, Patch("400", length: "399"), Limit).Refusal!.Status);
        Assert.Equal(413, UploadRules.Patch(Id, 400, null, Patch("400", length: "1000001"), Limit).Refusal!.Status);
        Assert.Equal(413, UploadRules.Patch(Id, 400, null, Patch("400", contentLength: Limit), Limit).Refusal!.Status);
    }

    [Theory]
    [InlineData("0", true, 0L)]
    [InlineData("4294967296", true, 4294967296L)]
    [InlineData("", false, 0L)]
    [InlineData(" 1", false, 0L)]
    [InlineData("١٢", false, 0L)]
    [InlineData("9223372036854775808", false, 0L)]
    public void A_byte_count_is_decimal_digits_only(string value, bool valid, long expected)
    {
        Assert.Equal(valid, TusProtocol.TryParseByteCount(value, out var count));
        Assert.Equal(expected, count);
    }

    [Fact]
    public void Upload_expires_is_an_rfc_9110_date() =>
        Assert.Equal("Sun, 06 Nov 1994 08:49:37 GMT", TusProtocol.HttpDate(new DateTimeOffset(1994, 11, 6, 9, 49, 37, TimeSpan.FromHours(1))));

    private static UploadPatchHeaders Patch(string offset, string? length = null, long? contentLength = null, string? checksum = null) =>
        new(TusProtocol.OffsetOctetStream, offset, length, contentLength, checksum);

    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
}

/// <summary>The uploads' settings as the start-up check sees them: defaults as documented, a wrong one named with its setting.</summary>
[Trait("Lane", "Fast")]
public sealed class UploadOptionsTests
{
    [Fact]
    public void The_defaults_keep_an_incomplete_upload_24_hours_after_its_last_bytes_and_a_completed_one_7_days()
    {
        var options = Options([]);
        var now = DateTimeOffset.UnixEpoch;

        Assert.Equal(now.AddHours(24), options.ExpiryAfter(now, completed: false));
        Assert.Equal(now.AddDays(7), options.ExpiryAfter(now, completed: true));
        Assert.Equal((TimeSpan.FromMinutes(10), 200), (options.SweepInterval, options.BatchSize));
    }

    [Theory]
    [InlineData("Uploads:IncompleteExpiry", "00:00:00", "Uploads:IncompleteExpiry must be between 00:00:01 and 30.00:00:00")]
    [InlineData("Uploads:CompletedRetention", "3651.00:00:00", "Uploads:CompletedRetention must be between 00:00:01 and 3650.00:00:00")]
    [InlineData("Uploads:SweepInterval", "2.00:00:00", "Uploads:SweepInterval must be between")]
    [InlineData("Uploads:BatchSize", "0", "Uploads:BatchSize must be between 1 and 10000")]
    [InlineData("Uploads:Expiry", "1.00:00:00", "Uploads:Expiry (environment variable Uploads__Expiry) is not a setting")]
    public void A_wrong_uploads_setting_stops_start_up_naming_the_setting(string key, string value, string expected)
    {
        var error = Assert.ThrowsAny<Exception>(() => Options(new() { [key] = value }));

        Assert.Contains(expected, StartupChecks.Reason(error), StringComparison.Ordinal);
    }

    /// <summary>The settings as Ingest's start-up checks validate them, from <paramref name="settings"/>.</summary>
    private static UploadOptions Options(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddResumableUploads();
        using var provider = services.BuildServiceProvider();
        StartupChecks.Run(provider);
        return provider.GetRequiredService<IOptions<UploadOptions>>().Value;
    }
}
