using System.Text.Json;
using FacePipeline.Media;

namespace FacePipeline.Morphable;

/// <summary>
/// Writes curves as JSON, schema <c>facepipeline.blendshapes/v1</c> (documented in docs/blendshapes.md):
/// the 52 ARKit names, the exact frame rate, and per frame its index, time, fit status, weights (in
/// name order) and head pose; with the clip's start timecode, <c>startTimecode</c> and each frame's <c>timecode</c>
/// (<c>HH:MM:SS:FF</c>, <c>HH:MM:SS;FF</c> drop-frame, at the curves' rate).
/// </summary>
public static class BlendshapeCurvesJson
{
    /// <summary>The schema name.</summary>
    public const string Schema = "facepipeline.blendshapes/v1";

    /// <summary>Writes the document (compact unless <paramref name="indented"/>).</summary>
    /// <param name="stream">Where to write.</param>
    /// <param name="animation">The curves.</param>
    /// <param name="source">The clip's name, or null.</param>
    /// <param name="indented">Indent for reading.</param>
    /// <param name="start">The clip's first timecode, or null (no timecodes written).</param>
    public static void Write(Stream stream, BlendshapeAnimation animation, string? source = null, bool indented = false, Timecode? start = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(animation);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented });
        var first = LiveLinkFaceCsv.StartAt(start, animation.Rate);
        WriteStart(json, animation.Rate, animation.Frames.Count, animation.Actor, animation.NeutralFrames, source, first);
        foreach (var frame in animation.Frames)
        {
            WriteFrame(json, frame, first);
        }

        WriteEnd(json);
    }

    /// <summary>
    /// Everything before the frames, for a writer that writes them as it goes (<see cref="WriteFrame"/>, then
    /// <see cref="WriteEnd"/>); <c>startTimecode</c> when <paramref name="start"/> (the first timecode at <paramref name="rate"/>,
    /// <see cref="LiveLinkFaceCsv.StartAt"/>) is given.
    /// </summary>
    internal static void WriteStart(Utf8JsonWriter json, RationalFrameRate rate, int frameCount, ActorIdentity actor, IReadOnlyList<int> neutralFrames, string? source, Timecode? start)
    {
        json.WriteStartObject();
        json.WriteString("schema", Schema);
        if (source is not null)
        {
            json.WriteString("source", source);
        }

        json.WriteString("frameRate", rate.ToString());
        json.WriteNumber("framesPerSecond", Math.Round(rate.FramesPerSecond, 6));
        json.WriteNumber("frameCount", frameCount);
        if (start is { } first)
        {
            json.WriteString("startTimecode", first.ToString());
        }
        json.WriteStartObject("model");
        json.WriteString("name", "ICT-FaceKit FaceXModel (MIT, USC Institute for Creative Technologies)");
        json.WriteStartArray("identityWeights");
        foreach (var w in actor.IdentityWeights)
        {
            json.WriteNumberValue(Math.Round(w, 5));
        }

        json.WriteEndArray();
        json.WriteStartArray("neutralFrames");
        foreach (var f in neutralFrames)
        {
            json.WriteNumberValue(f);
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteStartArray("names");
        foreach (var name in BlendshapeAnimation.Names)
        {
            json.WriteStringValue(name);
        }

        json.WriteEndArray();
        json.WriteStartArray("frames");
    }

    /// <summary>One frame (with its timecode when the curves have a <paramref name="start"/>); hands the bytes to the stream once enough are held.</summary>
    internal static void WriteFrame(Utf8JsonWriter json, BlendshapeFrame frame, Timecode? start)
    {
        json.WriteStartObject();
        json.WriteNumber("index", frame.Index);
        json.WriteNumber("time", Math.Round(frame.TimeSeconds, 6));
        if (start is { } first)
        {
            json.WriteString("timecode", first.AddFrames(frame.Index).ToString());
        }

        json.WriteString("status", frame.Status switch
        {
            FrameFitStatus.Fitted => "fitted",
            FrameFitStatus.Interpolated => "interpolated",
            _ => "held",
        });
        json.WriteStartArray("weights");
        foreach (var w in frame.Weights)
        {
            json.WriteNumberValue(Math.Round(w, 5));
        }

        json.WriteEndArray();
        json.WriteStartObject("head");
        json.WriteNumber("yaw", Math.Round(frame.Head.YawDegrees, 4));
        json.WriteNumber("pitch", Math.Round(frame.Head.PitchDegrees, 4));
        json.WriteNumber("roll", Math.Round(frame.Head.RollDegrees, 4));
        json.WriteStartArray("translation");
        json.WriteNumberValue(Math.Round(frame.Head.TranslationCm.X, 4));
        json.WriteNumberValue(Math.Round(frame.Head.TranslationCm.Y, 4));
        json.WriteNumberValue(Math.Round(frame.Head.TranslationCm.Z, 4));
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
        if (json.BytesPending >= 1 << 16)
        {
            json.Flush();
        }
    }

    /// <summary>Closes the frames and the document.</summary>
    internal static void WriteEnd(Utf8JsonWriter json)
    {
        json.WriteEndArray();
        json.WriteEndObject();
        json.Flush();
    }

    /// <summary>Writes the document to a file.</summary>
    public static void Write(string path, BlendshapeAnimation animation, string? source = null, Timecode? start = null)
    {
        using var stream = File.Create(path);
        Write(stream, animation, source, start: start);
    }
}
