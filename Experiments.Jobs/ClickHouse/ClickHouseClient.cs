using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Text;
using System.Text.Json;

namespace Experiments.Jobs.ClickHouse;

/// <summary>
/// A small client of ClickHouse's HTTP interface (as of 18.16): streamed reads, <c>FORMAT JSON</c>
/// reads with cost statistics, streamed gzip inserts, DDL. Statements are <see cref="ClickHouseSql"/>,
/// so every value in them went through the one escaping function.
/// </summary>
/// <remarks>
/// <para>Failures surface as <see cref="ClickHouseServerException"/> (the server's code and message,
/// also when the error arrives in the middle of a streamed result), <see cref="ClickHouseConnectionException"/>
/// and <see cref="ClickHouseTimeoutException"/>; cancelling the caller's token throws
/// <see cref="OperationCanceledException"/>.</para>
/// <para>Reads are retried by <see cref="ClickHouseOptions.ReadRetry"/> after connection failures and
/// transient server errors; inserts and DDL never are, since a request whose answer was lost may
/// have been applied.</para>
/// <para>Thread-safe; one instance per endpoint is enough.</para>
/// </remarks>
public sealed class ClickHouseClient : IDisposable
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
    private const int MaxErrorBodyChars = 64 * 1024;

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;

    /// <summary>Creates a client.</summary>
    /// <param name="options">Endpoint, database, timeouts, retry policy, compression.</param>
    /// <param name="httpClient">An HttpClient to send through (not disposed by this client); by default
    /// one is made whose idle connections close before the server's 3 s keep-alive does.</param>
    public ClickHouseClient(ClickHouseOptions options, HttpClient? httpClient = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.ReadRetry.Validate();
        SqlIdentifier.Database(options.Database);
        Options = options;
        if (httpClient is null)
        {
            var handler = new SocketsHttpHandler
            {
                ConnectTimeout = options.ConnectTimeout,
                AutomaticDecompression = DecompressionMethods.None,
                // ClickHouse closes idle keep-alive connections after 3 s (keep_alive_timeout); a request
                // sent on a connection it is closing fails, and inserts are not retried.
                PooledConnectionIdleTimeout = TimeSpan.FromSeconds(2),
            };
            _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
            _ownsHttp = true;
        }
        else
        {
            _http = httpClient;
        }
    }

    /// <summary>The options the client was made with.</summary>
    public ClickHouseOptions Options { get; }

    /// <summary>Runs a statement that returns no rows (DDL, <c>INSERT … SELECT</c>, <c>TRUNCATE</c>). Never retried.</summary>
    public Task ExecuteAsync(ClickHouseSql statement, CancellationToken cancellationToken = default) =>
        ExecuteAsync(statement, null, useDatabase: true, cancellationToken);

    /// <summary>Runs a statement with extra settings, optionally outside the configured database
    /// (for <c>CREATE DATABASE</c>, which cannot name a database that does not exist yet).</summary>
    internal async Task ExecuteAsync(ClickHouseSql statement, IReadOnlyDictionary<string, string>? settings, bool useDatabase, CancellationToken cancellationToken)
    {
        var request = new Request(statement.Text, null, settings, Retry: false) { UseDatabase = useDatabase };
        await using var response = await OpenAsync(request, cancellationToken).ConfigureAwait(false);
        await response.DrainAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Runs a statement that returns no rows (<c>INSERT … SELECT</c>) and returns what it read, from the server's
    /// <c>system.query_log</c> (18.16 reports no statistics for a statement without a result). Never retried.
    /// </summary>
    public async Task<ClickHouseQueryStatistics> ExecuteCountedAsync(ClickHouseSql statement, CancellationToken cancellationToken = default)
    {
        string queryId = Guid.NewGuid().ToString("N");
        var request = new Request(statement.Text, null, LogQuerySettings, Retry: false) { QueryId = queryId };
        await using (var response = await OpenAsync(request, cancellationToken).ConfigureAwait(false))
            await response.DrainAsync().ConfigureAwait(false);
        await ExecuteAsync(ClickHouseSql.Format($"SYSTEM FLUSH LOGS"), null, useDatabase: false, cancellationToken).ConfigureAwait(false);
        var logged = await QueryJsonAsync(ClickHouseSql.Format($"""
            SELECT read_rows, read_bytes, query_duration_ms FROM system.query_log
            WHERE query_id = {queryId} AND type = 2
            """), cancellationToken).ConfigureAwait(false);
        if (logged.Rows.Count == 0)
            return new ClickHouseQueryStatistics(0, 0, TimeSpan.Zero);
        var row = logged.Rows[0];
        return new ClickHouseQueryStatistics(row.GetProperty("read_rows").GetClickHouseInt64(), row.GetProperty("read_bytes").GetClickHouseInt64(),
            TimeSpan.FromMilliseconds(row.GetProperty("query_duration_ms").GetClickHouseInt64()));
    }

    private static readonly IReadOnlyDictionary<string, string> LogQuerySettings = new Dictionary<string, string> { ["log_queries"] = "1" };

    /// <summary>
    /// Streams the rows of a query in TabSeparated format, one array of fields per row, as they
    /// arrive; nothing is buffered beyond the next line. <c>\N</c> (NULL) becomes null.
    /// </summary>
    /// <remarks>
    /// When a query fails after the server has started sending rows, the status is already 200 and
    /// ClickHouse appends its error text as a last line. The result is requested with its header
    /// (<c>TabSeparatedWithNamesAndTypes</c>) so the column count is known: a line is the error only
    /// if it is the last, reads like ClickHouse's error text, and does not have the row's number of
    /// fields. Only a one-column result whose last value is itself text shaped like
    /// <c>Code: 60, e.displayText() = …</c> stays ambiguous; read such data with
    /// <see cref="QueryJsonEachRowAsync"/>, which has no ambiguity.
    /// </remarks>
    /// <param name="query">A SELECT without a FORMAT clause.</param>
    /// <param name="cancellationToken">Stops the read.</param>
    public async IAsyncEnumerable<string?[]> QueryTabSeparatedAsync(ClickHouseSql query,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var response = await OpenAsync(new Request(query.Text + "\nFORMAT TabSeparatedWithNamesAndTypes", null, null, Retry: true), cancellationToken).ConfigureAwait(false);
        var names = await response.ReadLineAsync().ConfigureAwait(false);
        if (names is null)
            yield break;
        var types = await response.ReadLineAsync().ConfigureAwait(false);
        if (types is null || ClickHouseServerException.LooksLikeError(names))
            throw response.MidStreamError(names);
        int tabs = CountTabs(names);
        if (ClickHouseServerException.LooksLikeError(types) && CountTabs(types) != tabs)
            throw response.MidStreamError(types);
        var line = await response.ReadLineAsync().ConfigureAwait(false);
        while (line is not null)
        {
            var next = await response.ReadLineAsync().ConfigureAwait(false);
            if (next is null && ClickHouseServerException.LooksLikeError(line) && (tabs == 0 || CountTabs(line) != tabs))
                throw response.MidStreamError(line);
            yield return SplitTabSeparated(line, tabs + 1);
            line = next;
        }
    }

    /// <summary>
    /// Streams the rows of a query in JSONEachRow format, one JSON object per row, as they arrive.
    /// 64-bit integers arrive as JSON numbers.
    /// </summary>
    /// <param name="query">A SELECT without a FORMAT clause.</param>
    /// <param name="cancellationToken">Stops the read.</param>
    public async IAsyncEnumerable<JsonElement> QueryJsonEachRowAsync(ClickHouseSql query,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var response = await OpenAsync(new Request(query.Text + "\nFORMAT JSONEachRow", null, JsonSettings, Retry: true), cancellationToken).ConfigureAwait(false);
        while (await response.ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0)
                continue;
            if (line[0] != '{')
                throw response.MidStreamError(line);
            using var document = JsonDocument.Parse(line);
            yield return document.RootElement.Clone();
        }
    }

    /// <summary>
    /// Runs a query with <c>FORMAT JSON</c> and returns its rows together with the server's
    /// statistics (rows and bytes read, elapsed time) — how analysis runs record what they cost.
    /// The answer is read whole, so keep it to aggregates.
    /// </summary>
    public async Task<ClickHouseJsonResult> QueryJsonAsync(ClickHouseSql query, CancellationToken cancellationToken = default)
    {
        for (int attempt = 1; ; attempt++)
        {
            // The body is read inside the retry loop: nothing has been handed out until it parses.
            try
            {
                await using var response = await OpenAsync(new Request(query.Text + "\nFORMAT JSON", null, JsonSettings, Retry: false), cancellationToken).ConfigureAwait(false);
                var body = await response.ReadAllBytesAsync().ConfigureAwait(false);
                try
                {
                    using var document = JsonDocument.Parse(body);
                    return ClickHouseJsonResult.Parse(document.RootElement);
                }
                catch (JsonException e)
                {
                    throw response.ErrorInBody(Encoding.UTF8.GetString(body), e);
                }
            }
            catch (ClickHouseException e) when (ShouldRetry(e, attempt))
            {
                await Task.Delay(Options.ReadRetry.DelayAfter(attempt), cancellationToken).ConfigureAwait(false);
            }
            catch (ClickHouseException e)
            {
                e.Attempts = attempt;
                throw;
            }
        }
    }

    /// <summary>
    /// Inserts rows streamed from <paramref name="rows"/> as TabSeparated (gzip-compressed when
    /// <see cref="ClickHouseOptions.CompressRequests"/>), without holding them in memory. Never retried.
    /// </summary>
    /// <param name="table">The table (from the allow-list).</param>
    /// <param name="columns">The columns each row fills, in the order <paramref name="writeRow"/> writes them.</param>
    /// <param name="rows">The rows.</param>
    /// <param name="writeRow">Writes one row's fields, one call per column.</param>
    /// <param name="cancellationToken">Stops the insert (rows already sent in earlier blocks may be stored).</param>
    /// <returns>The number of rows sent.</returns>
    public async Task<long> InsertAsync<TRow>(SqlIdentifier table, IReadOnlyList<SqlIdentifier> columns, IAsyncEnumerable<TRow> rows,
        Action<TRow, TabSeparatedRowWriter> writeRow, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(writeRow);
        if (columns.Count == 0)
            throw new ArgumentException("An insert needs at least one column.", nameof(columns));
        var columnList = ClickHouseSql.Join(ClickHouseSql.Format($", "), columns.Select(c => ClickHouseSql.Format($"{c}")));
        var insert = ClickHouseSql.Format($"INSERT INTO {table} ({columnList}) FORMAT TabSeparated");
        var content = new TabSeparatedContent<TRow>(rows, writeRow, columns.Count, Options.CompressRequests, cancellationToken);
        await using var response = await OpenAsync(new Request(insert.Text, content, null, Retry: false), cancellationToken).ConfigureAwait(false);
        await response.DrainAsync().ConfigureAwait(false);
        return content.RowsWritten;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsHttp)
            _http.Dispose();
    }

    private static readonly IReadOnlyDictionary<string, string> JsonSettings =
        new Dictionary<string, string> { ["output_format_json_quote_64bit_integers"] = "0" };

    private bool ShouldRetry(ClickHouseException e, int attempt) =>
        attempt < Options.ReadRetry.MaxAttempts &&
        e is ClickHouseConnectionException or ClickHouseServerException { IsTransient: true };

    /// <summary>Sends a request and returns the open answer once its status is 200; retries reads.</summary>
    private async Task<OpenResponse> OpenAsync(Request request, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await OpenOnceAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (ClickHouseException e) when (request.Retry && ShouldRetry(e, attempt))
            {
                await Task.Delay(Options.ReadRetry.DelayAfter(attempt), cancellationToken).ConfigureAwait(false);
            }
            catch (ClickHouseException e)
            {
                e.Attempts = attempt;
                throw;
            }
        }
    }

    private async Task<OpenResponse> OpenOnceAsync(Request request, CancellationToken cancellationToken)
    {
        string queryId = request.QueryId ?? Guid.NewGuid().ToString("N");
        var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Options.QueryTimeout);
        HttpResponseMessage? response = null;
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, BuildUri(request, queryId));
            if (request.Body is { } body)
            {
                message.Content = body;
            }
            else
            {
                message.Content = new ByteArrayContent(StrictUtf8.GetBytes(request.Sql));
                message.Content.Headers.ContentType = new MediaTypeHeaderValue("text/plain") { CharSet = "utf-8" };
            }
            if (Options.CompressResponses)
                message.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
            if (Options.User is { } user)
                message.Headers.Authorization = new AuthenticationHeaderValue("Basic",
                    Convert.ToBase64String(StrictUtf8.GetBytes(user + ":" + (Options.Password ?? ""))));

            response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            var stream = await response.Content.ReadAsStreamAsync(timeout.Token).ConfigureAwait(false);
            if (response.Content.Headers.ContentEncoding.Contains("gzip", StringComparer.OrdinalIgnoreCase))
                stream = new GZipStream(stream, CompressionMode.Decompress);
            var open = new OpenResponse(this, response, stream, timeout, queryId, cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                await using (open)
                    throw await open.ReadErrorAsync().ConfigureAwait(false);
            }
            return open;
        }
        catch (Exception e) when (e is not ClickHouseException)
        {
            response?.Dispose();
            // HttpClient wraps a failure of the rows or of the row writer as a transport error; it is
            // the caller's own exception and must reach them unchanged.
            if (request.Body is ISourceFailure { SourceFailure: { } sourceFailure })
            {
                timeout.Dispose();
                ExceptionDispatchInfo.Throw(sourceFailure);
            }
            var mapped = Map(e, cancellationToken, timeout, queryId);
            timeout.Dispose();
            if (mapped is null)
                throw;
            throw mapped;
        }
    }

    /// <summary>
    /// Translates a transport failure: null (rethrow as is) when the caller cancelled, a timeout when
    /// our own limit fired, otherwise a connection failure. Exceptions that are not about transport
    /// (an unencodable string, a bug in a row writer) are also left as they are.
    /// </summary>
    private ClickHouseException? Map(Exception e, CancellationToken callerToken, CancellationTokenSource timeout, string queryId)
    {
        if (callerToken.IsCancellationRequested)
            return null;
        return e switch
        {
            OperationCanceledException when timeout.IsCancellationRequested =>
                new ClickHouseTimeoutException(Options.QueryTimeout, queryId, 1, e),
            OperationCanceledException or HttpRequestException or IOException =>
                new ClickHouseConnectionException($"Could not talk to ClickHouse at {Options.Endpoint}: {e.Message}", queryId, 1, e),
            _ => null,
        };
    }

    private Uri BuildUri(Request request, string queryId)
    {
        var query = new StringBuilder();
        void Add(string name, string value)
        {
            query.Append(query.Length == 0 ? '?' : '&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
        }

        if (request.UseDatabase)
            Add("database", Options.Database);
        Add("query_id", queryId);
        Add("max_execution_time", Math.Max(1, (long)Math.Ceiling(Options.QueryTimeout.TotalSeconds)).ToString(CultureInfo.InvariantCulture));
        if (Options.CompressResponses)
            Add("enable_http_compression", "1");
        if (request.Settings is { } settings)
            foreach (var (name, value) in settings)
                Add(name, value);
        if (request.Body is not null)
            Add("query", request.Sql);
        return new Uri(Options.Endpoint, query.ToString());
    }

    private static int CountTabs(string line) => line.AsSpan().Count('\t');

    private static string?[] SplitTabSeparated(string line, int columns)
    {
        var fields = new string?[columns];
        int start = 0;
        for (int i = 0; i < columns; i++)
        {
            int end = line.IndexOf('\t', start);
            if ((end < 0) != (i == columns - 1))
                throw new ClickHouseServerException(0, $"A row does not have the {columns} fields its header names: {line}", 200, null);
            if (end < 0)
                end = line.Length;
            fields[i] = Unescape(line.AsSpan(start, end - start));
            start = end + 1;
        }
        return fields;
    }

    /// <summary>Reads a TabSeparated field: <c>\N</c> is NULL; <c>\b \f \n \r \t \0 \\ \'</c> are unescaped.</summary>
    internal static string? Unescape(ReadOnlySpan<char> field)
    {
        if (field.Length == 2 && field[0] == '\\' && field[1] == 'N')
            return null;
        if (field.IndexOf('\\') < 0)
            return field.ToString();
        var sb = new StringBuilder(field.Length);
        for (int i = 0; i < field.Length; i++)
        {
            char c = field[i];
            if (c != '\\' || i + 1 == field.Length)
            {
                sb.Append(c);
                continue;
            }
            char e = field[++i];
            sb.Append(e switch
            {
                'b' => '\b',
                'f' => '\f',
                'n' => '\n',
                'r' => '\r',
                't' => '\t',
                '0' => '\0',
                'a' => '\a',
                'v' => '\v',
                _ => e,
            });
        }
        return sb.ToString();
    }

    private sealed record Request(string Sql, HttpContent? Body, IReadOnlyDictionary<string, string>? Settings, bool Retry)
    {
        public bool UseDatabase { get; init; } = true;

        /// <summary>The query id to send (a fresh one when null), for reading the query's log entry.</summary>
        public string? QueryId { get; init; }
    }

    /// <summary>An answer being read: maps failures while reading and owns the timeout.</summary>
    private sealed class OpenResponse(ClickHouseClient client, HttpResponseMessage response, Stream body,
        CancellationTokenSource timeout, string queryId, CancellationToken callerToken) : IAsyncDisposable
    {
        private StreamReader? _reader;

        public async Task<string?> ReadLineAsync()
        {
            _reader ??= new StreamReader(body, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16);
            try
            {
                return await _reader.ReadLineAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not ClickHouseException && client.Map(e, callerToken, timeout, queryId) is { } mapped)
            {
                throw mapped;
            }
        }

        public async Task<byte[]> ReadAllBytesAsync()
        {
            try
            {
                using var buffer = new MemoryStream();
                await body.CopyToAsync(buffer, timeout.Token).ConfigureAwait(false);
                return buffer.ToArray();
            }
            catch (Exception e) when (e is not ClickHouseException && client.Map(e, callerToken, timeout, queryId) is { } mapped)
            {
                throw mapped;
            }
        }

        public async Task DrainAsync()
        {
            var bytes = await ReadAllBytesAsync().ConfigureAwait(false);
            if (bytes.Length > 0 && ClickHouseServerException.TryParse(Encoding.UTF8.GetString(bytes), (int)response.StatusCode, queryId) is { } error)
                throw error;
        }

        public async Task<ClickHouseException> ReadErrorAsync()
        {
            string text;
            using (var reader = new StreamReader(body, Encoding.UTF8))
            {
                var buffer = new char[MaxErrorBodyChars];
                int read = await reader.ReadBlockAsync(buffer, timeout.Token).ConfigureAwait(false);
                text = new string(buffer, 0, read);
            }
            return ClickHouseServerException.TryParse(text, (int)response.StatusCode, queryId)
                ?? new ClickHouseServerException(0, $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}: {text.Trim()}", (int)response.StatusCode, queryId);
        }

        public ClickHouseServerException MidStreamError(string line) =>
            ClickHouseServerException.TryParse(line, (int)response.StatusCode, queryId)
            ?? new ClickHouseServerException(0, "Unexpected line in the result: " + line, (int)response.StatusCode, queryId);

        public ClickHouseServerException ErrorInBody(string text, Exception parseError)
        {
            int at = text.LastIndexOf("\nCode: ", StringComparison.Ordinal);
            var error = at >= 0 ? ClickHouseServerException.TryParse(text[(at + 1)..], (int)response.StatusCode, queryId) : null;
            return error ?? new ClickHouseServerException(0, "The answer is not valid JSON: " + parseError.Message, (int)response.StatusCode, queryId);
        }

        public async ValueTask DisposeAsync()
        {
            if (_reader is not null)
                _reader.Dispose();
            else
                await body.DisposeAsync().ConfigureAwait(false);
            response.Dispose();
            timeout.Dispose();
        }
    }

    /// <summary>An insert body written while it is sent: rows → TabSeparated → (gzip) → socket.</summary>
    private interface ISourceFailure
    {
        Exception? SourceFailure { get; }
    }

    private sealed class TabSeparatedContent<TRow> : HttpContent, ISourceFailure
    {
        private const int FlushBytes = 1 << 16;
        private readonly IAsyncEnumerable<TRow> _rows;
        private readonly Action<TRow, TabSeparatedRowWriter> _writeRow;
        private readonly int _columns;
        private readonly bool _gzip;
        private readonly CancellationToken _cancellationToken;

        public TabSeparatedContent(IAsyncEnumerable<TRow> rows, Action<TRow, TabSeparatedRowWriter> writeRow, int columns, bool gzip, CancellationToken cancellationToken)
        {
            _rows = rows;
            _writeRow = writeRow;
            _columns = columns;
            _gzip = gzip;
            _cancellationToken = cancellationToken;
            Headers.ContentType = new MediaTypeHeaderValue("text/tab-separated-values") { CharSet = "utf-8" };
            if (gzip)
                Headers.ContentEncoding.Add("gzip");
        }

        public long RowsWritten { get; private set; }

        public Exception? SourceFailure { get; private set; }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, _cancellationToken);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            var target = _gzip ? new GZipStream(stream, CompressionLevel.Fastest, leaveOpen: true) : stream;
            try
            {
                var writer = new TabSeparatedRowWriter(_columns);
                await using var rows = _rows.GetAsyncEnumerator(cancellationToken);
                while (true)
                {
                    try
                    {
                        if (!await rows.MoveNextAsync().ConfigureAwait(false))
                            break;
                        _writeRow(rows.Current, writer);
                        writer.EndRow();
                    }
                    catch (Exception e)
                    {
                        SourceFailure = e;
                        throw;
                    }
                    RowsWritten++;
                    if (writer.Length >= FlushBytes)
                    {
                        await target.WriteAsync(writer.Pending, cancellationToken).ConfigureAwait(false);
                        writer.Clear();
                    }
                }
                await target.WriteAsync(writer.Pending, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                if (_gzip)
                    await target.DisposeAsync().ConfigureAwait(false);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = -1;
            return false;
        }
    }
}
