using System.Text.Json;
using System.Text.Json.Serialization;

namespace Experiments.Api.Infrastructure;

/// <summary>Liveness and the engine build behind the answers.</summary>
public sealed record HealthResponse(string Status, string EngineVersion);

/// <summary>The API's JSON conventions.</summary>
internal static class JsonSetup
{
    /// <summary>
    /// camelCase names and enum values; numbers must be JSON numbers (no "1.5" strings, no NaN or
    /// Infinity); an unknown property is an error rather than silently ignored, so a typo such as
    /// "cupd" is reported instead of giving an unadjusted answer.
    /// </summary>
    public static void Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.NumberHandling = JsonNumberHandling.Strict;
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
    }
}
