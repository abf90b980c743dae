namespace FacePipeline.ModelImport.Tflite;

/// <summary>tflite.Padding.</summary>
public enum TflitePadding : sbyte
{
    Same = 0,
    Valid = 1,
}

/// <summary>tflite.ActivationFunctionType: the activation fused into an operator.</summary>
public enum TfliteActivation : sbyte
{
    None = 0,
    Relu = 1,
    ReluN1To1 = 2,
    Relu6 = 3,
    Tanh = 4,
    SignBit = 5,
}

/// <summary>The builtin options of an operator (the part of the schema's union the converter uses).</summary>
public abstract record TfliteOptions;

public sealed record Conv2DOptions(
    TflitePadding Padding,
    int StrideW,
    int StrideH,
    TfliteActivation Activation = TfliteActivation.None,
    int DilationW = 1,
    int DilationH = 1) : TfliteOptions;

public sealed record DepthwiseConv2DOptions(
    TflitePadding Padding,
    int StrideW,
    int StrideH,
    int DepthMultiplier = 1,
    TfliteActivation Activation = TfliteActivation.None,
    int DilationW = 1,
    int DilationH = 1) : TfliteOptions;

public sealed record Pool2DOptions(
    TflitePadding Padding,
    int StrideW,
    int StrideH,
    int FilterWidth,
    int FilterHeight,
    TfliteActivation Activation = TfliteActivation.None) : TfliteOptions;

/// <summary>Options that only carry a fused activation (ADD, SUB, MUL, DIV).</summary>
public sealed record ActivationOptions(TfliteActivation Activation) : TfliteOptions;

public sealed record FullyConnectedOptions(TfliteActivation Activation, bool KeepNumDims) : TfliteOptions;

public sealed record ConcatenationOptions(int Axis, TfliteActivation Activation = TfliteActivation.None) : TfliteOptions;

public sealed record ReshapeOptions(int[] NewShape) : TfliteOptions;

public sealed record SoftmaxOptions(float Beta) : TfliteOptions;

public sealed record ResizeOptions(bool AlignCorners, bool HalfPixelCenters) : TfliteOptions;

public sealed record LeakyReluOptions(float Alpha) : TfliteOptions;

public sealed record StridedSliceOptions(
    int BeginMask,
    int EndMask,
    int EllipsisMask,
    int NewAxisMask,
    int ShrinkAxisMask,
    bool Offset) : TfliteOptions;

/// <summary>
/// MediaPipe's custom operator Landmarks2TransformMatrix, version 2 (its FlexBuffer
/// custom_options): the matrix that maps a crop of <see cref="OutputWidth"/> x
/// <see cref="OutputHeight"/> onto the rotated box around the landmarks <see cref="SubsetIdxs"/>,
/// levelled on the line from landmark <see cref="LeftRotationIdx"/> to <see cref="RightRotationIdx"/>.
/// </summary>
public sealed record Landmarks2TransformMatrixOptions(
    int[] SubsetIdxs,
    int LeftRotationIdx,
    int RightRotationIdx,
    float TargetRotationRadians,
    int OutputHeight,
    int OutputWidth,
    float ScaleX,
    float ScaleY) : TfliteOptions;

/// <summary>
/// MediaPipe's custom operator TransformTensorBilinear: samples an NHWC tensor bilinearly on the
/// grid a 4x4 matrix gives. Version 2 applies the align-corners correction (pixel centres), version 1 does not.
/// </summary>
public sealed record TransformTensorBilinearOptions(int OutputHeight, int OutputWidth, bool AlignCorners) : TfliteOptions;
