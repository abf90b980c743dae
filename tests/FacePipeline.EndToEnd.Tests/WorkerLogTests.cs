namespace FacePipeline.EndToEnd.Tests;

public sealed class WorkerLogTests
{
    private const string Log =
        "2026-12-05 01:05:33.007 info: FacePipeline.FrameExtraction.ExtractFramesConsumer[0] => SpanId:3e72, TraceId:fccecde1 => JobId:86c87d44-bbf3-4d15-ba82-878201e55cca MessageType:ExtractFrames CorrelationId:0aa5 Job 86c87d44-bbf3-4d15-ba82-878201e55cca: 115 frames in 8 chunks extracted in 1.0s\n"
        + "2026-12-05 01:05:34.400 info: FacePipeline.Reconstruction.ReconstructFacesConsumer[0] => SpanId:c251, TraceId:fccecde1 => JobId:86c87d44-bbf3-4d15-ba82-878201e55cca MessageType:ReconstructFaces CorrelationId:80d3 Job 86c87d44-bbf3-4d15-ba82-878201e55cca chunk 0: 16 frames, 16 with faces, 50.9 ms/frame (mediapipe-face-landmark-with-attention-478)\n"
        + "2026-12-05 01:05:34.900 warn: FacePipeline.Reconstruction.ReconstructFacesConsumer[0] => JobId:0a6108e8-daa1-4876-90b9-62131487cd91 Job 0a6108e8-daa1-4876-90b9-62131487cd91: the reconstruct stage failed the job (bad_input): 1.0 ms/frame\n"
        + "2026-12-05 01:05:35.575 info: FacePipeline.Reconstruction.ReconstructFacesConsumer[0] => SpanId:15be, TraceId:fccecde1 => JobId:a6108e82-daa1-4876-90b9-62131487cd91 MessageType:ReconstructFaces CorrelationId:4bf5 Job a6108e82-daa1-4876-90b9-62131487cd91 chunk 1: 16 frames, 16 with faces, 61.5 ms/frame (mediapipe-face-landmark-with-attention-478)\r\n"
        + "2026-12-05 01:05:36.000 info: FacePipeline.Reconstruction.BuildFaceSequenceConsumer[0] => Job a6108e82-daa1-4876-90b9-62131487cd91: sequence built, 2.0 ms/frame\n";

    [Fact]
    [Trait("Lane", "Fast")]
    public void A_workers_done_lines_are_read_in_order_with_their_local_time_and_job()
    {
        var done = WorkerLog.Done(Log, "ReconstructFacesConsumer", "ms/frame");

        Assert.Equal(
            [Guid.Parse("86c87d44-bbf3-4d15-ba82-878201e55cca"), Guid.Parse("a6108e82-daa1-4876-90b9-62131487cd91")],
            done.Select(d => d.JobId));
        Assert.Equal(new DateTimeOffset(new DateTime(2026, 12, 5, 1, 5, 34, 400, DateTimeKind.Local)), done[0].At);
        Assert.Equal(TimeSpan.FromMilliseconds(1175), done[1].At - done[0].At);
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void A_chunks_start_is_its_done_lines_time_less_its_frames_times_its_milliseconds_a_frame()
    {
        var chunks = WorkerLog.Chunks(Log);

        Assert.Equal(2, chunks.Count);
        Assert.Equal(new DateTimeOffset(new DateTime(2026, 12, 5, 1, 5, 34, 400, DateTimeKind.Local)), chunks[0].End);
        Assert.Equal(TimeSpan.FromMilliseconds(16 * 50.9), chunks[0].End - chunks[0].Start);
        Assert.Equal(TimeSpan.FromMilliseconds(16 * 61.5), chunks[1].End - chunks[1].Start);
        Assert.Equal(Guid.Parse("a6108e82-daa1-4876-90b9-62131487cd91"), chunks[1].JobId);
    }

    [Fact]
    [Trait("Lane", "Fast")]
    public void Another_consumers_lines_and_the_consumers_other_lines_are_not_work_done()
    {
        Assert.Single(WorkerLog.Done(Log, "ExtractFramesConsumer", "extracted in"));
        Assert.Empty(WorkerLog.Done(Log, "ExtractFramesConsumer", "ms/frame"));
        Assert.Empty(WorkerLog.Done(Log, "RenderQcSegmentConsumer", "rendered in"));
    }
}
