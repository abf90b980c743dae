using System.Threading.Channels;
using FacePipeline.Contracts;
using FacePipeline.Face;
using FacePipeline.Storage;

namespace FacePipeline.Stages;

/// <summary>
/// The chunks one Reconstruction process tracks at once: <see cref="Count"/> independent <see cref="FaceReconstructionStage"/>s,
/// each with its own detector and landmark model sessions and buffers (neither is thread-safe), handed out one chunk at a
/// time. One chunk keeps about one core busy (the landmark model is too small for ONNX Runtime to spread one frame over
/// more), so a process with one slot left the other core of a 2-core machine idle for most of the stage; with one slot
/// per core the chunks of a clip share the machine (docs/benchmarks.md, "Cores busy"). Records do not depend on the slot:
/// a chunk's tracking starts afresh in each.
/// </summary>
public sealed class FaceReconstructionSlots : IDisposable
{
    private readonly FaceReconstructionStage[] _stages;
    private readonly IDisposable[] _owned;
    private readonly Channel<FaceReconstructionStage> _free;

    /// <param name="stages">The slots' stages, each over models no other slot uses.</param>
    /// <param name="owned">What the slots own and dispose with them (the stages' models).</param>
    public FaceReconstructionSlots(IReadOnlyList<FaceReconstructionStage> stages, IEnumerable<IDisposable>? owned = null)
    {
        ArgumentNullException.ThrowIfNull(stages);
        if (stages.Count == 0)
        {
            throw new ArgumentException("At least one slot is needed.", nameof(stages));
        }

        _stages = [.. stages];
        _owned = [.. owned ?? []];
        _free = Channel.CreateBounded<FaceReconstructionStage>(_stages.Length);
        foreach (var stage in _stages)
        {
            _free.Writer.TryWrite(stage);
        }
    }

    /// <summary>How many chunks the slots track at once.</summary>
    public int Count => _stages.Length;

    /// <summary>The name of the landmark model the chunks are tracked with (the same in every slot).</summary>
    public string LandmarkModel => _stages[0].Landmarker.Name;

    /// <summary>
    /// <paramref name="count"/> slots over the installed models: the face detector and the landmark model
    /// (<see cref="ModelPaths.OpenLandmarkModel"/>), opened once per slot with ONNX Runtime's <paramref name="inference"/> settings;
    /// with the face mesh's <paramref name="triangles"/>, the slots also run track jobs' single-decode passes, their frame rings
    /// from one <see cref="FrameRingPool"/>.
    /// </summary>
    public static FaceReconstructionSlots Open(MediaStore store, ModelPaths models, bool refinedLandmarks, int count, InferenceSettings inference, IReadOnlyList<int>? triangles = null)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(inference);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var stages = new List<FaceReconstructionStage>(count);
        var rings = new FrameRingPool(maxIdle: count); // one ring per pass running at once, whichever slot runs it
        var owned = new List<IDisposable>(2 * count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var detector = new BlazeFaceDetector(models.FaceDetector, new FaceDetectorOptions { Inference = inference });
                owned.Add(detector);
                var landmarker = models.OpenLandmarkModel(refinedLandmarks, inference);
                owned.Add(landmarker);
                stages.Add(new FaceReconstructionStage(store, detector, landmarker, triangles, rings));
            }
        }
        catch
        {
            owned.ForEach(o => o.Dispose());
            throw;
        }

        return new FaceReconstructionSlots(stages, owned);
    }

    /// <summary>Tracks the chunk in the first free slot, waiting for one when all are busy.</summary>
    public async Task<FacesReconstructed> RunAsync(ReconstructFaces command, CancellationToken cancellationToken)
    {
        var stage = await _free.Reader.ReadAsync(cancellationToken);
        try
        {
            return await stage.RunAsync(command, cancellationToken);
        }
        finally
        {
            _free.Writer.TryWrite(stage);
        }
    }

    public void Dispose()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }
    }
}
