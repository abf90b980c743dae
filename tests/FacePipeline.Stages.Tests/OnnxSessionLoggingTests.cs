using System.Collections.Concurrent;
using FacePipeline.Face;
using FacePipeline.ServiceDefaults;
using FacePipeline.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FacePipeline.Stages.Tests;

/// <summary>A service logs which execution provider each ONNX Runtime session got, and why not CUDA.</summary>
public sealed class OnnxSessionLoggingTests
{
    [Fact]
    public void Every_session_a_service_opens_is_logged_with_its_execution_provider_and_why_not_cuda()
    {
        var lines = new ConcurrentQueue<(LogLevel Level, string Text)>();
        using var services = new ServiceCollection()
            .AddLogging(l => l.AddProvider(new Capture(lines)))
            .AddSingleton<OnnxSessionLogging>()
            .BuildServiceProvider();
        StartupChecks.Run(services); // what every service runs before it builds its stage

        using var detector = new BlazeFaceDetector(new ModelPaths(RepoPaths.Models).FaceDetector);

        var line = Assert.Single(lines, l => l.Text.Contains("face_detection", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Information, line.Level);
        Assert.Contains($": {detector.ExecutionProvider}", line.Text, StringComparison.Ordinal);
        Assert.Contains("this ONNX Runtime build has no CUDA execution provider", line.Text, StringComparison.Ordinal); // the CPU build, here
    }

    private sealed class Capture(ConcurrentQueue<(LogLevel, string)> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(lines);

        public void Dispose()
        {
        }

        private sealed class Logger(ConcurrentQueue<(LogLevel, string)> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue((logLevel, formatter(state, exception)));
        }
    }
}
