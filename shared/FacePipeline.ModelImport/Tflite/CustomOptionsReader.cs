namespace FacePipeline.ModelImport.Tflite;

/// <summary>
/// Typed options of the custom operators the converter knows (MediaPipe's, read from their
/// FlexBuffer custom_options the way MediaPipe's own parsers read them). Unknown custom operators
/// and versions get no options; the converter then names them as unsupported.
/// </summary>
internal static class CustomOptionsReader
{
    public const string Landmarks2TransformMatrix = "Landmarks2TransformMatrix";
    public const string TransformTensorBilinear = "TransformTensorBilinear";
    public const string TransformLandmarks = "TransformLandmarks";

    public static TfliteOptions? Read(string customCode, int version, ReadOnlyMemory<byte> options)
    {
        switch (customCode, version)
        {
            case (Landmarks2TransformMatrix, 2):
            {
                var m = Map(customCode, options);
                return new Landmarks2TransformMatrixOptions(
                    m.Int32s("subset_idxs"),
                    m.Int32("left_rotation_idx"),
                    m.Int32("right_rotation_idx"),
                    m.Single("target_rotation_radians"),
                    m.Int32("output_height"),
                    m.Int32("output_width"),
                    m.Single("scale_x"),
                    m.Single("scale_y"));
            }

            case (TransformTensorBilinear, 2):
            {
                var m = Map(customCode, options);
                return new TransformTensorBilinearOptions(m.Int32("output_height"), m.Int32("output_width"), AlignCorners: true);
            }

            case (TransformTensorBilinear, 1):
            {
                var m = Map(customCode, options);
                if (m.Contains("mode") && m.String("mode") != "bilinear")
                {
                    return null;
                }

                var size = m.Int32s("output_size");
                return size.Length == 2 ? new TransformTensorBilinearOptions(size[0], size[1], AlignCorners: false) : null;
            }

            default:
                return null;
        }
    }

    private static FlexMap Map(string customCode, ReadOnlyMemory<byte> options)
    {
        if (options.IsEmpty)
        {
            throw new InvalidDataException($"Custom operator {customCode} has no custom_options.");
        }

        try
        {
            return FlexBuffer.ParseMap(options.Span);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"Custom operator {customCode}: {e.Message}", e);
        }
    }
}
