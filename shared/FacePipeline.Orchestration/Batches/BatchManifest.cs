using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using FacePipeline.Persistence;

namespace FacePipeline.Orchestration.Batches;

/// <summary>Settings of batches (section <c>Batches</c>), checked at start-up.</summary>
public sealed class BatchOptions
{
    public const string Section = "Batches";

    /// <summary>Shots one manifest may list. Default 1000; 1 to 100000.</summary>
    [Range(1, 100_000, ErrorMessage = "Batches:MaxShots must be between {1} and {2}.")]
    public int MaxShots { get; set; } = BatchManifest.DefaultMaxShots;
}

/// <summary>
/// One shot of a manifest: its row (from 1, the shot's index in the batch), its name (its folder in outputs.zip), its job
/// kind, its inputs by role (<c>clip</c>; <c>source</c> and <c>target</c>) and its settings: the single-job form's fields
/// with their values as the studio wrote them (cells left empty are not given).
/// </summary>
public sealed record ManifestShot(int Row, string Shot, string Kind, IReadOnlyDictionary<string, string> Inputs, IReadOnlyDictionary<string, string> Settings)
{
    /// <summary>How a problem of this row starts: "Row 3 (shot 'sh030')".</summary>
    public string Where => BatchManifest.RowLabel(Row, Shot);
}

/// <summary>A manifest read: its shots, or every problem found (each naming its row and column); never both.</summary>
public sealed record ManifestResult(IReadOnlyList<ManifestShot> Shots, IReadOnlyList<string> Problems)
{
    public bool Ok => Problems.Count == 0;
}

/// <summary>
/// Reads a batch manifest (docs/batches.md, "Manifest"): CSV (a header row, then one row a shot, RFC 4180 quoting) or
/// JSON (<c>{"shots":[{…}]}</c> or a bare array of objects). Columns: <c>shot</c> (optional name, default
/// <c>shot-001</c>…; unique, a safe folder name), <c>kind</c> (track or retarget), the inputs (<c>clip</c>; <c>source</c>
/// and <c>target</c>, or <c>source</c> and the setting <c>actor</c>) and the settings, whose names are exactly the
/// single-job form's. An input is a file name (a file part of the same request) or <c>upload:&lt;id&gt;</c>. Pure: what
/// the rows mean beyond their shape (each setting's range, whether the files and uploads exist) is checked by the caller.
/// </summary>
public static partial class BatchManifest
{
    public const int DefaultMaxShots = 1000;

    /// <summary>The column naming a shot.</summary>
    public const string ShotColumn = "shot";

    /// <summary>The column with the job kind.</summary>
    public const string KindColumn = "kind";

    /// <summary>The prefix of an input that names a completed upload (<c>upload:&lt;id&gt;</c>, POST /v1/uploads).</summary>
    public const string UploadPrefix = "upload:";

    /// <summary>The input columns, by kind: a track shot's clip, a retarget shot's source and target (or actor).</summary>
    public static readonly IReadOnlyList<string> InputColumns = [ClipInputs.Clip, ClipInputs.Source, ClipInputs.Target];

    /// <summary>The kinds a batch can hold.</summary>
    public static readonly IReadOnlyList<string> Kinds = [JobKinds.Track, JobKinds.Retarget];

    /// <summary>Reads <paramref name="text"/> as JSON when it starts with '{' or '[' (or the file name ends with .json), else as CSV.</summary>
    /// <param name="text">The manifest.</param>
    /// <param name="fileName">The manifest's file name, if known (.csv or .json decide; else the content does).</param>
    /// <param name="settingColumns">The settings a shot may carry: the single-job form's field names.</param>
    /// <param name="maxShots">Rows at most.</param>
    public static ManifestResult Parse(string text, string? fileName, IReadOnlyCollection<string> settingColumns, int maxShots = DefaultMaxShots)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(settingColumns);
        var (rows, problems, json) = Rows(text, fileName);
        if (problems.Count > 0)
        {
            return new ManifestResult([], problems);
        }

        if (rows.Count == 0)
        {
            return new ManifestResult([], [json ? "The manifest lists no shot: give one object per shot in \"shots\"." : "The manifest lists no shot: give a header row, then one row per shot."]);
        }

        if (rows.Count > maxShots)
        {
            return new ManifestResult([], [$"The manifest lists {rows.Count} shots; a batch holds at most {maxShots} (Batches:MaxShots): split it into several batches."]);
        }

        return Shots(rows, settingColumns);
    }

    /// <summary>
    /// The local files a manifest names (its input cells that are not <c>upload:&lt;id&gt;</c>), as written, each once; or
    /// the problems of its shape. What a client uploads with the manifest; the service checks the rest.
    /// </summary>
    public static (IReadOnlyList<string> Files, IReadOnlyList<string> Problems) LocalFiles(string text, string? fileName)
    {
        ArgumentNullException.ThrowIfNull(text);
        var (rows, problems, _) = Rows(text, fileName);
        var files = rows
            .SelectMany(r => InputColumns.Select(c => r.Cells.GetValueOrDefault(c)))
            .Where(v => !string.IsNullOrEmpty(v) && !v.StartsWith(UploadPrefix, StringComparison.OrdinalIgnoreCase))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        return (files!, problems);
    }

    /// <summary>How a problem of a row starts: "Row 3 (shot 'sh030')", or "Row 3" when the shot has no usable name.</summary>
    public static string RowLabel(int row, string? shot) =>
        string.IsNullOrEmpty(shot) ? $"Row {row.ToString(CultureInfo.InvariantCulture)}" : $"Row {row.ToString(CultureInfo.InvariantCulture)} (shot '{shot}')";

    /// <summary>The upload an input names (<c>upload:&lt;id&gt;</c>), or null when it names a file part.</summary>
    public static Guid? UploadId(string input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return input.StartsWith(UploadPrefix, StringComparison.OrdinalIgnoreCase) && Guid.TryParse(input.AsSpan(UploadPrefix.Length), out var id) ? id : null;
    }

    /// <summary>The default name of the shot in row <paramref name="row"/>: shot-001, shot-002, …</summary>
    public static string DefaultShotName(int row) => $"shot-{row.ToString("D3", CultureInfo.InvariantCulture)}";

    /// <summary>Whether <paramref name="name"/> can name a folder anywhere: letters, digits, '.', '_', '-', at most 64, not starting with '.' or '-'.</summary>
    public static bool IsSafeShotName(string name) => ShotName().IsMatch(name);

    /// <summary>The rows' cells by column, read as JSON when the file name says .json or the text starts with '{' or '[', else as CSV.</summary>
    private static (List<(int Row, Dictionary<string, string> Cells)> Rows, List<string> Problems, bool Json) Rows(string text, string? fileName)
    {
        var extension = Path.GetExtension(fileName ?? string.Empty).ToLowerInvariant();
        var trimmed = text.TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        var json = extension == ".json" || (extension != ".csv" && trimmed.Length > 0 && trimmed[0] is '{' or '[');
        var (rows, problems) = json ? ReadJson(trimmed) : ReadCsv(text.TrimStart('\uFEFF'));
        return (rows, problems, json);
    }

    private static ManifestResult Shots(List<(int Row, Dictionary<string, string> Cells)> rows, IReadOnlyCollection<string> settingColumns)
    {
        var settings = settingColumns.Where(c => !c.Equals(KindColumn, StringComparison.OrdinalIgnoreCase)).ToList();
        var known = new[] { ShotColumn, KindColumn }.Concat(InputColumns).Concat(settings).ToList();
        var problems = new List<string>();
        var shots = new List<ManifestShot>();
        var names = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        foreach (var (row, cells) in rows)
        {
            var given = cells.Where(c => c.Value.Length > 0).ToDictionary(c => c.Key, c => c.Value, StringComparer.OrdinalIgnoreCase);
            var shot = given.GetValueOrDefault(ShotColumn) ?? DefaultShotName(row);
            var where = RowLabel(row, IsSafeShotName(shot) ? shot : null);
            if (!IsSafeShotName(shot))
            {
                problems.Add($"{where}: shot {Quote(shot)} cannot name a folder; use letters, digits, '.', '_' and '-' (at most 64, not starting with '.' or '-').");
            }
            else if (names.TryGetValue(shot, out var first))
            {
                problems.Add($"{where}: the shot name is used by row {first.ToString(CultureInfo.InvariantCulture)} too; give each shot its own name.");
            }
            else
            {
                names[shot] = row;
            }

            var unknown = given.Keys.Where(k => !known.Contains(k, StringComparer.OrdinalIgnoreCase)).Order(StringComparer.Ordinal).ToList();
            foreach (var column in unknown)
            {
                problems.Add($"{where}: {Quote(column)} is not a column of a manifest; the columns: {string.Join(", ", known)}.");
            }

            var kind = given.GetValueOrDefault(KindColumn)?.ToLowerInvariant();
            if (kind is null)
            {
                problems.Add($"{where}: kind is empty; use track or retarget.");
                continue;
            }

            if (!Kinds.Contains(kind))
            {
                problems.Add($"{where}: kind {Quote(given[KindColumn])} is not a job kind; use track or retarget.");
                continue;
            }

            var inputs = InputColumns.Where(given.ContainsKey).ToDictionary(c => c, c => given[c], StringComparer.Ordinal);
            problems.AddRange(InputProblems(where, kind, inputs, given.ContainsKey("actor")));
            var shotSettings = settings.Where(given.ContainsKey).ToDictionary(c => c, c => given[c], StringComparer.OrdinalIgnoreCase);
            shots.Add(new ManifestShot(row, shot, kind, inputs, shotSettings));
        }

        return problems.Count > 0 ? new ManifestResult([], problems) : new ManifestResult(shots, []);
    }

    /// <summary>A track shot takes a clip; a retarget shot a source and a target, or a source and an actor.</summary>
    private static IEnumerable<string> InputProblems(string where, string kind, Dictionary<string, string> inputs, bool ontoActor)
    {
        string[] needed = kind == JobKinds.Track ? [ClipInputs.Clip] : ontoActor ? [ClipInputs.Source] : [ClipInputs.Source, ClipInputs.Target];
        foreach (var missing in needed.Where(n => !inputs.ContainsKey(n)))
        {
            yield return kind == JobKinds.Track
                ? $"{where}: clip is empty; a track shot needs the file name of its clip (or upload:<id>)."
                : missing == ClipInputs.Source
                    ? $"{where}: source is empty; a retarget shot needs the performer's clip in source."
                    : $"{where}: target is empty; a retarget shot needs the actor's clip in target, or an actor id in actor.";
        }

        foreach (var extra in inputs.Keys.Where(k => !needed.Contains(k)))
        {
            yield return kind == JobKinds.Track
                ? $"{where}: {extra} is not an input of a track shot; put its clip in clip."
                : extra == ClipInputs.Target
                    ? $"{where}: give either target or actor, not both."
                    : $"{where}: {extra} is not an input of a retarget shot; use source and target (or actor).";
        }

        foreach (var (column, value) in inputs)
        {
            if (value.StartsWith(UploadPrefix, StringComparison.OrdinalIgnoreCase) && UploadId(value) is null)
            {
                yield return $"{where}: {column} {Quote(value)} names no upload; write upload:<id> with the id POST /v1/uploads answered.";
            }
        }
    }

    private static (List<(int Row, Dictionary<string, string> Cells)> Rows, List<string> Problems) ReadCsv(string text)
    {
        var rows = new List<(int, Dictionary<string, string>)>();
        var problems = new List<string>();
        var records = CsvRecords(text, problems);
        if (problems.Count > 0 || records.Count == 0)
        {
            return (rows, problems);
        }

        var header = records[0].Select(h => h.Trim()).ToList();
        if (header.Any(h => h.Length == 0))
        {
            problems.Add($"Column {(header.FindIndex(h => h.Length == 0) + 1).ToString(CultureInfo.InvariantCulture)} of the header row has no name: name every column (shot, kind, clip, …).");
        }

        foreach (var twice in header.Where(h => h.Length > 0).GroupBy(h => h, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1))
        {
            problems.Add($"The header names the column {Quote(twice.Key)} more than once: give each column once.");
        }

        if (problems.Count > 0)
        {
            return (rows, problems);
        }

        for (var i = 1; i < records.Count; i++)
        {
            var record = records[i];
            if (record.All(c => c.Trim().Length == 0))
            {
                continue; // a blank line (e.g. the file's last)
            }

            var row = rows.Count + 1;
            if (record.Count != header.Count)
            {
                problems.Add($"{RowLabel(row, null)}: it has {record.Count} cells and the header {header.Count} columns; give every row one cell per column (empty for not given).");
                continue;
            }

            rows.Add((row, header.Zip(record, (h, c) => (h, c.Trim())).ToDictionary(p => p.h, p => p.Item2, StringComparer.OrdinalIgnoreCase)));
        }

        return (rows, problems);
    }

    /// <summary>RFC 4180 records: fields split by commas, a field in double quotes may hold commas, line breaks and "" for a quote.</summary>
    private static List<List<string>> CsvRecords(string text, List<string> problems)
    {
        var records = new List<List<string>>();
        var record = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        var line = 1;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    line += c == '\n' ? 1 : 0;
                    field.Append(c);
                }

                continue;
            }

            switch (c)
            {
                case '"' when field.ToString().Trim().Length == 0:
                    field.Clear();
                    quoted = true;
                    break;
                case '"':
                    problems.Add($"Line {line.ToString(CultureInfo.InvariantCulture)} has a quote inside an unquoted cell; put the whole cell in double quotes and double the quote (\"\").");
                    return records;
                case ',':
                    record.Add(field.ToString());
                    field.Clear();
                    break;
                case '\r':
                    break;
                case '\n':
                    record.Add(field.ToString());
                    field.Clear();
                    records.Add(record);
                    record = [];
                    line++;
                    break;
                default:
                    field.Append(c);
                    break;
            }
        }

        if (quoted)
        {
            problems.Add($"A quoted cell opened by line {line.ToString(CultureInfo.InvariantCulture)} or before is never closed; close it with a double quote.");
            return records;
        }

        if (field.Length > 0 || record.Count > 0)
        {
            record.Add(field.ToString());
            records.Add(record);
        }

        return records;
    }

    private static (List<(int Row, Dictionary<string, string> Cells)> Rows, List<string> Problems) ReadJson(string text)
    {
        var rows = new List<(int, Dictionary<string, string>)>();
        var problems = new List<string>();
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException error)
        {
            problems.Add($"The manifest is not valid JSON (line {((error.LineNumber ?? 0) + 1).ToString(CultureInfo.InvariantCulture)}): {error.Message.Split(" LineNumber", 2)[0]} Send {{\"shots\":[{{…}}]}} or an array of shots.");
            return (rows, problems);
        }

        using (document)
        {
            var root = document.RootElement;
            JsonElement shots;
            if (root.ValueKind == JsonValueKind.Array)
            {
                shots = root;
            }
            else if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("shots", out shots) && shots.ValueKind == JsonValueKind.Array)
            {
                foreach (var other in root.EnumerateObject().Where(p => p.Name != "shots"))
                {
                    problems.Add($"{Quote(other.Name)} is not a property of a manifest; it holds only \"shots\".");
                }
            }
            else
            {
                problems.Add("The manifest's JSON is neither {\"shots\":[…]} nor an array of shots: put one object per shot in \"shots\".");
                return (rows, problems);
            }

            var row = 0;
            foreach (var shot in shots.EnumerateArray())
            {
                row++;
                if (shot.ValueKind != JsonValueKind.Object)
                {
                    problems.Add($"{RowLabel(row, null)}: a shot is an object of columns and values, e.g. {{\"shot\":\"sh010\",\"kind\":\"track\",\"clip\":\"sh010.mov\"}}.");
                    continue;
                }

                var cells = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                foreach (var property in shot.EnumerateObject())
                {
                    string? value = property.Value.ValueKind switch
                    {
                        JsonValueKind.String => property.Value.GetString()!.Trim(),
                        JsonValueKind.Number => property.Value.GetRawText(),
                        JsonValueKind.True => "true",
                        JsonValueKind.False => "false",
                        JsonValueKind.Null => string.Empty,
                        _ => null,
                    };
                    if (value is null)
                    {
                        problems.Add($"{RowLabel(row, null)}: {Quote(property.Name)} holds a {property.Value.ValueKind.ToString().ToLowerInvariant()}; a value is a string, a number, true or false.");
                    }
                    else if (!cells.TryAdd(property.Name, value))
                    {
                        problems.Add($"{RowLabel(row, null)}: {Quote(property.Name)} is given more than once; give each column once.");
                    }
                }

                rows.Add((row, cells));
            }
        }

        return (rows, problems);
    }

    private static string Quote(string value) => $"'{(value.Length > 40 ? value[..40] + "…" : value)}'";

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex ShotName();
}

/// <summary>The input columns of a manifest, named as the single-job form's file parts.</summary>
public static class ClipInputs
{
    /// <summary>A track shot's clip.</summary>
    public const string Clip = "clip";

    /// <summary>A retarget shot's performer.</summary>
    public const string Source = "source";

    /// <summary>A retarget shot's actor footage.</summary>
    public const string Target = "target";
}
