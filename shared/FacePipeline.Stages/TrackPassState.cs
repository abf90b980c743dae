using System.Text;
using FacePipeline.Face;
using FacePipeline.Geometry;

namespace FacePipeline.Stages;

/// <summary>
/// Where a one-pass run through a clip's frames ended (<see cref="OnePassTrackRenderer"/>): the tracker's faces and counters
/// and each live track's landmark filter. Handed to the run of the next frames, on this worker or another, it makes the
/// pieces give what one run through the clip gives. Stored as a small binary file beside the job's records
/// (<see cref="Write"/>, <see cref="Read"/>: every double exact; a few tens of KB a face).
/// </summary>
public sealed record TrackPassState(FaceTrackerState Tracker, IReadOnlyDictionary<int, OneEuroState[]> Filters)
{
    private static readonly byte[] Magic = "FPPASS01"u8.ToArray();

    /// <summary>Writes the state (little-endian; the format's name and version first).</summary>
    public void Write(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(Tracker.NextId);
        writer.Write(Tracker.Frame);
        writer.Write(Tracker.Tracks.Count);
        foreach (var (id, roi) in Tracker.Tracks)
        {
            writer.Write(id);
            writer.Write(roi.XCenter);
            writer.Write(roi.YCenter);
            writer.Write(roi.Width);
            writer.Write(roi.Height);
            writer.Write(roi.Rotation);
        }

        writer.Write(Filters.Count);
        foreach (var (id, states) in Filters.OrderBy(f => f.Key))
        {
            writer.Write(id);
            writer.Write(states.Length);
            foreach (var state in states)
            {
                writer.Write(state.HasValue);
                writer.Write(state.LastRaw);
                writer.Write(state.LastFiltered);
                writer.Write(state.LastSpeed);
                writer.Write(state.LastTime);
            }
        }
    }

    /// <summary>Reads a state <see cref="Write"/> wrote.</summary>
    /// <exception cref="InvalidDataException">The stream holds no such state, or a cut one.</exception>
    public static TrackPassState Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            if (!reader.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic))
            {
                throw new InvalidDataException("Not a one-pass tracking state (FPPASS01).");
            }

            var (nextId, frame, tracks) = (reader.ReadInt32(), reader.ReadInt32(), Count(reader.ReadInt32()));
            var followed = new FollowedFaceRoi[tracks];
            for (var i = 0; i < tracks; i++)
            {
                followed[i] = new FollowedFaceRoi(reader.ReadInt32(), new RotatedRect(reader.ReadSingle(), reader.ReadSingle(), reader.ReadSingle(), reader.ReadSingle(), reader.ReadSingle()));
            }

            var filters = new Dictionary<int, OneEuroState[]>();
            for (var f = Count(reader.ReadInt32()); f > 0; f--)
            {
                var id = reader.ReadInt32();
                var states = new OneEuroState[Count(reader.ReadInt32())];
                for (var i = 0; i < states.Length; i++)
                {
                    states[i] = new OneEuroState(reader.ReadBoolean(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble());
                }

                filters[id] = states;
            }

            return new TrackPassState(new FaceTrackerState(followed, nextId, frame), filters);
        }
        catch (EndOfStreamException cut)
        {
            throw new InvalidDataException("The one-pass tracking state ends early.", cut);
        }
    }

    private static int Count(int value) =>
        value is >= 0 and <= 1 << 20 ? value : throw new InvalidDataException($"A count of {value} in a one-pass tracking state.");
}
