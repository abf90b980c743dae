using System.Diagnostics;

namespace FacePipeline.Face;

/// <summary>
/// What an ONNX Runtime session got, reported on a <see cref="DiagnosticListener"/> named <see cref="ListenerName"/>
/// (event <see cref="SessionOpened"/>, payload <c>(string Model, string Provider, string? CudaProblem)</c>): the library
/// needs no logger, and a host logs every session (ServiceDefaults' OnnxSessionLogging).
/// </summary>
public static class OnnxSessionEvents
{
    public const string ListenerName = "FacePipeline.Onnx";

    public const string SessionOpened = "SessionOpened";

    /// <summary>Reports a session on <paramref name="listener"/>.</summary>
    public static void Report(DiagnosticListener listener, string model, string provider, string? cudaProblem)
    {
        ArgumentNullException.ThrowIfNull(listener);
        if (listener.IsEnabled(SessionOpened))
        {
            listener.Write(SessionOpened, (model, provider, cudaProblem));
        }
    }
}
