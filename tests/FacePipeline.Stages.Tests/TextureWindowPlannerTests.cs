namespace FacePipeline.Stages.Tests;

[Trait("Lane", "Fast")]
public sealed class TextureWindowPlannerTests
{
    [Fact]
    public void A_window_takes_as_many_output_frames_as_keep_their_texture_frames_within_the_cache()
    {
        // Output frames 2k and 2k+1 both take their mouth from target frame 10k.
        var (end, textures) = TextureWindowPlanner.NextWindow(0, 100, i => [i / 2 * 10], capacity: 3);

        Assert.Equal(6, end);
        Assert.Equal([0, 10, 20], textures);
    }

    [Fact]
    public void The_texture_frames_come_in_ascending_order_whatever_order_the_output_frames_want_them()
    {
        int[][] wanted = [[400, 7], [90], [7, 300], [12]];

        var (end, textures) = TextureWindowPlanner.NextWindow(0, wanted.Length, i => wanted[i], capacity: 8);

        Assert.Equal(4, end);
        Assert.Equal([7, 12, 90, 300, 400], textures);
    }

    [Fact]
    public void Windows_cover_the_run_end_to_end_and_every_output_frame_finds_all_its_textures_in_its_own_window()
    {
        // Up to four texture frames per output frame (a resting frame and three donors), scattered over a 500-frame clip.
        var random = new Random(16);
        var wanted = Enumerable.Range(0, 600).Select(_ => Enumerable.Range(0, random.Next(0, 5)).Select(_ => random.Next(500)).Distinct().ToArray()).ToArray();
        var start = 0;
        var windows = 0;
        while (start < wanted.Length)
        {
            var (end, textures) = TextureWindowPlanner.NextWindow(start, wanted.Length, i => wanted[i], capacity: 20);
            Assert.InRange(end, start + 1, wanted.Length);
            Assert.InRange(textures.Count, 0, 20);
            Assert.Equal(textures.Order(), textures);
            Assert.All(Enumerable.Range(start, end - start), i => Assert.Subset(textures.ToHashSet(), wanted[i].ToHashSet()));
            if (end < wanted.Length)
            {
                Assert.True(textures.Union(wanted[end]).Count() > 20, $"window {windows} stopped at {end} although that frame's textures fitted");
            }

            start = end;
            windows++;
        }

        Assert.InRange(windows, 2, 600);
    }

    [Fact]
    public void Output_frames_that_read_no_texture_frame_join_the_window_for_free()
    {
        var (end, textures) = TextureWindowPlanner.NextWindow(5, 50, i => i == 5 ? [3] : i == 40 ? [9, 10] : [], capacity: 2);

        Assert.Equal(40, end);
        Assert.Equal([3], textures);
    }

    [Fact]
    public void An_output_frame_that_reads_more_texture_frames_than_the_cache_holds_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => TextureWindowPlanner.NextWindow(0, 3, _ => [1, 2, 3], capacity: 2));

        Assert.Contains("reads 3 texture frames, more than the 2", error.Message);
    }
}
