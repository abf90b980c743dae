using FacePipeline.Geometry.Tests.Support;
using Xunit.Abstractions;

namespace FacePipeline.Geometry.Tests;

public class OneEuroFilterTests(ITestOutputHelper output)
{
    private const double Fps = 30;

    [Fact]
    [Trait("Lane", "Fast")]
    public void A_step_of_a_tenth_of_the_face_reaches_90_percent_within_3_frames()
    {
        var filter = new OneEuroFilter();
        var outputs = new List<double>();
        for (var i = 0; i < 40; i++)
        {
            outputs.Add(filter.Filter(i < 20 ? 0 : 0.1, i / Fps));
        }

        var frames = outputs.Skip(20).TakeWhile(v => v < 0.09).Count() + 1;
        output.WriteLine($"step 0 → 0.1 face: 90% after {frames} frame(s); outputs {string.Join(", ", outputs.Skip(20).Take(4).Select(v => v.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)))}");
        Assert.True(frames <= 3, $"{frames} frames");
        Assert.All(outputs, v => Assert.InRange(v, 0, 0.1 + 1e-12)); // no overshoot
    }

    [Theory]
    [InlineData(30)]
    [InlineData(60)]
    [Trait("Lane", "Fast")]
    public void Jitter_on_a_still_face_shrinks_at_least_2_5x(double fps)
    {
        var random = new Random(1);
        var filter = new OneEuroFilter();
        const double sigma = 0.002; // 0.2% of the face size, e.g. 0.4 px on a 200 px face
        double sum = 0;
        var count = 0;
        for (var i = 0; i < 3000; i++)
        {
            var y = filter.Filter(5 + (sigma * Rand.Gaussian(random)), i / fps);
            if (i >= 100)
            {
                sum += (y - 5) * (y - 5);
                count++;
            }
        }

        var reduction = sigma / Math.Sqrt(sum / count);
        output.WriteLine($"{fps} fps: jitter RMS reduced {reduction:F2}x");
        // The defaults trade some still-face smoothing for mouth motion (beta 40: see docs/benchmarks.md).
        Assert.True(reduction >= 2.5, $"only {reduction:F2}x");
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void A_fast_sinusoid_is_tracked_with_small_lag()
    {
        // 2 Hz, ±10% of the face size (a quick nod) at 30 fps.
        var filter = new OneEuroFilter();
        var raw = new double[600];
        var filtered = new double[600];
        for (var i = 0; i < raw.Length; i++)
        {
            raw[i] = 0.1 * Math.Sin(2 * Math.PI * 2 * i / Fps);
            filtered[i] = filter.Filter(raw[i], i / Fps);
        }

        // Lag = the delay (ms) that best aligns the output with the input.
        var bestLag = 0;
        var bestError = double.MaxValue;
        for (var lagMs = 0; lagMs <= 200; lagMs++)
        {
            double error = 0;
            for (var i = 60; i < raw.Length; i++)
            {
                var delayed = 0.1 * Math.Sin(2 * Math.PI * 2 * ((i / Fps) - (lagMs / 1000.0)));
                error += (filtered[i] - delayed) * (filtered[i] - delayed);
            }

            if (error < bestError)
            {
                (bestError, bestLag) = (error, lagMs);
            }
        }

        var amplitude = filtered.Skip(300).Max() / 0.1;
        output.WriteLine($"2 Hz ±0.1: lag {bestLag} ms, amplitude kept {amplitude:P1}");
        Assert.True(bestLag <= 1000 / Fps, $"lag {bestLag} ms");
        Assert.True(amplitude > 0.85, $"amplitude {amplitude:P1}");
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void The_filter_is_frame_rate_aware()
    {
        // The same motion sampled at 30 and 60 fps gives (nearly) the same curve at shared times.
        var at30 = new OneEuroFilter();
        var at60 = new OneEuroFilter();
        static double Signal(double t) => t < 0.5 ? 0 : 0.05 * Math.Min(1, (t - 0.5) * 4);
        double worst = 0;
        for (var i = 0; i < 60; i++)
        {
            var y30 = at30.Filter(Signal(i / 30.0), i / 30.0);
            at60.Filter(Signal(((2 * i) - 1) / 60.0), Math.Max(0, ((2 * i) - 1) / 60.0));
            var y60 = at60.Filter(Signal(2 * i / 60.0), 2 * i / 60.0);
            worst = Math.Max(worst, Math.Abs(y30 - y60));
        }

        Assert.True(worst < 0.006, $"30 vs 60 fps differ by {worst} (12% of the motion)");
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void Repeated_timestamps_and_resets_behave()
    {
        var filter = new OneEuroFilter();
        Assert.Equal(3, filter.Filter(3, 0));
        var y = filter.Filter(4, 0.1);
        Assert.Equal(y, filter.Filter(100, 0.1));
        Assert.Throws<ArgumentException>(() => filter.Filter(1, 0.05));
        filter.Reset();
        Assert.Equal(7, filter.Filter(7, 0.0));
        Assert.Throws<ArgumentException>(() => new OneEuroFilter(new OneEuroOptions(MinCutoff: 0)));
    }

    [Fact]
    public void The_landmark_filter_smooths_jittered_landmarks_and_pose_and_follows_motion()
    {
        var mesh = TestMesh.Canonical;
        var estimator = new MetricLandmarks(mesh);
        var filter = new LandmarkFilter();
        var random = new Random(9);
        var angles = new EulerAngles(10, -5, 2);
        var translation = new Vec3(2, -1, -50);
        var clean = SyntheticFace.Render(mesh.Vertices, angles, translation, 1280, 720);
        var faceSize = LandmarkFilter.FaceSize(clean);
        double rawSum = 0, filteredSum = 0, rawAngle = 0, filteredAngle = 0;
        var counted = 0;
        for (var f = 0; f < 300; f++)
        {
            var noisy = clean.Select(p => p + Rand.GaussianVec(random, 0.002 * faceSize)).ToArray();
            var smoothed = filter.Filter(noisy, f / Fps);
            var pose = estimator.EstimatePose(noisy, 1280, 720);
            var smoothedPose = filter.Filter(pose, f / Fps);
            if (f >= 30)
            {
                for (var i = 0; i < clean.Length; i++)
                {
                    rawSum += (noisy[i] - clean[i]).LengthSquared;
                    filteredSum += (smoothed[i] - clean[i]).LengthSquared;
                }

                rawAngle += Math.Pow(pose.Rotation.AngleTo(angles.ToMatrix()), 2);
                filteredAngle += Math.Pow(smoothedPose.Rotation.AngleTo(angles.ToMatrix()), 2);
                counted++;
            }
        }

        var landmarkReduction = Math.Sqrt(rawSum / filteredSum);
        var poseReduction = Math.Sqrt(rawAngle / filteredAngle);
        output.WriteLine($"face {faceSize:F0} px, jitter 0.2%: landmark RMS reduced {landmarkReduction:F2}x, pose angle RMS reduced {poseReduction:F2}x (raw {Math.Sqrt(rawAngle / counted) * 180 / Math.PI:F3}°)");
        Assert.True(landmarkReduction >= 2.5, $"landmarks {landmarkReduction:F2}x");
        Assert.True(poseReduction >= 3, $"pose {poseReduction:F2}x");

        // A sudden head turn of 15° is followed: within 3 frames the filtered pose is within 1.5°.
        var turned = new EulerAngles(25, -5, 2);
        var turnedScreen = SyntheticFace.Render(mesh.Vertices, turned, translation, 1280, 720);
        FacePose last = default;
        Vec3[] lastLandmarks = [];
        for (var f = 300; f < 303; f++)
        {
            last = filter.Filter(estimator.EstimatePose(turnedScreen, 1280, 720), f / Fps);
            lastLandmarks = filter.Filter(turnedScreen, f / Fps);
        }

        var remaining = last.Rotation.AngleTo(turned.ToMatrix()) * 180 / Math.PI;
        output.WriteLine($"15° turn: {remaining:F2}° left after 3 frames");
        Assert.True(remaining < 1.5, $"{remaining}° left");
        Assert.True(lastLandmarks.Zip(turnedScreen).Max(p => (p.First - p.Second).Length) < 0.1 * LandmarkFilter.FaceSize(turnedScreen));
        Assert.Throws<ArgumentException>(() => filter.Filter(clean.AsSpan(0, 10), 11));
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void A_filter_given_another_filters_state_goes_on_exactly_as_that_filter_would()
    {
        var rng = new Random(7);
        var samples = Enumerable.Range(0, 60).Select(i => (Value: Math.Sin(i * 0.3) + (rng.NextDouble() * 0.05), Time: i / Fps)).ToArray();
        var whole = new OneEuroFilter();
        var expected = samples.Select(s => whole.Filter(s.Value, s.Time, 0.8)).ToArray();

        var first = new OneEuroFilter();
        var got = samples[..25].Select(s => first.Filter(s.Value, s.Time, 0.8)).ToList();
        var second = new OneEuroFilter { State = first.State };
        got.AddRange(samples[25..].Select(s => second.Filter(s.Value, s.Time, 0.8)));
        Assert.Equal(expected, got); // bit for bit

        var fresh = new OneEuroFilter();
        Assert.NotEqual(expected[25], fresh.Filter(samples[25].Value, samples[25].Time, 0.8)); // the state is what carries it
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void A_landmark_filter_given_another_ones_landmark_state_goes_on_exactly_and_refuses_a_state_not_three_per_point()
    {
        var frames = Enumerable.Range(0, 20).Select(i => new[] { new Vec3(10 + i, 20, 1), new Vec3(30, 40 - (0.5 * i), 2) }).ToArray();
        var whole = new LandmarkFilter();
        var expected = frames.Select((f, i) => whole.Filter(f, i / Fps)).ToArray();

        var first = new LandmarkFilter();
        var got = frames[..8].Select((f, i) => first.Filter(f, i / Fps)).ToList();
        var second = new LandmarkFilter { LandmarkState = first.LandmarkState };
        got.AddRange(frames[8..].Select((f, i) => second.Filter(f, (i + 8) / Fps)));
        Assert.Equal(expected.SelectMany(f => f), got.SelectMany(f => f));
        Assert.Empty(new LandmarkFilter().LandmarkState);
        Assert.Throws<ArgumentException>(() => new LandmarkFilter { LandmarkState = new OneEuroState[4] });
    }
}
