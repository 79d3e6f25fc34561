using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Experiments.Jobs.Store.Tests.Infrastructure;

/// <summary>One structured log entry: its level, message and named fields.</summary>
public sealed record LogEntry(LogLevel Level, string Message, IReadOnlyDictionary<string, object?> Fields);

/// <summary>Keeps every entry with its named fields, so tests can check what a structured log carries.</summary>
public sealed class RecordingLogger<T> : ILogger<T>
{
    public ConcurrentQueue<LogEntry> Entries { get; } = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        var fields = state is IEnumerable<KeyValuePair<string, object?>> pairs
            ? pairs.ToDictionary(p => p.Key, p => p.Value)
            : new Dictionary<string, object?>();
        Entries.Enqueue(new LogEntry(logLevel, formatter(state, exception), fields));
    }
}
