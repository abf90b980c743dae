using FacePipeline.Retarget;
using static FacePipeline.Retarget.RetargetQc;

namespace FacePipeline.Retarget.Tests;

[Trait("Lane", "Fast")]
public sealed class RetargetQcTests
{
    private const int Frames = 100;

    [Fact]
    public void A_result_that_moves_as_the_performer_does_passes_with_no_findings_or_ranges()
    {
        var performer = Performer();
        var result = performer.Select(p => (double[]?)Shifted(p, 0.05)).ToArray(); // another face: other rest values, the same changes
        var report = Assess(performer, ConstantActor(), result, Pairing(), Driven());

        Assert.Equal("pass", report.Verdict);
        Assert.Empty(report.Findings);
        Assert.Empty(report.FidelityDrops);
        Assert.Empty(report.TrackingLost);
        Assert.Equal(Frames, report.MeasuredFrames);
        var mouth = report.Features.Single(f => f.Feature == "mouthOpening");
        Assert.True(mouth.Goal && mouth.Judged && mouth.MeetsGoals);
        Assert.Equal(1.0, mouth.PerformerR!.Value, 6);
        Assert.Equal(1.0, mouth.RangeRatio!.Value, 6);
        Assert.Null(mouth.Leakage); // the actor never moved: no leakage to measure
        Assert.False(report.Features.Single(f => f.Feature == "rightBrowHeight").Goal);
    }

    [Fact]
    public void A_result_at_half_strength_is_sent_to_review_with_a_sentence_saying_how_much_weaker()
    {
        var performer = Performer();
        var result = performer.Select(p => (double[]?)p!.Select(v => v / 2).ToArray()).ToArray();
        var report = Assess(performer, ConstantActor(), result, Pairing(), Driven());

        Assert.Equal("review", report.Verdict);
        var finding = Assert.Single(report.Findings, f => f.StartsWith("Mouth opening", StringComparison.Ordinal));
        Assert.Contains("0.50× as far as the performer's (weaker; goal 0.85–1.15)", finding, StringComparison.Ordinal);
        Assert.DoesNotContain("r 1.00", finding, StringComparison.Ordinal); // r is met: only the range is named
        Assert.Equal(0.5, report.Features.Single(f => f.Feature == "mouthOpening").RangeRatio!.Value, 6);
    }

    [Fact]
    public void The_actors_own_performance_showing_through_is_named_with_the_chance_floor()
    {
        var performer = Performer();
        var actor = Enumerable.Range(0, Frames).Select(k => Features(0.1 + (0.1 * Math.Sin(k / 2.3)))).ToArray();
        var result = Enumerable.Range(0, Frames).Select(k => Features((0.5 * performer[k]![0]) + (0.5 * actor[k]![0]))).ToArray();
        var report = Assess(performer, actor, result, Pairing(), Driven());

        var finding = Assert.Single(report.Findings, f => f.StartsWith("Mouth opening", StringComparison.Ordinal));
        Assert.Contains("goes with the actor's own performance", finding, StringComparison.Ordinal);
        Assert.Contains("by chance at r", finding, StringComparison.Ordinal);
        Assert.True(report.Features.Single(f => f.Feature == "mouthOpening").Leakage > FidelityGoals.MaxLeakage);
    }

    [Fact]
    public void Frames_where_the_result_stops_following_are_listed_as_a_range_naming_the_feature()
    {
        var performer = Performer();
        var result = performer.Select(p => (double[]?)Shifted(p, 0)).ToArray();
        for (var k = 40; k <= 49; k++)
        {
            result[k]![(int)ExpressionFeature.MouthOpening] = performer[k]![(int)ExpressionFeature.MouthOpening] + 0.2; // the mouth gapes
        }

        var report = Assess(performer, ConstantActor(), result, Pairing(), Driven());

        var drop = Assert.Single(report.FidelityDrops);
        Assert.Equal(new QcFrameRange(40, 49, "mouthOpening"), drop);
    }

    [Fact]
    public void Lost_faces_are_listed_by_whose_face_was_lost_and_a_result_lost_too_often_is_a_finding()
    {
        var performer = Performer();
        var result = performer.Select(p => (double[]?)Shifted(p, 0)).ToArray();
        for (var k = 10; k < 20; k++)
        {
            result[k] = null; // the result's face not found on ten driven frames
        }

        var states = Driven();
        for (var k = 60; k < 65; k++)
        {
            states[k] = FrameState.PerformerLost;
        }

        states[90] = FrameState.ActorUntracked;
        var report = Assess(performer, ConstantActor(), result, Pairing(), states);

        Assert.Equal(
            [new QcFrameRange(10, 19, "result-face-lost"), new QcFrameRange(60, 64, "performer-lost"), new QcFrameRange(90, 90, "actor-untracked")],
            report.TrackingLost);
        Assert.Equal(Frames - 10 - 5 - 1, report.MeasuredFrames);
        Assert.Equal("review", report.Verdict);
        Assert.Contains(report.Findings, f => f.Contains("not found on 10 of 94 driven frames", StringComparison.Ordinal));
    }

    [Fact]
    public void Too_few_frames_with_all_three_faces_is_unmeasured_not_a_pass()
    {
        var performer = Performer();
        var result = new double[]?[Frames];
        for (var k = 0; k < 5; k++)
        {
            result[k] = Shifted(performer[k]!, 0);
        }

        var report = Assess(performer, ConstantActor(), result, Pairing(), Driven());
        Assert.Equal("unmeasured", report.Verdict);
        Assert.StartsWith("Only 5 frames", report.Findings[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Runs_are_bridged_over_gaps_of_up_to_two_frames_and_short_runs_are_dropped()
    {
        bool[] flags = [true, false, false, true, false, false, false, true, true, true, false, true];
        Assert.Equal([new QcFrameRange(0, 3, "x"), new QcFrameRange(7, 11, "x")], Ranges(flags, 1, "x"));
        Assert.Equal([new QcFrameRange(7, 11, "x")], Ranges(flags, 5, "x"));
        Assert.Empty(Ranges([false, false], 1, "x"));
    }

    [Fact]
    public async Task Qc_json_round_trips_under_its_schema_with_undefined_figures_as_null()
    {
        var performer = Performer();
        var report = Assess(performer, ConstantActor(), performer.Select(p => Shifted(p!, 0)).ToArray(), Pairing(), Driven(), new QcIdentity(0.31, 0.35, true, 100));
        using var stream = new MemoryStream();
        await report.WriteAsync(stream, CancellationToken.None);
        var json = System.Text.Encoding.UTF8.GetString(stream.ToArray());
        Assert.Contains("\"schema\": \"facepipeline.qc/v1\"", json, StringComparison.Ordinal);
        Assert.Contains("\"leakage\": null", json, StringComparison.Ordinal);
        Assert.DoesNotContain("NaN", json, StringComparison.Ordinal);

        stream.Position = 0;
        var read = await RetargetQcReport.ReadAsync(stream, CancellationToken.None);
        Assert.Equal(report.Verdict, read.Verdict);
        Assert.Equal(report.Features, read.Features);
        Assert.Equal(report.Identity, read.Identity);

        using var other = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(json.Replace("facepipeline.qc/v1", "facepipeline.qc/v9", StringComparison.Ordinal)));
        await Assert.ThrowsAsync<InvalidDataException>(() => RetargetQcReport.ReadAsync(other, CancellationToken.None));
    }

    [Fact]
    public void An_identity_further_from_the_actor_than_the_actors_own_spread_is_a_finding()
    {
        var performer = Performer();
        var report = Assess(performer, ConstantActor(), performer.Select(p => Shifted(p!, 0)).ToArray(), Pairing(), Driven(), new QcIdentity(0.52, 0.35, false, 100));
        Assert.Equal("review", report.Verdict);
        Assert.Contains(report.Findings, f => f.Contains("identity distance 0.520 against the footage's spread 0.350", StringComparison.Ordinal));
    }

    [Fact]
    public void Identity_compares_the_results_distance_to_the_actors_mean_with_the_actors_own_spread()
    {
        // The actor's descriptors: the mean at the origin, frames 0.1 and 0.2 away (one axis each); the performer 1.0 away.
        float[] At(int axis, float value)
        {
            var d = new float[128];
            d[axis] = value;
            return d;
        }

        float[][] actor = [At(0, 0.2f), At(0, -0.2f), At(1, 0.1f), At(1, -0.1f)];
        float[][] performer = [At(2, 1.0f)];

        var near = QcIdentity.Of(actor, [At(3, 0.15f)], performer)!;
        Assert.Equal(0.15, near.ResultDistance, 4);
        Assert.Equal(0.2, near.ActorSpread, 4); // the largest of the actor's own distances (fewer than 20 frames)
        Assert.True(near.Kept);
        Assert.Equal(Math.Sqrt((0.15 * 0.15) + 1), near.PerformerDistance!.Value, 4);

        var drifted = QcIdentity.Of(actor, [At(2, 0.5f), At(2, 0.3f)], performer)!;
        Assert.Equal(0.4, drifted.ResultDistance, 4);
        Assert.False(drifted.Kept);
        Assert.Equal(2, drifted.Frames);

        Assert.Null(QcIdentity.Of([], [At(0, 0)], performer));
        Assert.Null(QcIdentity.Of(actor, [], performer));
        Assert.Null(QcIdentity.Of(actor, [At(3, 0.15f)], [])!.PerformerDistance);
    }

    /// <summary>A performer who talks (mouth), smiles, blinks twice and raises the brows, frame by frame.</summary>
    private static double[]?[] Performer() =>
        [.. Enumerable.Range(0, Frames).Select(k => Features(
            mouth: 0.1 + (0.1 * Math.Sin(k / 5.0)),
            width: 1.0 + (0.05 * Math.Cos(k / 7.0)),
            smile: 0.03 * Math.Sin(k / 11.0),
            eyes: k % 50 is >= 20 and < 24 ? 0.02 : 0.25 + (0.01 * Math.Sin(k / 3.0)),
            brows: 0.4 + (0.03 * Math.Sin(k / 9.0))))];

    private static double[]?[] ConstantActor() => [.. Enumerable.Range(0, Frames).Select(_ => Features(0.05))];

    private static double[] Features(double mouth, double width = 1, double smile = 0, double eyes = 0.25, double brows = 0.4) =>
        [mouth, width, smile, eyes, eyes, brows, brows, double.NaN, double.NaN]; // no irises: no gaze

    private static double[] Shifted(double[]? features, double by) => [.. features!.Select(v => v + by)];

    private static FidelityFrame[] Pairing() => [.. Enumerable.Range(0, Frames).Select(k => new FidelityFrame(k, k))];

    private static FrameState[] Driven() => [.. Enumerable.Repeat(FrameState.Driven, Frames)];
}
