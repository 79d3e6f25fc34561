using System.Reflection;

namespace Experiments.Engine;

/// <summary>Identifies the engine build that produced a result, so published numbers are traceable.</summary>
public static class EngineInfo
{
    /// <summary>The engine's informational version (assembly version plus source revision when built from git).</summary>
    public static string Version { get; } =
        typeof(EngineInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(EngineInfo).Assembly.GetName().Version?.ToString()
        ?? "unknown";
}
