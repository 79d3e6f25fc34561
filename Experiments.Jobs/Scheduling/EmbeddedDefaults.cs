using Microsoft.Extensions.Configuration;

namespace Experiments.Jobs.Scheduling;

/// <summary>The worker's <c>appsettings.json</c>, embedded in the assembly.</summary>
public static class EmbeddedDefaults
{
    /// <summary>
    /// Adds the embedded defaults as the lowest-priority configuration source: every other source
    /// (an appsettings.json in the content root, environment variables, the command line) overrides them.
    /// </summary>
    public static IConfigurationBuilder AddExperimentsJobsDefaults(this IConfigurationManager configuration)
    {
        var stream = typeof(EmbeddedDefaults).Assembly.GetManifestResourceStream("Experiments.Jobs.appsettings.json")
            ?? throw new InvalidOperationException("The embedded appsettings.json is missing from the build.");
        var source = new Microsoft.Extensions.Configuration.Json.JsonStreamConfigurationSource { Stream = stream };
        configuration.Sources.Insert(0, source);
        return configuration;
    }
}
