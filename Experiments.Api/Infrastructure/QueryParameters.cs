namespace Experiments.Api.Infrastructure;

/// <summary>
/// Refuses query parameters an endpoint does not read, as the JSON setup refuses unknown properties:
/// a typo such as <c>?metrc=revenue</c> gets a 400 naming it instead of an unfiltered answer.
/// </summary>
internal static class QueryParameters
{
    /// <summary>Lets through requests whose query names only <paramref name="names"/> (compared without case, as binding does).</summary>
    public static TBuilder AllowOnly<TBuilder>(this TBuilder builder, params string[] names) where TBuilder : IEndpointConventionBuilder
    {
        var allowed = new HashSet<string>(names, StringComparer.OrdinalIgnoreCase);
        string list = names.Length == 0 ? "none" : string.Join(", ", names);
        builder.AddEndpointFilter(async (context, next) =>
        {
            foreach (var key in context.HttpContext.Request.Query.Keys)
                if (!allowed.Contains(key))
                    return ApiProblems.Invalid(key, $"'{key}' is not a query parameter of this endpoint (it takes: {list}).");
            return await next(context);
        });
        return builder;
    }
}
