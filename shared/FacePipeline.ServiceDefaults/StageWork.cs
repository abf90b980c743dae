using System.Diagnostics;

namespace FacePipeline.ServiceDefaults;

/// <summary>Times one unit of a stage's work (a chunk, a clip) and records it in the stage metrics.</summary>
public readonly struct StageWork
{
    private readonly long _started;
    private readonly string _stage;

    private StageWork(string stage)
    {
        _stage = stage;
        _started = Stopwatch.GetTimestamp();
    }

    public static StageWork Start(string stage) => new(stage);

    /// <summary>Records the frames done and the time taken; returns the seconds.</summary>
    public double Complete(int frames)
    {
        var seconds = Stopwatch.GetElapsedTime(_started).TotalSeconds;
        var tag = new KeyValuePair<string, object?>("stage", _stage);
        Telemetry.FramesProcessed.Add(frames, tag);
        Telemetry.WorkSeconds.Record(seconds, tag);
        return seconds;
    }
}
