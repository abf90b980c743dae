using FacePipeline.Contracts;
using FacePipeline.Ingest.Api;
using FacePipeline.Orchestration;
using FacePipeline.Persistence;

namespace FacePipeline.Ingest.Tests;

/// <summary>
/// The submission's fields as <see cref="JobRequests"/> reads them, and the settings a measured clip must fit
/// (<see cref="JobSettings.Misfit"/>): pure, no server (fast lane).
/// </summary>
[Trait("Lane", "Fast")]
public sealed class JobRequestsTests
{
    [Theory]
    [InlineData("maxFaces", "1e9")]
    [InlineData("maxFaces", "abc")]
    [InlineData("maxFaces", "")]
    [InlineData("neutralFrame", "99999999999")]
    [InlineData("neutralFrame", "-1")]
    [InlineData("neutralFrame", "1.0")]
    [InlineData("facePoint", "Infinity,Infinity")]
    [InlineData("facePoint", "3e38,1")]
    [InlineData("facePoint", "65536,1")]
    public void A_track_field_that_does_not_parse_or_is_out_of_range_is_a_problem_never_the_default(string field, string value)
    {
        var (options, problem) = JobRequests.Track(Upload(["clip"], ("kind", "track"), (field, value)));

        Assert.Null(options);
        Assert.NotNull(problem);
        Assert.Contains(field, problem, StringComparison.Ordinal);
        Assert.Contains($"(got '{value}')", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Track_fields_within_range_are_taken_as_sent()
    {
        var (options, problem) = JobRequests.Track(Upload(["clip"], ("maxFaces", "8"), ("neutralFrame", "0"), ("facePoint", " 640.5 , 65535 ")));

        Assert.Null(problem);
        Assert.Equal(new TrackOptions(8, 0, new FramePoint(640.5f, 65535)), options);
    }

    [Theory]
    [InlineData("99999999999")]
    [InlineData("0")]
    [InlineData("10001")]
    [InlineData("64.0")]
    public void A_chunk_size_out_of_range_is_a_problem_never_the_default(string value)
    {
        var (_, problem) = JobRequests.ChunkSize(Upload(["clip"], ("chunkSize", value)), 64);

        Assert.Equal($"chunkSize must be a whole number of frames from 1 to 10000 (got '{value}').", problem);
    }

    [Fact]
    public void A_chunk_size_not_sent_is_the_services_default()
    {
        Assert.Equal((64, null), JobRequests.ChunkSize(Upload(["clip"]), 64));
        Assert.Equal((10_000, null), JobRequests.ChunkSize(Upload(["clip"], ("chunkSize", "10000")), 64));
    }

    [Theory]
    [InlineData("pose", "target,source")]
    [InlineData("pose", "1")]
    [InlineData("space", "Mesh, Blendshapes")]
    public void A_retarget_choice_must_be_one_of_its_names_exactly(string field, string value)
    {
        var (settings, problem) = JobRequests.Retarget(Upload([ClipNames.Source, ClipNames.Target], (field, value)));

        Assert.Null(settings);
        Assert.Contains($"{field} must be one of:", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void The_compositing_outputs_are_flags_with_the_matte_on_unless_turned_off()
    {
        var clips = new[] { ClipNames.Source, ClipNames.Target };

        Assert.Equal((true, false, false), Compositing(JobRequests.Retarget(Upload(clips)).Settings!));
        Assert.Equal((false, true, true), Compositing(JobRequests.Retarget(Upload(clips, ("matte", "false"), ("prores4444", "true"), ("dnxhr", "True"))).Settings!));
        var (settings, problem) = JobRequests.Retarget(Upload(clips, ("dnxhr", "yes")));
        Assert.Null(settings);
        Assert.Equal("dnxhr must be true or false (got 'yes').", problem);

        static (bool Matte, bool ProRes4444, bool Dnxhr) Compositing(RetargetSettings s) => (s.Matte, s.ProRes4444, s.Dnxhr);
    }

    [Fact]
    public void A_field_of_a_track_job_on_a_retarget_job_is_named_as_not_one_of_its_fields()
    {
        var (_, problem) = JobRequests.Retarget(Upload([ClipNames.Source, ClipNames.Target], ("maxFaces", "2"), ("facePoint", "1,1")));

        Assert.StartsWith("The fields 'facePoint', 'maxFaces' are not of a retarget job; its fields: kind, chunkSize, intensity", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_neutral_frame_is_checked_against_the_clips_frame_count_numbered_from_zero()
    {
        var job = TrackJob(neutralFrame: 120);

        Assert.Null(JobSettings.Misfit(job, Clip(ClipNames.Source, frames: 121)));
        Assert.Equal(
            "The neutral frame 120 is beyond the clip's 120 frames (numbered 0 to 119): name one of its frames in neutralFrame, or leave neutralFrame out to have the neutral estimated.",
            JobSettings.Misfit(job, Clip(ClipNames.Source, frames: 120)));
        Assert.Null(JobSettings.Misfit(job, new JobClip { Name = ClipNames.Source, InputFileName = "a.mp4", InputKey = "k" })); // not measured yet
    }

    [Fact]
    public void A_face_point_is_checked_against_the_clips_picture()
    {
        Assert.Null(JobSettings.Misfit(TrackJob(point: (640, 480)), Clip(ClipNames.Source, frames: 10)));
        Assert.StartsWith("The face point 641,10 is off the clip's 640x480 picture", JobSettings.Misfit(TrackJob(point: (641, 10)), Clip(ClipNames.Source, frames: 10)), StringComparison.Ordinal);
        Assert.StartsWith("The face point 10,481 is off", JobSettings.Misfit(TrackJob(point: (10, 481)), Clip(ClipNames.Source, frames: 10)), StringComparison.Ordinal);
    }

    [Fact]
    public void Each_retarget_neutral_frame_is_checked_against_its_own_clip()
    {
        var job = new Job
        {
            Kind = JobKinds.Retarget,
            InputFileName = "a.mp4",
            InputKey = "k",
            Settings = JobSettings.Serialize(RetargetSettings.Default with { SourceNeutralFrame = 10, TargetNeutralFrame = 50 }),
        };

        Assert.Null(JobSettings.Misfit(job, Clip(ClipNames.Source, frames: 11)));
        Assert.Null(JobSettings.Misfit(job, Clip(ClipNames.Target, frames: 51)));
        Assert.StartsWith("The source neutral frame 10 is beyond the 10 frames of the source clip", JobSettings.Misfit(job, Clip(ClipNames.Source, frames: 10)), StringComparison.Ordinal);
        Assert.StartsWith("The target neutral frame 50 is beyond the 50 frames of the target clip", JobSettings.Misfit(job, Clip(ClipNames.Target, frames: 50)), StringComparison.Ordinal);
    }

    private static ClipUploadResult Upload(string[] parts, params (string Name, string Value)[] fields) => new(
        fields.ToDictionary(f => f.Name, f => f.Value, StringComparer.OrdinalIgnoreCase),
        [.. parts.Select(p => new UploadedClip(p, $"{p}.mp4", $"jobs/x/input/{p}.mp4", 10))]);

    private static Job TrackJob(int? neutralFrame = null, (float X, float Y)? point = null) => new()
    {
        Kind = JobKinds.Track,
        InputFileName = "a.mp4",
        InputKey = "k",
        NeutralFrame = neutralFrame,
        FacePointX = point?.X,
        FacePointY = point?.Y,
    };

    private static JobClip Clip(string name, int frames) => new()
    {
        Name = name,
        InputFileName = $"{name}.mp4",
        InputKey = "k",
        Extracted = true,
        Width = 640,
        Height = 480,
        FrameCount = frames,
    };
}
