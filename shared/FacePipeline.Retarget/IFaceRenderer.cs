namespace FacePipeline.Retarget;

/// <summary>
/// Renders a target frame's face at a destination mesh, in place of the <see cref="WarpRenderer"/> (an actor's trained
/// neural renderer). One instance per worker: implementations keep buffers and are not thread-safe.
/// </summary>
public interface IFaceRenderer : IDisposable
{
    /// <summary>
    /// <paramref name="output"/> = <paramref name="frame"/> with its face (tracked at <paramref name="tracked"/>) shown with
    /// its landmarks at <paramref name="destination"/>; pixels outside the returned rectangle are the frame's own.
    /// </summary>
    PixelRect Render(ReadOnlySpan<byte> frame, int width, int height, ReadOnlySpan<Point2> tracked, ReadOnlySpan<Point2> destination, Span<byte> output);

    /// <summary>The soft matte of the last <see cref="Render"/>: the mask the face was composited with (0 where the frame is its own).</summary>
    CompositeMatte Matte { get; }
}

/// <summary>Opens the face renderer stored in a file (an ONNX generator).</summary>
public interface IFaceRendererFactory
{
    /// <summary>A renderer for the model at <paramref name="path"/>.</summary>
    IFaceRenderer Open(string path);
}
