using System.Globalization;
using System.Text;
using System.Text.Json;
using Experiments.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Data.Analysis;

namespace Experiments.Api.Csv;

/// <summary>
/// Typed <see cref="DataFrame"/> columns and their CSV: RFC 4180 quoting, the invariant culture, numbers in
/// their shortest round-trip form (pandas reads back the same doubles), ISO 8601 days and UTC instants,
/// <c>true</c>/<c>false</c>, an empty field for a missing value. Columns are typed explicitly: a DataFrame
/// guesses single precision and reads numbers by the current culture otherwise.
/// </summary>
internal static class CsvTable
{
    public const string ContentType = "text/csv; charset=utf-8";

    public static DataFrameColumn Text(string name, IEnumerable<string?> values) => new StringDataFrameColumn(name, values);

    public static DataFrameColumn Number(string name, IEnumerable<double?> values) => new DoubleDataFrameColumn(name, values);

    public static DataFrameColumn Integer(string name, IEnumerable<long?> values) => new Int64DataFrameColumn(name, values);

    public static DataFrameColumn Flag(string name, IEnumerable<bool?> values) => new BooleanDataFrameColumn(name, values);

    /// <summary>Calendar days, written "2024-03-01".</summary>
    public static DataFrameColumn Day(string name, IEnumerable<DateOnly?> values) =>
        new StringDataFrameColumn(name, values.Select(d => d?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));

    /// <summary>Instants, kept as UTC <see cref="DateTime"/>s and written "2024-03-18T09:30:00.000Z".</summary>
    public static DataFrameColumn Instant(string name, IEnumerable<DateTimeOffset?> values) =>
        new DateTimeDataFrameColumn(name, values.Select(v => v?.UtcDateTime));

    /// <summary>An enum value as the JSON writes it (camelCase).</summary>
    public static string? Name<T>(T? value) where T : struct, Enum =>
        value is { } v ? JsonNamingPolicy.CamelCase.ConvertName(v.ToString()) : null;

    /// <summary>The CSV text of a frame: a header, then one line per row.</summary>
    public static string Write(DataFrame frame)
    {
        var text = new StringBuilder();
        text.AppendJoin(',', frame.Columns.Select(c => Quote(c.Name))).Append("\r\n");
        for (long row = 0; row < frame.Rows.Count; row++)
        {
            for (int column = 0; column < frame.Columns.Count; column++)
            {
                if (column > 0)
                    text.Append(',');
                text.Append(Field(frame.Columns[column][row]));
            }
            text.Append("\r\n");
        }
        return text.ToString();
    }

    private static string Field(object? value) => value switch
    {
        null => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        DateTime t => t.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
        string s => Quote(s),
        IFormattable f => Quote(f.ToString(null, CultureInfo.InvariantCulture)),
        _ => Quote(value.ToString() ?? ""),
    };

    private static string Quote(string text) =>
        text.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;

    /// <summary>Declares a 200 that is <typeparamref name="TResponse"/> as JSON or a CSV table.</summary>
    public static RouteHandlerBuilder ProducesJsonOrCsv<TResponse>(this RouteHandlerBuilder builder) =>
        builder.Produces<TResponse>(StatusCodes.Status200OK, "application/json", "text/csv");

    /// <summary>
    /// Whether the caller asked for CSV: <c>?format=csv</c> (or <c>json</c>), else an <c>Accept</c> header that
    /// names <c>text/csv</c>. A 400 for any other format.
    /// </summary>
    public static bool Requested(HttpRequest request, string? format, out ValidationProblem? problem)
    {
        problem = null;
        if (format is not null)
        {
            if (format.Equals("csv", StringComparison.OrdinalIgnoreCase))
                return true;
            if (!format.Equals("json", StringComparison.OrdinalIgnoreCase))
                problem = ApiProblems.Invalid("format", "format is csv or json (or send Accept: text/csv).");
            return false;
        }
        var accept = request.GetTypedHeaders().Accept;
        return accept.Any(a => a.MediaType.Equals("text/csv", StringComparison.OrdinalIgnoreCase) && (a.Quality ?? 1) > 0);
    }
}

/// <summary>
/// A CSV table as a response (<c>text/csv; charset=utf-8</c>). The endpoint declares it beside its JSON
/// (<see cref="CsvTable.ProducesJsonOrCsv{TResponse}"/>): response metadata of one status code replaces, not merges.
/// </summary>
public sealed class CsvResult(string text) : IResult, IStatusCodeHttpResult, IContentTypeHttpResult
{
    /// <summary>The CSV text.</summary>
    public string Text { get; } = text;

    /// <inheritdoc />
    public int? StatusCode => StatusCodes.Status200OK;

    /// <inheritdoc />
    public string ContentType => CsvTable.ContentType;

    /// <inheritdoc />
    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.StatusCode = StatusCodes.Status200OK;
        httpContext.Response.ContentType = CsvTable.ContentType;
        return httpContext.Response.WriteAsync(Text, Encoding.UTF8);
    }
}
