using System.Collections;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace FacePipeline.Stages;

/// <summary>
/// A transfer document (transfer.json) read without holding its frames (issue 16: memory flat in length): everything but
/// the two frame lists, and where each target frame and output frame lies in the file, from the transfer's index
/// (<see cref="TransferIndex"/>: a segment's set-up reads no frame it does not render) or, without one, from one pass over
/// the file; the frames are read back from the file when asked for (<see cref="Document"/>'s
/// <see cref="RetargetDocument.TargetFrames"/> and <see cref="RetargetDocument.Frames"/>, the last few kept). Safe to read
/// from several threads at once (the render, the review and the QC do). The file must stay in place while the document is used.
/// </summary>
public sealed class RetargetDocumentFile : IDisposable
{
    private readonly SafeFileHandle _handle;

    private RetargetDocumentFile(SafeFileHandle handle, RetargetDocument document)
    {
        _handle = handle;
        Document = document;
    }

    /// <summary>The document; its frame lists read from the file.</summary>
    public RetargetDocument Document { get; }

    /// <summary>Whether the frames were located by the transfer's index (else by a pass over the whole document).</summary>
    public bool Indexed { get; private init; }

    /// <summary>
    /// Reads the document at <paramref name="path"/> (its frames only located): by the index at <paramref name="indexPath"/>
    /// when there is one made for this document, else by a pass over the document.
    /// </summary>
    /// <exception cref="InvalidDataException">Not a transfer document, or of an unknown schema; or a malformed index.</exception>
    public static RetargetDocumentFile Open(string path, string? indexPath = null)
    {
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            if (indexPath is not null && TransferIndex.Read(indexPath, RandomAccess.GetLength(handle)) is { } index)
            {
                var indexed = Checked(JsonSerializer.Deserialize<RetargetDocument>(index.Header, RetargetDocument.JsonOptions));
                return new RetargetDocumentFile(handle, indexed with
                {
                    TargetFrames = new FileItems<RetargetTargetFrame>(handle, [.. index.TargetPlaces.Select(p => (p.Offset, p.Length))]),
                    Frames = new FileItems<RetargetOutputFrame>(handle, [.. index.FramePlaces.Select(p => (p.Offset, p.Length))]),
                    TargetSummaries = index.Targets,
                    FrameSummaries = index.Frames,
                })
                {
                    Indexed = true,
                };
            }

            var options = RetargetDocument.JsonOptions;
            var targetFrames = new List<(long Offset, int Length)>();
            var frames = new List<(long Offset, int Length)>();
            using var header = new MemoryStream();
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan))
            using (var headerJson = new Utf8JsonWriter(header))
            {
                var walker = new JsonStreamWalker(stream);
                if (walker.ReadToken() != JsonTokenType.StartObject)
                {
                    throw new InvalidDataException("A transfer document is a JSON object.");
                }

                headerJson.WriteStartObject();
                var targetFramesName = options.PropertyNamingPolicy?.ConvertName(nameof(RetargetDocument.TargetFrames)) ?? nameof(RetargetDocument.TargetFrames);
                var framesName = options.PropertyNamingPolicy?.ConvertName(nameof(RetargetDocument.Frames)) ?? nameof(RetargetDocument.Frames);
                while (walker.ReadPropertyName() is { } name)
                {
                    headerJson.WritePropertyName(name);
                    if (name == targetFramesName || name == framesName)
                    {
                        walker.LocateArrayItems(name == framesName ? frames : targetFrames);
                        headerJson.WriteStartArray();
                        headerJson.WriteEndArray();
                    }
                    else
                    {
                        walker.ReadValue<JsonElement>(options).WriteTo(headerJson);
                    }
                }

                headerJson.WriteEndObject();
            }

            var document = Checked(JsonSerializer.Deserialize<RetargetDocument>(header.ToArray(), options));
            return new RetargetDocumentFile(handle, document with
            {
                TargetFrames = new FileItems<RetargetTargetFrame>(handle, [.. targetFrames]),
                Frames = new FileItems<RetargetOutputFrame>(handle, [.. frames]),
            });
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public void Dispose() => _handle.Dispose();

    private static RetargetDocument Checked(RetargetDocument? document) =>
        document is null ? throw new InvalidDataException("Empty retarget document.")
        : document.Schema != RetargetDocument.SchemaV1 ? throw new InvalidDataException($"Unknown retarget document schema '{document.Schema}'.")
        : document;

    /// <summary>Items of the document read from their place in the file when asked for (the last few kept).</summary>
    private sealed class FileItems<T>(SafeFileHandle handle, (long Offset, int Length)[] places) : IReadOnlyList<T>
        where T : class
    {
        private const int Kept = 8;

        private readonly Lock _gate = new();
        private readonly (int Index, T Item)[] _kept = new (int, T)[Kept];
        private int _next;

        public int Count => places.Length;

        public T this[int index]
        {
            get
            {
                ArgumentOutOfRangeException.ThrowIfNegative(index);
                ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
                lock (_gate)
                {
                    foreach (var (i, item) in _kept)
                    {
                        if (item is not null && i == index)
                        {
                            return item;
                        }
                    }
                }

                var (offset, length) = places[index];
                var bytes = new byte[length];
                var read = 0;
                while (read < length)
                {
                    var n = RandomAccess.Read(handle, bytes.AsSpan(read), offset + read);
                    read += n > 0 ? n : throw new EndOfStreamException("The transfer document changed while it was read.");
                }

                var value = JsonSerializer.Deserialize<T>(WithoutSeparator(bytes), RetargetDocument.JsonOptions) ?? throw new InvalidDataException($"Frame {index} of the transfer document is null.");
                lock (_gate)
                {
                    _kept[_next] = (index, value);
                    _next = (_next + 1) % Kept;
                }

                return value;
            }
        }

        /// <summary>An index's place of an item starts where the writer stood before it: at the comma before the item.</summary>
        private static ReadOnlySpan<byte> WithoutSeparator(byte[] bytes)
        {
            var start = 0;
            while (start < bytes.Length && bytes[start] is (byte)',' or (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
            {
                start++;
            }

            return bytes.AsSpan(start);
        }

        public IEnumerator<T> GetEnumerator()
        {
            for (var i = 0; i < Count; i++)
            {
                yield return this[i];
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

/// <summary>
/// Walks a JSON document read from a stream a buffer at a time (<see cref="Utf8JsonReader"/> over a refilled buffer):
/// tokens, whole values, and the places of an array's items in the stream without building them.
/// </summary>
internal sealed class JsonStreamWalker(Stream stream)
{
    private byte[] _buffer = new byte[1 << 16];
    private int _start;
    private int _end;
    private long _base; // stream offset of _buffer[0]
    private bool _final;
    private JsonReaderState _state;

    public JsonTokenType ReadToken()
    {
        while (true)
        {
            var reader = Reader();
            if (reader.Read())
            {
                var token = reader.TokenType;
                Commit(ref reader);
                return token;
            }

            Fill();
        }
    }

    /// <summary>The next property's name, or null at the end of the object.</summary>
    public string? ReadPropertyName()
    {
        while (true)
        {
            var reader = Reader();
            if (reader.Read())
            {
                string? name = reader.TokenType switch
                {
                    JsonTokenType.PropertyName => reader.GetString(),
                    JsonTokenType.EndObject => null,
                    _ => throw new InvalidDataException($"Unexpected {reader.TokenType} in a transfer document."),
                };
                Commit(ref reader);
                return name;
            }

            Fill();
        }
    }

    /// <summary>The next value, whole.</summary>
    public T ReadValue<T>(JsonSerializerOptions options)
    {
        while (true)
        {
            var reader = Reader();
            if (reader.Read())
            {
                var probe = reader;
                if (probe.TrySkip())
                {
                    var value = JsonSerializer.Deserialize<T>(ref reader, options)!;
                    Commit(ref reader);
                    return value;
                }
            }

            Fill();
        }
    }

    /// <summary>The next value is an array: where each of its items lies in the stream (offset, length), without building them.</summary>
    public void LocateArrayItems(List<(long Offset, int Length)> places)
    {
        if (ReadToken() != JsonTokenType.StartArray)
        {
            throw new InvalidDataException("Expected an array in the transfer document.");
        }

        while (true)
        {
            var reader = Reader();
            if (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.EndArray)
                {
                    Commit(ref reader);
                    return;
                }

                var start = reader.TokenStartIndex;
                if (reader.TrySkip())
                {
                    var end = reader.BytesConsumed;
                    places.Add((_base + _start + start, checked((int)(end - start))));
                    Commit(ref reader);
                    continue;
                }
            }

            Fill();
        }
    }

    private Utf8JsonReader Reader() => new(_buffer.AsSpan(_start, _end - _start), _final, _state);

    private void Commit(ref Utf8JsonReader reader)
    {
        _start += (int)reader.BytesConsumed;
        _state = reader.CurrentState;
    }

    private void Fill()
    {
        if (_final)
        {
            throw new InvalidDataException("The transfer document ends early.");
        }

        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _base += _start;
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2); // one value larger than the buffer (a frame holds tens of KB)
        }

        var read = stream.Read(_buffer, _end, _buffer.Length - _end);
        _final = read == 0;
        _end += read;
    }
}
