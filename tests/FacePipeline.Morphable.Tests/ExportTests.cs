using System.Globalization;
using System.Text.Json;
using FacePipeline.TestSupport;

namespace FacePipeline.Morphable.Tests;

[Collection(IctModelCollection.Name)]
public sealed class ExportTests(BlendshapeFixture fixture)
{
    /// <summary>The header Live Link Face writes (as recorded by the app; note JawRight before JawLeft and MouthRight before MouthLeft).</summary>
    private const string LiveLinkHeader =
        "Timecode,BlendShapeCount,EyeBlinkLeft,EyeLookDownLeft,EyeLookInLeft,EyeLookOutLeft,EyeLookUpLeft,EyeSquintLeft,EyeWideLeft," +
        "EyeBlinkRight,EyeLookDownRight,EyeLookInRight,EyeLookOutRight,EyeLookUpRight,EyeSquintRight,EyeWideRight," +
        "JawForward,JawRight,JawLeft,JawOpen,MouthClose,MouthFunnel,MouthPucker,MouthRight,MouthLeft,MouthSmileLeft,MouthSmileRight," +
        "MouthFrownLeft,MouthFrownRight,MouthDimpleLeft,MouthDimpleRight,MouthStretchLeft,MouthStretchRight,MouthRollLower,MouthRollUpper," +
        "MouthShrugLower,MouthShrugUpper,MouthPressLeft,MouthPressRight,MouthLowerDownLeft,MouthLowerDownRight,MouthUpperUpLeft,MouthUpperUpRight," +
        "BrowDownLeft,BrowDownRight,BrowInnerUp,BrowOuterUpLeft,BrowOuterUpRight,CheekPuff,CheekSquintLeft,CheekSquintRight," +
        "NoseSneerLeft,NoseSneerRight,TongueOut,HeadYaw,HeadPitch,HeadRoll,LeftEyeYaw,LeftEyePitch,LeftEyeRoll,RightEyeYaw,RightEyePitch,RightEyeRoll";

    [Fact]
    [Trait("Lane", "Fast")]
    public void Csv_header_is_live_link_faces()
    {
        Assert.Equal(LiveLinkHeader, LiveLinkFaceCsv.Header);
        Assert.Equal(63, LiveLinkFaceCsv.Header.Split(',').Length);
        Assert.Equal(2 + LiveLinkFaceCsv.BlendShapeCount, LiveLinkFaceCsv.Header.Split(',').Length);
    }

    [Theory]
    // 29.97 (30000/1001): non-drop-frame, 30 labels per timecode second.
    [InlineData(30000, 1001, 0, "00:00:00:00.000")]
    [InlineData(30000, 1001, 29, "00:00:00:29.000")]
    [InlineData(30000, 1001, 30, "00:00:01:00.000")]
    [InlineData(30000, 1001, 1799, "00:00:59:29.000")]
    [InlineData(30000, 1001, 1800, "00:01:00:00.000")]
    [InlineData(30000, 1001, 17982, "00:09:59:12.000")] // ten minutes of 29.97 footage: drop-frame would read 00:10:00;00
    [InlineData(30000, 1001, 107892, "00:59:56:12.000")] // one hour of 29.97 footage
    // 25 fps.
    [InlineData(25, 1, 24, "00:00:00:24.000")]
    [InlineData(25, 1, 25, "00:00:01:00.000")]
    [InlineData(25, 1, 90000, "01:00:00:00.000")]
    [InlineData(25, 1, 90061, "01:00:02:11.000")]
    [Trait("Lane", "Fast")]
    public void Timecode_counts_frames_at_the_rounded_rate(long numerator, long denominator, long frame, string expected)
    {
        Assert.Equal(expected, LiveLinkFaceCsv.Timecode(frame, new RationalFrameRate(numerator, denominator)));
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void Timecode_writes_the_sub_frame_in_thousandths()
    {
        Assert.Equal("00:00:02:05.500", LiveLinkFaceCsv.Timecode(65, new RationalFrameRate(30), 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => LiveLinkFaceCsv.Timecode(0, new RationalFrameRate(30), 1));
    }

    [Theory]
    [InlineData(25, 1, "10:00:00:00", 0, "10:00:00:00.000")]
    [InlineData(25, 1, "10:00:00:00", 90061, "11:00:02:11.000")]
    [InlineData(25, 1, "23:59:59:24", 1, "00:00:00:00.000")] // wraps at midnight
    [InlineData(24000, 1001, "00:59:59:23", 1, "01:00:00:00.000")]
    [InlineData(30000, 1001, "01:00:00:00", 1800, "01:01:00:00.000")] // a non-drop 29.97 start counts every label
    [InlineData(30000, 1001, "01:00:00;00", 0, "01:00:00:00.000")] // drop-frame, written with colons
    [InlineData(30000, 1001, "00:00:59;29", 1, "00:01:00:02.000")] // ;00 and ;01 of minute 1 do not exist
    [InlineData(30000, 1001, "00:00:00;00", 17982, "00:10:00:00.000")] // ten minutes of 29.97 DF
    [InlineData(60000, 1001, "00:00:59;59", 1, "00:01:00:04.000")]
    [Trait("Lane", "Fast")]
    public void Timecode_counts_on_from_the_clips_start_timecode(long numerator, long denominator, string start, long frame, string expected)
    {
        var rate = new RationalFrameRate(numerator, denominator);

        Assert.Equal(expected, LiveLinkFaceCsv.Timecode(frame, rate, Media.Timecode.Parse(start, new Media.Rational(numerator, denominator))));
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void A_start_at_another_rate_is_counted_at_the_curves_rate()
    {
        // The performer at 25 fps starts at 01:00:00:00 (3600 s); a 50 fps result's first frame is the same moment.
        var start = Media.Timecode.Parse("01:00:00:00", new Media.Rational(25, 1));

        Assert.Equal("01:00:00:00.000", LiveLinkFaceCsv.Timecode(0, new RationalFrameRate(50), start));
        Assert.Equal("01:00:00:49.000", LiveLinkFaceCsv.Timecode(49, new RationalFrameRate(50), start));
        Assert.Equal("00:00:01:00.000", LiveLinkFaceCsv.Timecode(25, new RationalFrameRate(25), null)); // no start: from 00:00:00:00
    }

    [Fact]
    public void Csv_rows_and_json_frames_start_at_the_clips_start_timecode()
    {
        var animation = fixture.Obama.Animation; // 115 frames at 30000/1001
        var start = Media.Timecode.Parse("00:00:59;00", new Media.Rational(30000, 1001));
        var csv = new StringWriter();
        using var json = new MemoryStream();

        LiveLinkFaceCsv.Write(csv, animation, start);
        BlendshapeCurvesJson.Write(json, animation, "obama_wh_closeup.mp4", start: start);

        var rows = csv.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)[1..].Select(r => r.Split(',')[0]).ToList();
        Assert.Equal(115, rows.Count);
        Assert.Equal("00:00:59:00.000", rows[0]);
        Assert.Equal("00:00:59:29.000", rows[29]);
        Assert.Equal("00:01:00:02.000", rows[30]); // drop-frame: the labels ;00 and ;01 are skipped
        Assert.Equal("00:01:02:26.000", rows[114]);
        using var doc = JsonDocument.Parse(json.ToArray());
        Assert.Equal("00:00:59;00", doc.RootElement.GetProperty("startTimecode").GetString());
        var frames = doc.RootElement.GetProperty("frames");
        Assert.Equal("00:00:59;00", frames[0].GetProperty("timecode").GetString());
        Assert.Equal("00:01:00;02", frames[30].GetProperty("timecode").GetString());
        Assert.Equal("00:01:02;26", frames[114].GetProperty("timecode").GetString());
    }

    [Fact]
    public void Csv_rows_hold_each_named_shape()
    {
        var animation = fixture.Grid.Animation;
        var writer = new StringWriter();
        LiveLinkFaceCsv.Write(writer, animation);
        var lines = writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(LiveLinkHeader, lines[0]);
        Assert.Equal(animation.Frames.Count + 1, lines.Length);
        var header = lines[0].Split(',');
        for (var f = 0; f < animation.Frames.Count; f++)
        {
            var cells = lines[f + 1].Split(',');
            Assert.Equal(63, cells.Length);
            Assert.Equal(LiveLinkFaceCsv.Timecode(f, new RationalFrameRate(25)), cells[0]);
            Assert.Equal("61", cells[1]);
            var frame = animation.Frames[f];
            for (var c = 2; c < 54; c++)
            {
                var name = char.ToLowerInvariant(header[c][0]) + header[c][1..];
                var value = double.Parse(cells[c], CultureInfo.InvariantCulture);
                Assert.InRange(value, 0, 1);
                Near(frame.Weights[ArkitBlendshapes.IndexOf(name)], value, 1e-5);
            }

            Near(frame.Head.YawDegrees / 180, double.Parse(cells[54], CultureInfo.InvariantCulture), 1e-5);
            Near(frame.Head.PitchDegrees / 180, double.Parse(cells[55], CultureInfo.InvariantCulture), 1e-5);
            Near(frame.Head.RollDegrees / 180, double.Parse(cells[56], CultureInfo.InvariantCulture), 1e-5);
            Assert.All(cells[57..], v => Assert.Equal("0", v));
        }

        Assert.Equal("00:00:02:24.000", lines[^1].Split(',')[0]); // frame 74 at 25 fps
    }

    [Fact]
    public void Json_curves_follow_the_schema()
    {
        var animation = fixture.Obama.Animation;
        using var stream = new MemoryStream();
        BlendshapeCurvesJson.Write(stream, animation, "obama_wh_closeup.mp4");
        using var doc = JsonDocument.Parse(stream.ToArray());
        var root = doc.RootElement;
        Assert.Equal("facepipeline.blendshapes/v1", root.GetProperty("schema").GetString());
        Assert.Equal("obama_wh_closeup.mp4", root.GetProperty("source").GetString());
        Assert.Equal("30000/1001", root.GetProperty("frameRate").GetString());
        Assert.Equal(29.97003, root.GetProperty("framesPerSecond").GetDouble(), 5);
        Assert.Equal(ArkitBlendshapes.Names, root.GetProperty("names").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal(100, root.GetProperty("model").GetProperty("identityWeights").GetArrayLength());
        var frames = root.GetProperty("frames").EnumerateArray().ToList();
        Assert.Equal(115, root.GetProperty("frameCount").GetInt32());
        Assert.Equal(115, frames.Count);
        for (var f = 0; f < frames.Count; f++)
        {
            Assert.Equal(f, frames[f].GetProperty("index").GetInt32());
            Near(f * 1001 / 30000.0, frames[f].GetProperty("time").GetDouble(), 1e-6);
            Assert.Equal("fitted", frames[f].GetProperty("status").GetString());
            var weights = frames[f].GetProperty("weights").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            Assert.Equal(52, weights.Length);
            Assert.All(weights, w => Assert.InRange(w, 0, 1));
            Near(animation.Frames[f].Weights[ArkitBlendshapes.IndexOf("jawOpen")], weights[ArkitBlendshapes.IndexOf("jawOpen")], 1e-5);
            var head = frames[f].GetProperty("head");
            Near(animation.Frames[f].Head.YawDegrees, head.GetProperty("yaw").GetDouble(), 1e-4);
            Assert.Equal(3, head.GetProperty("translation").GetArrayLength());
        }
    }

    [Fact]
    public void Obj_sequence_is_the_fitted_mesh_on_the_release_topology()
    {
        var animation = fixture.Obama.Animation;
        var scratch = RepoPaths.NewScratchFolder("ict-obj");
        try
        {
            var paths = IctObjSequence.Write(scratch, fixture.Fitter, animation, 60, 2);
            Assert.Equal([Path.Combine(scratch, "frame_000060.obj"), Path.Combine(scratch, "frame_000061.obj")], paths);
            var mesh = ObjReader.Read(paths[1]);
            Assert.Equal(26_719, mesh.VertexCount);
            Assert.Equal(fixture.Model.Triangles, mesh.Triangles);
            var expected = fixture.Fitter.EvaluateMesh(animation.Actor, animation.Fit.Frames[61]);
            for (var k = 0; k < expected.Length; k++)
            {
                Near(expected[k], mesh.Positions[k], 1e-5);
            }

            // The frame has a blink: its mesh differs from the neutral identity's at the left upper lid.
            var neutral = fixture.Model.Evaluate(animation.Actor.IdentityWeights, []);
            Assert.True(expected.Zip(neutral, (a, b) => Math.Abs(a - b)).Max() > 0.1);
            Assert.Throws<ArgumentOutOfRangeException>(() => IctObjSequence.Write(scratch, fixture.Fitter, animation, 114, 2));
        }
        finally
        {
            Directory.Delete(scratch, recursive: true);
        }
    }

    private static void Near(double expected, double actual, double tolerance) =>
        Assert.True(Math.Abs(expected - actual) <= tolerance, $"expected {expected}, got {actual} (tolerance {tolerance})");

    [Theory]
    [InlineData("30000/1001", 30000, 1001, 30)]
    [InlineData("25/1", 25, 1, 25)]
    [InlineData("24000/1001", 24000, 1001, 24)]
    [InlineData("60000/1001", 60000, 1001, 60)]
    [InlineData("12", 12, 1, 12)]
    [InlineData("29.97", 29970, 1000, 30)]
    [Trait("Lane", "Fast")]
    public void Frame_rates_parse_and_round_to_a_timecode_base(string text, long numerator, long denominator, int timecodeBase)
    {
        var rate = RationalFrameRate.Parse(text);
        Assert.Equal(numerator, rate.Numerator);
        Assert.Equal(denominator, rate.Denominator);
        Assert.Equal(timecodeBase, rate.TimecodeBase);
        Assert.Throws<FormatException>(() => RationalFrameRate.Parse("0/1"));
    }
}
