using FacePipeline.Orchestration.Batches;

namespace FacePipeline.Orchestration.Tests;

/// <summary>Reading a batch manifest (CSV or JSON) into shots, and the sentences a malformed one is refused with.</summary>
public sealed class BatchManifestTests
{
    /// <summary>The single-job form's settings, as Ingest passes them.</summary>
    private static readonly string[] Settings = ["kind", "chunkSize", "maxFaces", "neutralFrame", "facePoint", "intensity", "pose", "actor", "modelVersion"];

    [Fact]
    [Trait("Lane", "Fast")]
    public void A_csv_manifest_gives_one_shot_per_row_with_default_names_quoted_cells_and_empty_cells_not_given()
    {
        const string csv = "shot,kind,clip,source,target,maxFaces,facePoint,intensity\r\n" +
            "sh010,track,sh010.mov,,,2,\"640,360\",\n" +
            ",retarget,,perf.mov,\"actor \"\"A\"\".mov\",,,0.8\n" +
            "\n";

        var result = BatchManifest.Parse(csv, "night.csv", Settings);

        Assert.True(result.Ok, string.Join(" ", result.Problems));
        Assert.Equal(2, result.Shots.Count);
        var track = result.Shots[0];
        Assert.Equal((1, "sh010", "track"), (track.Row, track.Shot, track.Kind));
        Assert.Equal("sh010.mov", track.Inputs[ClipInputs.Clip]);
        Assert.Equal(new Dictionary<string, string> { ["maxFaces"] = "2", ["facePoint"] = "640,360" }, track.Settings);
        var retarget = result.Shots[1];
        Assert.Equal((2, "shot-002", "retarget"), (retarget.Row, retarget.Shot, retarget.Kind));
        Assert.Equal("actor \"A\".mov", retarget.Inputs[ClipInputs.Target]);
        Assert.Equal(new Dictionary<string, string> { ["intensity"] = "0.8" }, retarget.Settings);
    }

    [Theory]
    [Trait("Lane", "Fast")]
    [InlineData("{\"shots\":[{\"shot\":\"a1\",\"kind\":\"track\",\"clip\":\"upload:6f9619ff-8b86-d011-b42d-00cf4fc964ff\",\"maxFaces\":3},{\"kind\":\"retarget\",\"source\":\"p.mov\",\"actor\":\"6f9619ff-8b86-d011-b42d-00cf4fc964fe\",\"modelVersion\":2,\"neutralFrame\":null}]}")]
    [InlineData("[{\"shot\":\"a1\",\"kind\":\"TRACK\",\"clip\":\"upload:6f9619ff-8b86-d011-b42d-00cf4fc964ff\",\"maxFaces\":3},{\"kind\":\"retarget\",\"source\":\"p.mov\",\"actor\":\"6f9619ff-8b86-d011-b42d-00cf4fc964fe\",\"modelVersion\":2}]")]
    public void A_json_manifest_as_an_object_or_a_bare_array_gives_its_shots_with_numbers_as_written(string json)
    {
        var result = BatchManifest.Parse(json, null, Settings);

        Assert.True(result.Ok, string.Join(" ", result.Problems));
        Assert.Equal(["a1", "shot-002"], result.Shots.Select(s => s.Shot));
        Assert.Equal(["track", "retarget"], result.Shots.Select(s => s.Kind));
        Assert.Equal(Guid.Parse("6f9619ff-8b86-d011-b42d-00cf4fc964ff"), BatchManifest.UploadId(result.Shots[0].Inputs[ClipInputs.Clip]));
        Assert.Equal("3", result.Shots[0].Settings["maxFaces"]);
        Assert.Equal(new Dictionary<string, string> { ["actor"] = "6f9619ff-8b86-d011-b42d-00cf4fc964fe", ["modelVersion"] = "2" }, result.Shots[1].Settings);
        Assert.Null(BatchManifest.UploadId(result.Shots[1].Inputs[ClipInputs.Source]));
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void A_kind_that_is_not_one_is_refused_naming_its_row_and_shot()
    {
        const string csv = "shot,kind,clip\nsh010,track,a.mov\nsh020,track,b.mov\nsh030,trak,c.mov\n";

        var result = BatchManifest.Parse(csv, "m.csv", Settings);

        Assert.Empty(result.Shots);
        Assert.Equal("Row 3 (shot 'sh030'): kind 'trak' is not a job kind; use track or retarget.", Assert.Single(result.Problems));
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void Unknown_columns_duplicate_shot_names_and_missing_inputs_are_each_refused_with_their_row()
    {
        const string csv = "shot,kind,clip,source,colour\nsh010,track,a.mov,,red\nSH010,track,b.mov,,\nsh030,retarget,,p.mov,\nsh040,track,,p.mov,\n";

        var problems = BatchManifest.Parse(csv, "m.csv", Settings).Problems;

        Assert.Contains(problems, p => p.StartsWith("Row 1 (shot 'sh010'): 'colour' is not a column", StringComparison.Ordinal));
        Assert.Contains("Row 2 (shot 'SH010'): the shot name is used by row 1 too; give each shot its own name.", problems);
        Assert.Contains(problems, p => p.StartsWith("Row 3 (shot 'sh030'): target is empty", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Row 4 (shot 'sh040'): clip is empty", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Row 4 (shot 'sh040'): source is not an input of a track shot", StringComparison.Ordinal));
    }

    [Theory]
    [Trait("Lane", "Fast")]
    [InlineData("../etc")]
    [InlineData("a/b")]
    [InlineData(".hidden")]
    [InlineData("shot 1")]
    public void A_shot_name_that_cannot_be_a_folder_is_refused(string name)
    {
        var result = BatchManifest.Parse($"shot,kind,clip\n\"{name}\",track,a.mov\n", "m.csv", Settings);

        Assert.StartsWith("Row 1: shot '", Assert.Single(result.Problems), StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void More_rows_than_the_limit_are_refused_with_the_limit_and_its_setting()
    {
        var csv = "kind,clip\n" + string.Concat(Enumerable.Range(1, 6).Select(i => $"track,c{i}.mov\n"));

        var result = BatchManifest.Parse(csv, "m.csv", Settings, maxShots: 5);

        Assert.Equal("The manifest lists 6 shots; a batch holds at most 5 (Batches:MaxShots): split it into several batches.", Assert.Single(result.Problems));
    }

    [Theory]
    [Trait("Lane", "Fast")]
    [InlineData("kind,clip\ntrack,\"a.mov\n", "is never closed")]
    [InlineData("kind,clip\ntrack,a\"b.mov\n", "quote inside an unquoted cell")]
    [InlineData("kind,clip\ntrack,a.mov,extra\n", "Row 1: it has 3 cells and the header 2 columns")]
    [InlineData("kind,kind\ntrack,track\n", "more than once")]
    [InlineData("kind,clip\n", "lists no shot")]
    [InlineData("{\"shots\":[{\"kind\":\"track\",\"clip\":[\"a\"]}]}", "Row 1: 'clip' holds a array")]
    [InlineData("{\"shots\":[{\"kind\":\"track\",\"clip\":\"upload:nope\"}]}", "names no upload")]
    [InlineData("{\"shots\":[], \"name\":\"x\"}", "'name' is not a property of a manifest")]
    [InlineData("{\"shots\":[{\"kind\":", "not valid JSON")]
    public void A_malformed_manifest_is_refused_with_what_is_wrong(string manifest, string expected)
    {
        var result = BatchManifest.Parse(manifest, null, Settings);

        Assert.Empty(result.Shots);
        Assert.Contains(result.Problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void The_local_files_of_a_manifest_are_its_inputs_that_are_not_uploads_each_once()
    {
        const string csv = "kind,clip,source,target\ntrack,plates/a.mov,,\ntrack,plates/a.mov,,\nretarget,,upload:6f9619ff-8b86-d011-b42d-00cf4fc964ff,b.mov\n";

        var (files, problems) = BatchManifest.LocalFiles(csv, "m.csv");

        Assert.Empty(problems);
        Assert.Equal(["plates/a.mov", "b.mov"], files);
    }
}
