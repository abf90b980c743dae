using System.Globalization;
using System.Text.Json;
using FacePipeline.Face.Tests.Support;
using FacePipeline.TestSupport;
using Xunit.Abstractions;

namespace FacePipeline.Face.Tests;

/// <summary>
/// Tracking through every frame of a clip against MediaPipe's own face mesh in video mode
/// (../shared/goldens/mediapipe-tracking: reset once, then every frame in order).
/// </summary>
public sealed class FaceTrackerTests(FaceMeshFixture mesh, ITestOutputHelper output) : IClassFixture<FaceMeshFixture>
{
    [Theory]
    [InlineData("grid_lbbc2a", 360, 288)]
    [InlineData("obama_wh_closeup", 1280, 720)]
    public void Tracked_landmarks_match_MediaPipe_on_every_frame_with_one_detection(string clip, int width, int height)
    {
        var expected = ReadTrackingGolden(clip, width, height);
        var frames = RgbImage.DecodeFrames(RepoPaths.MediaFile(clip + ".mp4"), width, height);
        Assert.Equal(expected.Count, frames.Count);
        var tracker = new FaceTracker(mesh.Detector, mesh.Landmarker);

        var errors = new List<double>();
        var trackIds = new HashSet<int>();
        for (var i = 0; i < frames.Count; i++)
        {
            var face = Assert.Single(tracker.Process(frames[i].Pixels, width, height));
            trackIds.Add(face.TrackId);
            errors.Add(FaceMeshError.Relative(face.Landmarks.Points, expected[i]));
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{clip}: {frames.Count} frames, mean error {errors.Average() * 100:F4}% of the eye distance, worst frame {errors.Max() * 100:F4}%, detector runs {tracker.DetectorRuns}"));
        Assert.Equal(1, tracker.DetectorRuns); // held on every frame: the detector ran once, as in MediaPipe
        Assert.Single(trackIds);
        Assert.All(errors, e => Assert.True(e <= 0.01, $"frame error {e:P3}"));
        Assert.True(errors.Average() <= 0.005);
    }

    [Theory]
    [InlineData("grid_lbbc2a", 360, 288)]
    [InlineData("obama_wh_closeup", 1280, 720)]
    public void Frames_decoded_as_4_2_0_planes_are_tracked_exactly_as_ffmpegs_RGB24_of_them_and_as_MediaPipe_tracks_them(string clip, int width, int height)
    {
        var expected = ReadTrackingGolden(clip, width, height);
        var planes = RgbImage.DecodeYuv420Frames(RepoPaths.MediaFile(clip + ".mp4"), width, height);
        var rgb24 = RgbImage.DecodeFrames(RepoPaths.MediaFile(clip + ".mp4"), width, height);
        Assert.Equal(expected.Count, planes.Count);
        var frame = new Yuv420RgbFrame(width, height, YuvMatrix.Bt601); // the clips are untagged: ffmpeg converts them as BT.601
        var tracker = new FaceTracker(mesh.Detector, mesh.Landmarker);
        var reference = new FaceTracker(mesh.Detector, mesh.Landmarker);

        var errors = new List<double>();
        long converted = 0;
        for (var i = 0; i < planes.Count; i++)
        {
            planes[i].CopyTo(frame.Planes, 0);
            frame.NewFrame();
            var face = Assert.Single(tracker.Process(frame));
            converted += frame.ConvertedPixels;
            var same = Assert.Single(reference.Process(rgb24[i].Pixels, width, height));
            Assert.Equal(same.Landmarks.Points, face.Landmarks.Points);
            Assert.Equal(same.Landmarks.FaceScore, face.Landmarks.FaceScore);
            errors.Add(FaceMeshError.Relative(face.Landmarks.Points, expected[i]));
        }

        var share = (double)converted / ((long)width * height * planes.Count);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{clip} (4:2:0): mean error {errors.Average() * 100:F4}% of the eye distance, worst frame {errors.Max() * 100:F4}%, pixels converted {share:P1} of the frames'"));
        Assert.Equal(1, tracker.DetectorRuns);
        Assert.True(share < 0.75, $"with the face held, only its ROI is converted ({share:P1} of the pixels were)");
        Assert.All(errors, e => Assert.True(e <= 0.01, $"frame error {e:P3}"));
        Assert.True(errors.Average() <= 0.005);
    }

    [Fact]
    public void Redetecting_every_K_frames_keeps_the_same_track()
    {
        var frames = RgbImage.DecodeFrames(RepoPaths.MediaFile("grid_bbaf2n.mp4"), 360, 288);
        var tracker = new FaceTracker(mesh.Detector, mesh.Landmarker, new FaceTrackerOptions { RedetectInterval = 10 });

        var ids = frames.Select(f => Assert.Single(tracker.Process(f.Pixels, 360, 288)).TrackId).ToHashSet();

        Assert.Equal((frames.Count + 9) / 10, tracker.DetectorRuns);
        Assert.Single(ids);
    }

    [Fact]
    public void A_frame_without_a_face_loses_the_track_and_the_next_face_gets_a_new_id()
    {
        var face = MediaPipeGolden.Load("astronaut").DecodeImage();
        var blank = RgbImage.Solid(face.Width, face.Height, 40, 40, 40);
        var tracker = new FaceTracker(mesh.Detector, mesh.Landmarker);

        var first = Assert.Single(tracker.Process(face.Pixels, face.Width, face.Height)).TrackId;
        Assert.Empty(tracker.Process(blank.Pixels, blank.Width, blank.Height));
        var second = Assert.Single(tracker.Process(face.Pixels, face.Width, face.Height)).TrackId;

        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Two_faces_are_both_tracked_with_their_own_ids_and_one_can_be_chosen_by_a_point()
    {
        var (image, smallFaceCentre) = TwoFaces();

        var both = new FaceTracker(mesh.Detector, mesh.Landmarker, new FaceTrackerOptions { MaxFaces = 2 }).Process(image.Pixels, image.Width, image.Height);
        var largest = Assert.Single(new FaceTracker(mesh.Detector, mesh.Landmarker).Process(image.Pixels, image.Width, image.Height));
        var chosen = Assert.Single(new FaceTracker(mesh.Detector, mesh.Landmarker, new FaceTrackerOptions { Target = smallFaceCentre })
            .Process(image.Pixels, image.Width, image.Height));

        Assert.Equal(2, both.Count);
        Assert.NotEqual(both[0].TrackId, both[1].TrackId);
        Assert.True(largest.Landmarks.Points[1].X < 180, "the astronaut's face (left) is the larger one");
        Assert.True(chosen.Landmarks.Points[1].X > 180, "the point picks the smaller face on the right");
    }

    /// <summary>The astronaut's face (180x180 crop) beside a smaller GRID talker's face (140x140), as one 320x180 image.</summary>
    private static (RgbImage Image, PixelPoint SmallFaceCentre) TwoFaces()
    {
        var path = Path.Combine(RepoPaths.NewScratchFolder("two-faces"), "two.png");
        var info = new System.Diagnostics.ProcessStartInfo("ffmpeg", [
            "-v", "error", "-y", "-i", RepoPaths.MediaFile("astronaut.png"), "-i", Path.Combine(MediaPipeGolden.Folder, "grid_bbaf2n_t00500ms.png"),
            "-filter_complex", "[0]crop=180:180:135:38[a];[1]crop=180:180:100:110,scale=140:140,pad=140:180:0:20[b];[a][b]hstack", "-frames:v", "1", path]);
        using (var process = System.Diagnostics.Process.Start(info)!)
        {
            process.WaitForExit();
            Assert.Equal(0, process.ExitCode);
        }

        return (RgbImage.Decode(path, 320, 180), new PixelPoint(250, 90));
    }

    private static List<Landmark[]> ReadTrackingGolden(string clip, int width, int height)
    {
        var path = RepoPaths.RequireFile(Path.Combine(RepoPaths.Goldens, "mediapipe-tracking", clip + ".json"));
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        return [.. doc.RootElement.GetProperty("landmarks").EnumerateArray()
            .Select(frame => frame.EnumerateArray().Select(p => new Landmark(p[0].GetSingle() * width, p[1].GetSingle() * height, p[2].GetSingle() * width)).ToArray())];
    }
}
