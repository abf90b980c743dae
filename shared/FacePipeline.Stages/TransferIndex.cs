using System.Text;
using FacePipeline.Geometry;
using FacePipeline.Retarget;

namespace FacePipeline.Stages;

/// <summary>
/// What a render reads of every frame of a transfer document before it renders any, kept beside the document (issue 16:
/// a retarget renders in segments, and each segment otherwise walked the whole transfer.json, tens of KB a frame, to find
/// its frames, then read every output frame for its time and state and every target frame for its openings, so a
/// segment's set-up grew with the length of the clip). Per frame: where it lies in the document, and those few numbers;
/// and the document without its frames. Written by the transfer with the document (<see cref="Builder"/>); read by
/// <see cref="RetargetDocumentFile.Open"/>, which walks the document instead when the index is missing or was made for
/// another document.
/// </summary>
public sealed class TransferIndex
{
    private const int Magic = 0x49545046; // "FPTI"
    private const int Version = 1;

    private TransferIndex(long documentLength, byte[] header, Place[] targetPlaces, TargetFrameSummary[] targets, Place[] framePlaces, OutputFrameSummary[] frames)
    {
        DocumentLength = documentLength;
        Header = header;
        TargetPlaces = targetPlaces;
        Targets = targets;
        FramePlaces = framePlaces;
        Frames = frames;
    }

    /// <summary>The length in bytes of the document this index was made for.</summary>
    public long DocumentLength { get; }

    /// <summary>The document without its frames (its two frame lists empty), as JSON.</summary>
    public byte[] Header { get; }

    /// <summary>Where each target frame lies in the document (its bytes may start with the separator before it).</summary>
    public IReadOnlyList<Place> TargetPlaces { get; }

    public IReadOnlyList<TargetFrameSummary> Targets { get; }

    /// <summary>Where each output frame lies in the document (its bytes may start with the separator before it).</summary>
    public IReadOnlyList<Place> FramePlaces { get; }

    public IReadOnlyList<OutputFrameSummary> Frames { get; }

    /// <summary>Bytes of a frame in the document: from <paramref name="Offset"/>, <paramref name="Length"/> long.</summary>
    public readonly record struct Place(long Offset, int Length);

    /// <summary>
    /// The index at <paramref name="path"/> when it was made for a document of <paramref name="documentLength"/> bytes;
    /// null when there is none, or it is of another document (a transfer written again, or a file of an older version).
    /// </summary>
    /// <exception cref="InvalidDataException">The file is an index of this document's length, cut short or malformed.</exception>
    public static TransferIndex? Read(string path, long documentLength)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: false);
        if (stream.Length < 16 || reader.ReadInt32() != Magic || reader.ReadInt32() != Version || reader.ReadInt64() != documentLength)
        {
            return null;
        }

        try
        {
            var header = reader.ReadBytes(Count(reader, stream, "header bytes"));
            var targetCount = Count(reader, stream, "target frames");
            var targetPlaces = new Place[targetCount];
            var targets = new TargetFrameSummary[targetCount];
            for (var t = 0; t < targetCount; t++)
            {
                targetPlaces[t] = ReadPlace(reader, documentLength);
                var flags = reader.ReadByte();
                FeatureOpening? opening = null;
                if ((flags & 2) != 0)
                {
                    opening = new FeatureOpening(reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble());
                }

                targets[t] = new TargetFrameSummary((flags & 1) != 0, opening);
            }

            var frameCount = Count(reader, stream, "output frames");
            var framePlaces = new Place[frameCount];
            var frames = new OutputFrameSummary[frameCount];
            for (var k = 0; k < frameCount; k++)
            {
                framePlaces[k] = ReadPlace(reader, documentLength);
                frames[k] = new OutputFrameSummary(reader.ReadDouble(), reader.ReadDouble(), reader.ReadInt32(), (RetargetQc.FrameState)reader.ReadByte());
            }

            return stream.Position == stream.Length
                ? new TransferIndex(documentLength, header, targetPlaces, targets, framePlaces, frames)
                : throw new InvalidDataException($"The transfer index {path} has bytes after its last frame.");
        }
        catch (EndOfStreamException cut)
        {
            throw new InvalidDataException($"The transfer index {path} ends early.", cut);
        }
    }

    private static int Count(BinaryReader reader, Stream stream, string what)
    {
        var count = reader.ReadInt32();
        return count >= 0 && count <= stream.Length - stream.Position
            ? count
            : throw new InvalidDataException($"The transfer index counts {count} {what}, more than it holds.");
    }

    private static Place ReadPlace(BinaryReader reader, long documentLength)
    {
        var place = new Place(reader.ReadInt64(), reader.ReadInt32());
        return place.Offset >= 0 && place.Length > 0 && place.Offset + place.Length <= documentLength
            ? place
            : throw new InvalidDataException($"A frame of the transfer index lies outside the document ({place.Offset}+{place.Length} of {documentLength} bytes).");
    }

    /// <summary>Collects the index while the document is written, frame by frame, in the document's order.</summary>
    public sealed class Builder
    {
        private readonly List<(Place Place, TargetFrameSummary Summary)> _targets = [];
        private readonly List<(Place Place, OutputFrameSummary Summary)> _frames = [];

        /// <summary>Target frame <c>Count</c> was written at <paramref name="start"/> .. <paramref name="end"/> of the document.</summary>
        public void AddTarget(long start, long end, RetargetTargetFrame frame) => _targets.Add((PlaceOf(start, end), TargetFrameSummary.Of(frame)));

        /// <summary>Output frame <c>Count</c> was written at <paramref name="start"/> .. <paramref name="end"/> of the document.</summary>
        public void AddFrame(long start, long end, RetargetOutputFrame frame) => _frames.Add((PlaceOf(start, end), OutputFrameSummary.Of(frame)));

        private RetargetDocument? _header;
        private long _documentLength;

        /// <summary>The document is written: <paramref name="documentLength"/> bytes, <paramref name="header"/> being it without its frames.</summary>
        public void Complete(long documentLength, RetargetDocument header)
        {
            ArgumentNullException.ThrowIfNull(header);
            if (header.TargetFrames.Count != 0 || header.Frames.Count != 0)
            {
                throw new ArgumentException("The header of a transfer index holds no frames.", nameof(header));
            }

            (_documentLength, _header) = (documentLength, header);
        }

        /// <summary>Writes the index (once the document is written: <see cref="Complete"/>).</summary>
        public void WriteTo(Stream stream)
        {
            ArgumentNullException.ThrowIfNull(stream);
            var (header, documentLength) = (_header ?? throw new InvalidOperationException("The transfer document is not written yet."), _documentLength);
            using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            writer.Write(Magic);
            writer.Write(Version);
            writer.Write(documentLength);
            var headerBytes = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(header, RetargetDocument.JsonOptions);
            writer.Write(headerBytes.Length);
            writer.Write(headerBytes);
            writer.Write(_targets.Count);
            foreach (var (place, summary) in _targets)
            {
                WritePlace(writer, place);
                writer.Write((byte)((summary.HasMesh ? 1 : 0) | (summary.Opening is null ? 0 : 2)));
                if (summary.Opening is { } opening)
                {
                    writer.Write(opening.Mouth);
                    writer.Write(opening.LeftEye);
                    writer.Write(opening.RightEye);
                }
            }

            writer.Write(_frames.Count);
            foreach (var (place, summary) in _frames)
            {
                WritePlace(writer, place);
                writer.Write(summary.Time);
                writer.Write(summary.SourcePosition);
                writer.Write(summary.TargetFrame);
                writer.Write((byte)summary.State);
            }
        }

        private static Place PlaceOf(long start, long end) =>
            end > start ? new Place(start, checked((int)(end - start))) : throw new ArgumentException($"A frame written at {start}..{end} has no bytes.");

        private static void WritePlace(BinaryWriter writer, Place place)
        {
            writer.Write(place.Offset);
            writer.Write(place.Length);
        }
    }
}

/// <summary>What the passes of a render over every output frame read of one: its time, what it plays, whether it drives a face.</summary>
/// <param name="Time">Seconds from the start of the result (<see cref="RetargetOutputFrame.Time"/>).</param>
/// <param name="SourcePosition">The performer's frame it plays (<see cref="RetargetOutputFrame.SourcePosition"/>).</param>
/// <param name="TargetFrame">The actor's frame under it (<see cref="RetargetOutputFrame.TargetFrame"/>).</param>
/// <param name="State">Whether the frame drives a face (<see cref="RetargetQcTracker.StateOf"/>).</param>
public readonly record struct OutputFrameSummary(double Time, double SourcePosition, int TargetFrame, RetargetQc.FrameState State)
{
    public static OutputFrameSummary Of(RetargetOutputFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return new(frame.Time, frame.SourcePosition, frame.TargetFrame, RetargetQcTracker.StateOf(frame));
    }
}

/// <summary>What a render reads of every target frame before it renders: whether the frame has a tracked mesh, and how open its mouth and eyes are (the donors are chosen by it).</summary>
public readonly record struct TargetFrameSummary(bool HasMesh, FeatureOpening? Opening)
{
    public static TargetFrameSummary Of(RetargetTargetFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        return new(frame.Landmarks is not null, frame.PoseFree is { } p ? FeatureOpenings.Of([.. p.Select(v => new Vec3(v[0], v[1], v[2]))]) : null);
    }
}
