using FacePipeline.Onnx;

namespace FacePipeline.ModelImport.Tests;

/// <summary>The ONNX writer on its own: what it writes loads and runs in ONNX Runtime.</summary>
[Trait("Lane", "Fast")]
public sealed class OnnxModelBuilderTests
{
    [Fact]
    public void A_hand_built_model_runs_with_initializers_and_attributes()
    {
        var b = new OnnxModelBuilder("tiny");
        b.AddInput("x", OnnxElementType.Float, -1, 3);
        var w = b.AddInitializer("w", [1f, 2f, 3f], 1, 3);
        var product = b.AddNode("Mul", ["x", w], ["product"]);
        var shape = b.AddInitializer("shape", new long[] { 3, -1 }, 2);
        var reshaped = b.AddNode("Reshape", [product, shape], ["reshaped"]);
        // axis 0 is written explicitly (proto2 presence), keepdims 0 too.
        b.AddNode("ReduceMax", [reshaped], ["y"], OnnxAttribute.Ints("axes", 0), OnnxAttribute.Int("keepdims", 0));
        b.AddOutput("y", OnnxElementType.Float, -1);
        b.AddMetadata("source", "test");

        var result = OnnxRun.Run(b.ToBytes(), ("x", new float[] { 1, 1, 1, 2, -2, 0 }, [2, 3]));

        // [[1,2,3],[2,-4,0]] reshaped to 3x2 [[1,2],[3,2],[-4,0]], max over axis 0.
        Assert.Equal([3, 2], result["y"].Values);
    }

    [Fact]
    public void Save_writes_a_loadable_file()
    {
        var b = new OnnxModelBuilder("relu");
        b.AddInput("x", OnnxElementType.Float, 2);
        b.AddNode("Relu", ["x"], ["y"]);
        b.AddOutput("y", OnnxElementType.Float, 2);
        var path = Path.Combine(FacePipeline.TestSupport.RepoPaths.NewScratchFolder("onnx-save"), "relu.onnx");

        b.Save(path);

        var result = OnnxRun.Run(File.ReadAllBytes(path), ("x", new float[] { -1, 5 }, [2]));
        Assert.Equal([0, 5], result["y"].Values);
    }

    [Fact]
    public void Names_are_checked()
    {
        var b = new OnnxModelBuilder("names");
        b.AddInput("x", OnnxElementType.Float, 1);

        Assert.Throws<InvalidOperationException>(() => b.AddNode("Relu", ["missing"], ["y"]));
        Assert.Throws<InvalidOperationException>(() => b.AddNode("Relu", ["x"], ["x"]));
        Assert.Equal("x_1", b.UniqueName("x"));
        Assert.Throws<ArgumentException>(() => b.AddInitializer("w", [1f, 2f], 3));
    }
}
