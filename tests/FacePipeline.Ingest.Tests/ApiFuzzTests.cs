using System.Net;
using System.Text;
using FacePipeline.Contracts;
using Microsoft.EntityFrameworkCore;

namespace FacePipeline.Ingest.Tests;

/// <summary>
/// The API under a fuzzer: a corpus of malformed multipart bodies, headers, query strings and field values written by
/// hand, then random mutations (fixed seed, so a failure is reproducible by its case name) of well-formed submissions.
/// Whatever arrives, the API answers a 2xx or a 4xx with a sentence, never a 5xx and never throws; a refused request
/// leaves no job, no job folder and no file in the media store.
/// </summary>
public sealed class ApiFuzzTests(IngestApiFixture api, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<IngestApiFixture>
{
    private const int Seed = 15; // the issue's number
    private const int Mutations = 300;
    private const int ValuesPerField = 8;
    private const string Boundary = "fuzz-boundary-15";

    private static readonly string[] Values =
    [
        "", " ", "0", "-0", "+3", "-1", "1", "2", "8", "9", "119", "1e9", "1E3", "abc", "NaN", "Infinity", "-Infinity", "99999999999",
        "2147483647", "2147483648", "-2147483648", "1.5", "0x10", "１２", "\u0000", "true", "TRUE", "maybe", "target", "source", "target,source",
        "pingpong", "loop", "hold", "mesh", "blendshapes", "resting", "first", "track", "retarget", "train-actor", "640,360",
        "Infinity,Infinity", "1e30,1", "5000,5000", ",", "1,", " 1 , 2 ", new string('9', 1024), new string('x', 1025), "😀", "<script>",
        "'; DROP TABLE jobs; --", "%00", "\r\n", "\r\n--" + Boundary + "\r\n", Guid.Empty.ToString(), Guid.NewGuid().ToString(),
    ];

    private static readonly string[] FieldNames =
    [
        "kind", "chunkSize", "maxFaces", "neutralFrame", "facePoint", "intensity", "mouthGain", "eyesGain", "browsGain", "pose", "timing",
        "prores", "neutral", "sourceNeutralFrame", "targetNeutralFrame", "space", "actor", "modelVersion", "name", "cropSize", "maxSteps",
        "maxMinutes", "batchSize", "KIND", "maxfaces", "colour", "clip", "source", "__proto__", new string('n', 500), "a\"b", "",
    ];

    private static readonly string[] ContentTypes =
    [
        $"multipart/form-data; boundary={Boundary}", "multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=\"\"",
        $"multipart/mixed; boundary={Boundary}", "text/plain", "application/json", "application/x-www-form-urlencoded", ";;;;", "",
        $"multipart/form-data; boundary={new string('b', 71)}", $"multipart/form-data; boundary={new string('b', 5000)}",
        $"multipart/form-data;boundary={Boundary};charset=utf-8", $"MULTIPART/FORM-DATA; BOUNDARY={Boundary}",
        $"multipart/form-data; boundary={Boundary}; boundary=other", $"multipart/form-data; boundary=\"{Boundary}\"", "multipart/form-data; boundary=other",
    ];

    private readonly List<string> _failures = [];
    private int _accepted;
    private int _sent;

    [Fact]
    public async Task Hundreds_of_malformed_requests_never_answer_5xx_and_never_leave_a_job_or_a_file_behind()
    {
        await using (var db = await api.Db())
        {
            Assert.Equal(0, await db.Jobs.CountAsync()); // this class's own database: every job in it comes from an answer below
        }

        foreach (var (name, request) in Corpus())
        {
            await Send(name, request);
        }

        var random = new Random(Seed);
        for (var i = 0; i < Mutations; i++)
        {
            var (name, request) = Mutated(random, i);
            await Send(name, request);
        }

        output.WriteLine($"{_sent} requests (seed {Seed}), {_accepted} accepted, {_failures.Count} broke a rule.");
        Assert.True(_failures.Count == 0, $"{_failures.Count} of {_sent} requests broke a rule:\n{string.Join("\n", _failures.Take(40))}");
        Assert.True(_sent >= 500, $"Only {_sent} requests were sent.");
        Assert.True(_accepted < _sent / 2, $"{_accepted} of {_sent} requests were accepted: the fuzzer hardly reaches the refusals.");
        await using (var db = await api.Db())
        {
            Assert.Equal(_accepted, await db.Jobs.CountAsync()); // a job for every 202, none for a refusal
        }

        Assert.Equal(_accepted, ApiChecks.JobFolders(api.MediaRoot).Length);
        Assert.DoesNotContain(ApiChecks.MediaFiles(api.MediaRoot), f => f.EndsWith(".tmp", StringComparison.Ordinal));
    }

    /// <summary>Sends one request and checks the rules; a broken rule is recorded with the case's name, and the run goes on.</summary>
    private async Task Send(string name, HttpRequestMessage request)
    {
        _sent++;
        var folders = ApiChecks.JobFolders(api.MediaRoot);
        using var client = api.Factory.CreateClient();
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request);
        }
        catch (Exception thrown)
        {
            _failures.Add($"{name}: threw {thrown.GetType().Name}: {thrown.Message}");
            return;
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            var after = ApiChecks.JobFolders(api.MediaRoot);
            if (status >= 500)
            {
                _failures.Add($"{name}: {status} {await response.Content.ReadAsStringAsync()}");
                return;
            }

            if (status is >= 400 and < 500)
            {
                try
                {
                    await ApiChecks.Sentence(response);
                }
                catch (Exception notASentence)
                {
                    _failures.Add($"{name}: {status} without a sentence: {notASentence.Message}");
                }

                if (!after.SequenceEqual(folders))
                {
                    _failures.Add($"{name}: refused with {status} but left the job folder(s) {string.Join(", ", after.Except(folders))}");
                }

                return;
            }

            if (response.StatusCode == HttpStatusCode.Accepted)
            {
                _accepted++;
                var added = after.Except(folders).ToList();
                if (added.Count != 1)
                {
                    _failures.Add($"{name}: accepted, with {added.Count} new job folders");
                }
            }
        }
    }

    // ---- the corpus: each known way to get a request wrong ----

    private IEnumerable<(string Name, HttpRequestMessage Request)> Corpus()
    {
        var track = Track().Bytes();

        // Headers.
        foreach (var (i, type) in ContentTypes.Index())
        {
            yield return ($"content-type {i}", Post("v1/jobs", track, type));
        }

        yield return ("no content", new HttpRequestMessage(HttpMethod.Post, "v1/jobs") { Headers = { { "X-Api-Key", Key } } });
        foreach (var (i, key) in new[] { null, "", "fp_wrong", new string('k', 10_000), "\u00e9\u00e9" }.Index())
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "v1/jobs") { Content = RawForm.Content(track, Boundary) };
            if (key is not null)
            {
                request.Headers.TryAddWithoutValidation("X-Api-Key", key);
            }

            yield return ($"api key {i}", request);
        }

        var twoKeys = Post("v1/jobs", track);
        twoKeys.Headers.TryAddWithoutValidation("X-Api-Key", "fp_second");
        yield return ("two api keys", twoKeys);

        // Bodies that are not a form, or a broken one.
        var clip = Encoding.UTF8.GetString(RawForm.Clip);
        var bodies = new (string Name, string Body)[]
        {
            ("empty body", ""),
            ("only the closing boundary", $"--{Boundary}--\r\n"),
            ("preamble only", "this is not a form at all"),
            ("never matches its boundary", $"--other\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\ntrack\r\n--other--\r\n"),
            ("never matches, 40 KiB", $"--other\r\nContent-Disposition: form-data; name=\"clip\"; filename=\"a.mp4\"\r\n\r\n{new string('x', 40_000)}\r\n--other--\r\n"),
            ("no closing boundary", $"--{Boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\ntrack\r\n--{Boundary}\r\nContent-Disposition: form-data; name=\"clip\"; filename=\"a.mp4\"\r\n\r\n{clip}"),
            ("ends in headers", $"--{Boundary}\r\nContent-Disposition: form-da"),
            ("ends after a boundary", $"--{Boundary}\r\n"),
            ("header without a colon", $"--{Boundary}\r\nthis is no header\r\n\r\ntrack\r\n--{Boundary}--\r\n"),
            ("header line of 20 000", $"--{Boundary}\r\nContent-Disposition: form-data; name=\"clip\"; filename=\"{new string('n', 20_000)}.mp4\"\r\n\r\n{clip}\r\n--{Boundary}--\r\n"),
            ("seventeen headers", $"--{Boundary}\r\n{string.Concat(Enumerable.Range(0, 17).Select(h => $"X-H{h}: v\r\n"))}Content-Disposition: form-data; name=\"kind\"\r\n\r\ntrack\r\n--{Boundary}--\r\n"),
            ("no content-disposition", $"--{Boundary}\r\nContent-Type: text/plain\r\n\r\ntrack\r\n--{Boundary}--\r\n"),
            ("attachment disposition", $"--{Boundary}\r\nContent-Disposition: attachment; name=\"clip\"; filename=\"a.mp4\"\r\n\r\n{clip}\r\n--{Boundary}--\r\n"),
            ("no name", $"--{Boundary}\r\nContent-Disposition: form-data; filename=\"a.mp4\"\r\n\r\n{clip}\r\n--{Boundary}--\r\n"),
            ("bad filename*", $"--{Boundary}\r\nContent-Disposition: form-data; name=\"clip\"; filename*=utf-8''%ZZ%\r\n\r\n{clip}\r\n--{Boundary}--\r\n"),
            ("filename* other charset", $"--{Boundary}\r\nContent-Disposition: form-data; name=\"clip\"; filename*=x-unknown'en'a%20b.mp4\r\n\r\n{clip}\r\n--{Boundary}--\r\n"),
            ("path in filename", $"--{Boundary}\r\nContent-Disposition: form-data; name=\"clip\"; filename=\"../../../etc/passwd\"\r\n\r\n{clip}\r\n--{Boundary}--\r\n"),
            ("LF line endings", $"--{Boundary}\nContent-Disposition: form-data; name=\"kind\"\n\ntrack\n--{Boundary}\nContent-Disposition: form-data; name=\"clip\"; filename=\"a.mp4\"\n\n{clip}\n--{Boundary}--\n"),
            ("text part named clip", $"--{Boundary}\r\nContent-Disposition: form-data; name=\"clip\"\r\n\r\n{clip}\r\n--{Boundary}--\r\n"),
            ("two clips", Encoding.UTF8.GetString(new RawForm(Boundary).Field("kind", "track").File("clip", "a.mp4", RawForm.Clip).File("clip", "b.mp4", RawForm.Clip).Bytes())),
            ("unknown file part", Encoding.UTF8.GetString(new RawForm(Boundary).Field("kind", "track").File("poster", "a.png", RawForm.Clip).Bytes())),
            ("forty fields", Encoding.UTF8.GetString(Enumerable.Range(0, 40).Aggregate(new RawForm(Boundary), (f, n) => f.Field($"f{n}", "1")).File("clip", "a.mp4", RawForm.Clip).Bytes())),
            ("field of 1025", Encoding.UTF8.GetString(new RawForm(Boundary).Field("kind", new string('t', 1025)).File("clip", "a.mp4", RawForm.Clip).Bytes())),
        };
        foreach (var (name, body) in bodies)
        {
            yield return (name, Post("v1/jobs", Encoding.UTF8.GetBytes(body)));
            yield return ($"{name} (actors)", Post("v1/actors", Encoding.UTF8.GetBytes(body.Replace("name=\"clip\"", "name=\"clip-1\"", StringComparison.Ordinal))));
        }

        // Every field, each with eight values of the corpus (drawn with the seed), on the kind it belongs to.
        var draw = new Random(Seed);
        foreach (var field in FieldNames.Where(f => f.Length is > 0 and < 40))
        {
            foreach (var value in Enumerable.Range(0, ValuesPerField).Select(_ => Values[draw.Next(Values.Length)]))
            {
                var endpoint = field is "name" or "cropSize" or "maxSteps" or "maxMinutes" or "batchSize" ? "v1/actors" : "v1/jobs";
                var form = endpoint == "v1/actors"
                    ? new RawForm(Boundary).Field("name", "Ada").Field(field == "name" ? "batchSize" : field, value).File("clip-1", "a.mp4", RawForm.Clip)
                    : JobRequestsHasRetarget(field) ? Retarget().Field(field, value) : Track().Field(field, value);
                yield return ($"{field}={Shown(value)}", Post(endpoint, form.Bytes()));
            }
        }

        // Listing.
        foreach (var (i, query) in new[]
        {
            "page=2147483647", "page=0", "page=-1", "page=abc", "page=", "pageSize=0", "pageSize=101", "pageSize=2147483647", "page=107374183&pageSize=20",
            "page=107374184&pageSize=20", "page=1&page=2", "foo=bar", "page=1e3", "page=%00", "pageSize=-2147483648", "page=99999999999",
        }.Index())
        {
            yield return ($"list {i}: {query}", Get($"v1/jobs?{query}"));
        }

        yield return ("unknown job", Get($"v1/jobs/{Guid.NewGuid()}"));
        yield return ("unknown output", Get($"v1/jobs/{Guid.NewGuid()}/outputs/{Uri.EscapeDataString("..%2F..%2Fsecret")}"));
        yield return ("cancel unknown", new HttpRequestMessage(HttpMethod.Post, $"v1/jobs/{Guid.NewGuid()}/cancel") { Headers = { { "X-Api-Key", Key } } });
        yield return ("unknown actor", Get($"v1/actors/{Guid.NewGuid()}"));
        yield return ("next version of an unknown actor", Post($"v1/actors/{Guid.NewGuid()}/models", Track().Bytes()));
    }

    private static bool JobRequestsHasRetarget(string field) =>
        field is "intensity" or "mouthGain" or "eyesGain" or "browsGain" or "pose" or "timing" or "prores" or "neutral" or "sourceNeutralFrame"
            or "targetNeutralFrame" or "space" or "actor" or "modelVersion";

    // ---- random mutations of well-formed submissions ----

    private (string Name, HttpRequestMessage Request) Mutated(Random random, int index)
    {
        var (endpoint, form) = random.Next(3) switch
        {
            0 => ("v1/jobs", Track()),
            1 => ("v1/jobs", Retarget()),
            _ => ("v1/actors", new RawForm(Boundary).Field("name", "Ada").Field("maxSteps", "10").File("clip-1", "take1.mp4", RawForm.Clip)),
        };

        // Field-level first (the form stays well formed), then byte-level, then the header.
        var steps = new List<string>();
        for (var n = random.Next(0, 3); n > 0; n--)
        {
            var field = FieldNames[random.Next(FieldNames.Length)];
            var value = Values[random.Next(Values.Length)];
            form.Field(field, value);
            steps.Add($"field {Shown(field)}={Shown(value)}");
        }

        var body = form.Bytes(close: random.Next(8) != 0).ToList();
        if (body.Count < form.Bytes().Length)
        {
            steps.Add("no closing boundary");
        }

        for (var n = random.Next(0, 4); n > 0 && body.Count > 0; n--)
        {
            var at = random.Next(body.Count);
            switch (random.Next(7))
            {
                case 0:
                    body.RemoveRange(at, body.Count - at);
                    steps.Add($"cut at {at}");
                    break;
                case 1:
                    var length = Math.Min(body.Count - at, random.Next(1, 64));
                    body.RemoveRange(at, length);
                    steps.Add($"delete {length} at {at}");
                    break;
                case 2:
                    var noise = Noise(random);
                    body.InsertRange(at, noise);
                    steps.Add($"insert {noise.Length} at {at}");
                    break;
                case 3:
                    var span = Math.Min(body.Count - at, random.Next(1, 200));
                    body.InsertRange(at, body.GetRange(at, span));
                    steps.Add($"repeat {span} at {at}");
                    break;
                case 4:
                    body[at] ^= (byte)(1 << random.Next(8));
                    steps.Add($"flip a bit at {at}");
                    break;
                case 5:
                    var text = Encoding.Latin1.GetString([.. body]).Replace("\r\n", "\n", StringComparison.Ordinal);
                    body = [.. Encoding.Latin1.GetBytes(text)];
                    steps.Add("LF line endings");
                    break;
                default:
                    var boundary = Encoding.ASCII.GetBytes($"\r\n--{Boundary}\r\n");
                    body.InsertRange(at, boundary);
                    steps.Add($"boundary at {at}");
                    break;
            }
        }

        var contentType = ContentTypes[0];
        if (random.Next(6) == 0)
        {
            contentType = ContentTypes[random.Next(ContentTypes.Length)];
            steps.Add($"content type {Shown(contentType)}");
        }

        return ($"mutation {index} of {endpoint}: {string.Join("; ", steps)}", Post(endpoint, [.. body], contentType));
    }

    private static byte[] Noise(Random random)
    {
        var alphabet = Encoding.ASCII.GetBytes($"\r\n-\"=;:{Boundary}abcxyz019 \t\0");
        var noise = new byte[random.Next(1, 40)];
        for (var i = 0; i < noise.Length; i++)
        {
            noise[i] = random.Next(4) == 0 ? (byte)random.Next(256) : alphabet[random.Next(alphabet.Length)];
        }

        return noise;
    }

    // ---- requests ----

    private string Key => api.StudioA.DefaultRequestHeaders.GetValues("X-Api-Key").Single();

    private static RawForm Track() => new RawForm(Boundary).Field("kind", "track").File("clip", "clip.mp4", RawForm.Clip);

    private static RawForm Retarget() =>
        new RawForm(Boundary).Field("kind", "retarget").File(ClipNames.Source, "performer.mp4", RawForm.Clip).File(ClipNames.Target, "actor.mp4", RawForm.Clip);

    private HttpRequestMessage Post(string url, byte[] body, string? contentType = null)
    {
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType ?? ContentTypes[0]);
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = content };
        request.Headers.Add("X-Api-Key", Key);
        return request;
    }

    private HttpRequestMessage Get(string url) => new(HttpMethod.Get, url) { Headers = { { "X-Api-Key", Key } } };

    private static string Shown(string value) =>
        value.Length > 24 ? $"{Escape(value[..24])}…({value.Length})" : Escape(value);

    private static string Escape(string value) => string.Concat(value.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
}
