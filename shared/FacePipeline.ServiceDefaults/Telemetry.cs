using System.Diagnostics.Metrics;

namespace FacePipeline.ServiceDefaults;

/// <summary>The project's own metrics (stage throughput and latency), exported with OpenTelemetry.</summary>
public static class Telemetry
{
    public const string MeterName = "FacePipeline";

    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> FramesProcessed = Meter.CreateCounter<long>("facepipe.frames.processed", "frames", "Frames processed, by stage.");

    public static readonly Histogram<double> WorkSeconds = Meter.CreateHistogram<double>("facepipe.work.duration", "s", "Time of one unit of stage work (a chunk, a clip).");

    public static readonly Histogram<double> QueueLagSeconds = Meter.CreateHistogram<double>("facepipe.queue.lag", "s", "Time a message waited between send and consume, by message type.");
}
