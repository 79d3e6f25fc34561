using System.Globalization;
using System.Text.Json;

namespace Experiments.Jobs.ClickHouse;

/// <summary>What a query cost the server, from the <c>statistics</c> block of <c>FORMAT JSON</c>
/// (18.16 has no <c>X-ClickHouse-Summary</c> header).</summary>
/// <param name="RowsRead">Rows the server read.</param>
/// <param name="BytesRead">Uncompressed bytes the server read.</param>
/// <param name="Elapsed">Server-side execution time.</param>
public sealed record ClickHouseQueryStatistics(long RowsRead, long BytesRead, TimeSpan Elapsed);

/// <summary>A result column's name and ClickHouse type.</summary>
public sealed record ClickHouseColumn(string Name, string Type);

/// <summary>
/// The whole answer of a <c>FORMAT JSON</c> query: columns, rows (JSON objects keyed by column
/// name; 64-bit integers as JSON numbers) and the cost statistics. For small results — aggregates;
/// stream anything large with <see cref="ClickHouseClient.QueryTabSeparatedAsync"/>.
/// </summary>
public sealed record ClickHouseJsonResult(
    IReadOnlyList<ClickHouseColumn> Columns,
    IReadOnlyList<JsonElement> Rows,
    long? RowsBeforeLimitAtLeast,
    ClickHouseQueryStatistics Statistics)
{
    internal static ClickHouseJsonResult Parse(JsonElement root)
    {
        var columns = root.GetProperty("meta").EnumerateArray()
            .Select(c => new ClickHouseColumn(c.GetProperty("name").GetString()!, c.GetProperty("type").GetString()!))
            .ToArray();
        var rows = root.GetProperty("data").EnumerateArray().Select(r => r.Clone()).ToArray();
        long? beforeLimit = root.TryGetProperty("rows_before_limit_at_least", out var b) ? b.GetClickHouseInt64() : null;
        var stats = root.GetProperty("statistics");
        var statistics = new ClickHouseQueryStatistics(
            stats.GetProperty("rows_read").GetClickHouseInt64(),
            stats.GetProperty("bytes_read").GetClickHouseInt64(),
            TimeSpan.FromSeconds(stats.GetProperty("elapsed").GetDouble()));
        return new ClickHouseJsonResult(columns, rows, beforeLimit, statistics);
    }
}

/// <summary>Reading ClickHouse's JSON values, which may be quoted (64-bit integers by default) or null (NaN).</summary>
public static class ClickHouseJsonExtensions
{
    /// <summary>An integer written as a JSON number or a quoted string.</summary>
    public static long GetClickHouseInt64(this JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => value.GetInt64(),
        JsonValueKind.String => long.Parse(value.GetString()!, NumberStyles.Integer, CultureInfo.InvariantCulture),
        _ => throw new FormatException($"Expected an integer, got JSON {value.ValueKind}."),
    };

    /// <summary>A number written as a JSON number or a quoted string; ClickHouse writes NaN and ±∞ as null, read as NaN.</summary>
    public static double GetClickHouseDouble(this JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => value.GetDouble(),
        JsonValueKind.String => double.Parse(value.GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture),
        JsonValueKind.Null => double.NaN,
        _ => throw new FormatException($"Expected a number, got JSON {value.ValueKind}."),
    };
}
