using System.Globalization;
using System.Text.RegularExpressions;

namespace Experiments.Jobs.ClickHouse;

/// <summary>A failed ClickHouse request: the base of the server, connection and timeout failures.</summary>
public abstract class ClickHouseException : Exception
{
    /// <summary>Creates the exception.</summary>
    protected ClickHouseException(string message, string? queryId, int attempts, Exception? inner)
        : base(message, inner)
    {
        QueryId = queryId;
        Attempts = attempts;
    }

    /// <summary>The query id sent with the request (find it in <c>system.query_log</c>), when known.</summary>
    public string? QueryId { get; }

    /// <summary>How many times the request was sent before giving up (1 when it was not retried).</summary>
    public int Attempts { get; internal set; }
}

/// <summary>
/// The server answered with an error: <see cref="ErrorCode"/> is ClickHouse's numeric code
/// (60 = unknown table, 62 = syntax error, 81 = unknown database, 159 = timeout exceeded, …).
/// </summary>
public sealed partial class ClickHouseServerException : ClickHouseException
{
    /// <summary>Codes of failures that may go away on their own: too many simultaneous queries (202),
    /// no free connection (203), socket timeout (209), network error (210), all connection tries failed (279).</summary>
    private static readonly HashSet<int> TransientCodes = [202, 203, 209, 210, 279];

    /// <summary>Creates the exception.</summary>
    public ClickHouseServerException(int errorCode, string serverMessage, int httpStatus, string? queryId, int attempts = 1)
        : base($"ClickHouse error {errorCode}: {serverMessage}", queryId, attempts, null)
    {
        ErrorCode = errorCode;
        ServerMessage = serverMessage;
        HttpStatus = httpStatus;
    }

    /// <summary>ClickHouse's error code; 0 when the body was not a ClickHouse error (a proxy's page, say).</summary>
    public int ErrorCode { get; }

    /// <summary>The server's message, without the <c>Code: N, e.displayText() =</c> wrapping.</summary>
    public string ServerMessage { get; }

    /// <summary>The HTTP status of the answer (200 when the error arrived in the middle of a streamed result).</summary>
    public int HttpStatus { get; }

    /// <summary>Whether retrying the same read could succeed.</summary>
    public bool IsTransient => TransientCodes.Contains(ErrorCode) || (ErrorCode == 0 && HttpStatus is 502 or 503 or 504);

    /// <summary>
    /// Parses ClickHouse's error text, <c>Code: 60, e.displayText() = DB::Exception: Table x doesn't
    /// exist., e.what() = DB::Exception</c> (18.x) or <c>Code: 60. DB::Exception: …</c> (later versions).
    /// </summary>
    /// <returns>The exception, or null when the text is not a ClickHouse error.</returns>
    internal static ClickHouseServerException? TryParse(string text, int httpStatus, string? queryId)
    {
        var match = ErrorPattern().Match(text);
        if (!match.Success)
            return null;
        int code = int.Parse(match.Groups["code"].Value, CultureInfo.InvariantCulture);
        string message = match.Groups["message"].Value.Trim();
        const string prefix = "DB::Exception: ";
        if (message.StartsWith(prefix, StringComparison.Ordinal))
            message = message[prefix.Length..];
        return new ClickHouseServerException(code, message, httpStatus, queryId);
    }

    /// <summary>Whether a line of a streamed result is the error ClickHouse appends when a query fails mid-stream.</summary>
    internal static bool LooksLikeError(string line) => line.StartsWith("Code: ", StringComparison.Ordinal) && ErrorPattern().IsMatch(line);

    [GeneratedRegex(@"^Code: (?<code>\d+)(?:, e\.displayText\(\) = |\. )(?<message>.*?)(?:, e\.what\(\) = [^,]*)?\s*$", RegexOptions.Singleline)]
    private static partial Regex ErrorPattern();
}

/// <summary>The server could not be reached, or the connection broke before an answer was complete.</summary>
public sealed class ClickHouseConnectionException : ClickHouseException
{
    /// <summary>Creates the exception.</summary>
    public ClickHouseConnectionException(string message, string? queryId, int attempts, Exception? inner)
        : base(message, queryId, attempts, inner)
    {
    }
}

/// <summary>The request took longer than <see cref="ClickHouseOptions.QueryTimeout"/> (it is not retried).</summary>
public sealed class ClickHouseTimeoutException : ClickHouseException
{
    /// <summary>Creates the exception.</summary>
    public ClickHouseTimeoutException(TimeSpan timeout, string? queryId, int attempts, Exception? inner)
        : base($"The ClickHouse request did not finish within {timeout}.", queryId, attempts, inner)
    {
        Timeout = timeout;
    }

    /// <summary>The limit that was exceeded.</summary>
    public TimeSpan Timeout { get; }
}
