using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace FacePipeline.ServiceDefaults;

/// <summary>
/// Logs every ONNX Runtime session a service opens, with the execution provider it got and, when that is not CUDA, why
/// ("this ONNX Runtime build has no CUDA execution provider", "CUDA failed: …"): the libraries report sessions on the
/// diagnostic listener "FacePipeline.Onnx" (FacePipeline.Face.OnnxSessionEvents) and need no logger of their own.
/// A singleton that listens from the moment it is resolved: the start-up checks resolve it first, before the stages
/// open their models.
/// </summary>
public sealed class OnnxSessionLogging : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
{
    public const string ListenerName = "FacePipeline.Onnx";

    private readonly ILogger<OnnxSessionLogging> _logger;
    private readonly List<IDisposable> _subscriptions = [];

    public OnnxSessionLogging(ILogger<OnnxSessionLogging> logger)
    {
        _logger = logger;
        _subscriptions.Add(DiagnosticListener.AllListeners.Subscribe(this));
    }

    public void Dispose()
    {
        lock (_subscriptions)
        {
            _subscriptions.ForEach(s => s.Dispose());
            _subscriptions.Clear();
        }
    }

    void IObserver<DiagnosticListener>.OnNext(DiagnosticListener value)
    {
        if (value.Name == ListenerName)
        {
            lock (_subscriptions)
            {
                _subscriptions.Add(value.Subscribe(this));
            }
        }
    }

    void IObserver<KeyValuePair<string, object?>>.OnNext(KeyValuePair<string, object?> value)
    {
        if (value is { Key: "SessionOpened", Value: (string model, string provider, var cudaProblem) })
        {
            if (cudaProblem is string why && why.StartsWith("CUDA failed", StringComparison.Ordinal))
            {
                _logger.LogWarning("ONNX Runtime session for {Model}: {ExecutionProvider} ({Why})", model, provider, why);
            }
            else if (cudaProblem is string reason)
            {
                _logger.LogInformation("ONNX Runtime session for {Model}: {ExecutionProvider} ({Why})", model, provider, reason);
            }
            else
            {
                _logger.LogInformation("ONNX Runtime session for {Model}: {ExecutionProvider}", model, provider);
            }
        }
    }

    void IObserver<DiagnosticListener>.OnCompleted()
    {
    }

    void IObserver<DiagnosticListener>.OnError(Exception error)
    {
    }

    void IObserver<KeyValuePair<string, object?>>.OnCompleted()
    {
    }

    void IObserver<KeyValuePair<string, object?>>.OnError(Exception error)
    {
    }
}
