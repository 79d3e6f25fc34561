using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Experiments.Jobs.ClickHouse;

namespace Experiments.Jobs.Tests;

[Collection(ClickHouseCollection.Name)]
public sealed class ClickHouseClientTests(ClickHouseServer server)
{
    [Fact]
    public async Task An_unknown_table_is_a_server_exception_with_code_60()
    {
        await using var db = await server.CreateDatabaseAsync("unknown_table");

        var error = await Assert.ThrowsAsync<ClickHouseServerException>(async () =>
        {
            await foreach (var _ in db.Client.QueryTabSeparatedAsync(ClickHouseSql.Format($"SELECT * FROM no_such_table"))) { }
        });

        Assert.Equal(60, error.ErrorCode);
        Assert.Contains("no_such_table", error.ServerMessage);
        Assert.DoesNotContain("e.displayText()", error.ServerMessage);
        Assert.NotNull(error.QueryId);
        Assert.Equal(1, error.Attempts); // not a transient error: not retried
    }

    [Fact]
    public async Task Syntax_errors_in_each_request_kind_carry_code_62()
    {
        using var client = server.Client("default");
        var bad = ClickHouseSql.Format($"SELEC 1");

        var onExecute = await Assert.ThrowsAsync<ClickHouseServerException>(() => client.ExecuteAsync(bad));
        var onJson = await Assert.ThrowsAsync<ClickHouseServerException>(() => client.QueryJsonAsync(bad));
        var onEachRow = await Assert.ThrowsAsync<ClickHouseServerException>(async () =>
        {
            await foreach (var _ in client.QueryJsonEachRowAsync(bad)) { }
        });

        Assert.All([onExecute, onJson, onEachRow], e => Assert.Equal(62, e.ErrorCode));
    }

    [Fact]
    public async Task An_error_after_rows_have_been_streamed_is_still_a_server_exception()
    {
        using var client = server.Client("default");
        // Enough rows that the server has flushed some with status 200 before throwIf fires.
        var query = ClickHouseSql.Format($"SELECT throwIf(number = 3000000) FROM system.numbers LIMIT 4000000 SETTINGS max_block_size = 10000");
        long rows = 0;

        var error = await Assert.ThrowsAsync<ClickHouseServerException>(async () =>
        {
            await foreach (var _ in client.QueryTabSeparatedAsync(query))
                rows++;
        });

        Assert.Equal(395, error.ErrorCode); // FUNCTION_THROW_IF_VALUE_IS_NON_ZERO
        Assert.Equal(200, error.HttpStatus);
        Assert.True(rows > 0, "The error should have come after some rows.");
    }

    [Fact]
    public async Task Connection_refused_is_retried_with_back_off_then_a_connection_exception()
    {
        var retry = new ClickHouseRetryPolicy(3, TimeSpan.FromMilliseconds(50), 2.0, TimeSpan.FromSeconds(1));
        using var client = new ClickHouseClient(new ClickHouseOptions { Endpoint = new Uri($"http://127.0.0.1:{UnusedPort()}/"), ReadRetry = retry });
        var watch = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<ClickHouseConnectionException>(() => client.QueryJsonAsync(ClickHouseSql.Format($"SELECT 1")));
        var elapsed = watch.Elapsed;
        var streamed = await Assert.ThrowsAsync<ClickHouseConnectionException>(async () =>
        {
            await foreach (var _ in client.QueryTabSeparatedAsync(ClickHouseSql.Format($"SELECT 1"))) { }
        });

        Assert.Equal(3, error.Attempts);
        Assert.Equal(3, streamed.Attempts);
        Assert.True(elapsed >= TimeSpan.FromMilliseconds(150), $"Two back-offs of 50 and 100 ms should have passed, not {elapsed}.");
        Assert.IsType<HttpRequestException>(error.InnerException);
    }

    [Fact]
    public async Task Inserts_and_statements_are_never_retried()
    {
        var retry = new ClickHouseRetryPolicy(5, TimeSpan.FromMilliseconds(10), 1.0, TimeSpan.FromSeconds(1));
        using var client = new ClickHouseClient(new ClickHouseOptions { Endpoint = new Uri($"http://127.0.0.1:{UnusedPort()}/"), ReadRetry = retry });

        var onExecute = await Assert.ThrowsAsync<ClickHouseConnectionException>(() => client.ExecuteAsync(ClickHouseSql.Format($"SELECT 1")));
        var onInsert = await Assert.ThrowsAsync<ClickHouseConnectionException>(() => new ExperimentEventLog(client).InsertConversionsAsync(
            Rows([new Conversion(new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc), 1, "de", 1.0)])));

        Assert.Equal(1, onExecute.Attempts);
        Assert.Equal(1, onInsert.Attempts);
    }

    [Fact]
    public async Task A_query_longer_than_the_timeout_is_a_timeout_exception_and_not_retried()
    {
        using var client = server.Client("default", timeout: TimeSpan.FromMilliseconds(500));

        var error = await Assert.ThrowsAsync<ClickHouseTimeoutException>(() => client.QueryJsonAsync(ClickHouseSql.Format($"SELECT sleep(2)")));

        Assert.Equal(TimeSpan.FromMilliseconds(500), error.Timeout);
        Assert.Equal(1, error.Attempts);
    }

    [Fact]
    public async Task Cancelling_the_callers_token_is_a_plain_cancellation()
    {
        using var client = server.Client("default");
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.QueryJsonAsync(ClickHouseSql.Format($"SELECT sleep(2)"), cancel.Token));
    }

    [Fact]
    public async Task A_million_rows_are_summed_while_streaming_without_holding_the_result()
    {
        using var client = server.Client("default");
        const long n = 1_000_000;
        // About 110 MB of text: far more than the heap is allowed to grow.
        var query = ClickHouseSql.Format($"SELECT number, {new string('x', 100)} FROM system.numbers LIMIT {n}");
        long sum = 0, rows = 0, padding = 0, peakHeap = 0;
        long baseline = GC.GetTotalMemory(forceFullCollection: true);

        await foreach (var row in client.QueryTabSeparatedAsync(query))
        {
            sum += long.Parse(row[0]!, System.Globalization.CultureInfo.InvariantCulture);
            padding += row[1]!.Length;
            if (++rows % 250_000 == 0)
                peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(forceFullCollection: true) - baseline);
        }

        Assert.Equal(n, rows);
        Assert.Equal(n * (n - 1) / 2, sum);
        Assert.Equal(n * 100, padding);
        Assert.True(peakHeap < 16 * 1024 * 1024, $"The heap grew by {peakHeap / 1024 / 1024} MB while streaming 110 MB.");
    }

    [Fact]
    public async Task Inserts_and_answers_are_gzip_compressed_on_the_wire_and_equal_uncompressed_ones()
    {
        await using var db = await server.CreateDatabaseAsync("gzip");
        var wire = new WireRecorder(new SocketsHttpHandler());
        using var http = new HttpClient(wire);
        using var gzipClient = server.Client(db.Name, http: http);
        using var plainClient = server.Client(db.Name, compress: false);
        var rows = Enumerable.Range(0, 20_000)
            .Select(i => new Conversion(new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(i), (ulong)i, i % 2 == 0 ? "de" : "fr", i * 0.25))
            .ToArray();

        long sent = await new ExperimentEventLog(gzipClient).InsertConversionsAsync(Rows(rows));
        var gzipRead = await gzipClient.QueryJsonAsync(ClickHouseSql.Format($"SELECT geo, count() AS n, sum(value) AS v FROM {ExperimentSchema.Conversions} GROUP BY geo ORDER BY geo"));
        var plainRead = await plainClient.QueryJsonAsync(ClickHouseSql.Format($"SELECT geo, count() AS n, sum(value) AS v FROM {ExperimentSchema.Conversions} GROUP BY geo ORDER BY geo"));

        Assert.Equal(rows.Length, sent);
        Assert.Contains("gzip", wire.RequestEncodings);
        Assert.Contains("gzip", wire.ResponseEncodings);
        Assert.Equal(plainRead.Rows.Select(r => r.GetRawText()), gzipRead.Rows.Select(r => r.GetRawText()));
        Assert.Equal(10_000L, gzipRead.Rows[0].GetProperty("n").GetClickHouseInt64());
        Assert.Equal(rows.Where(r => r.Geo == "de").Sum(r => r.Value), gzipRead.Rows[0].GetProperty("v").GetClickHouseDouble());
    }

    [Fact]
    public async Task Json_queries_return_the_servers_cost_statistics()
    {
        using var client = server.Client("default");

        var result = await client.QueryJsonAsync(ClickHouseSql.Format($"SELECT count() AS n, sum(number) AS s FROM (SELECT number FROM system.numbers LIMIT 123456)"));

        Assert.Equal(123456L, result.Rows[0].GetProperty("n").GetClickHouseInt64());
        Assert.Equal(123456L * 123455 / 2, result.Rows[0].GetProperty("s").GetClickHouseInt64());
        Assert.Equal(["n", "s"], result.Columns.Select(c => c.Name));
        Assert.Equal("UInt64", result.Columns[0].Type);
        Assert.True(result.Statistics.RowsRead >= 123456, $"rows_read = {result.Statistics.RowsRead}");
        Assert.True(result.Statistics.BytesRead >= 123456 * 8, $"bytes_read = {result.Statistics.BytesRead}");
        Assert.True(result.Statistics.Elapsed > TimeSpan.Zero);
    }

    [Fact]
    public async Task A_row_writer_failure_reaches_the_caller_unchanged()
    {
        await using var db = await server.CreateDatabaseAsync("writer_failure");
        var local = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Local);

        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            new ExperimentEventLog(db.Client).InsertConversionsAsync(Rows([new Conversion(local, 1, "de", 1.0)])));

        Assert.Contains("UTC", error.Message);
    }

    internal static async IAsyncEnumerable<T> Rows<T>(IEnumerable<T> rows)
    {
        foreach (var row in rows)
            yield return row;
        await Task.CompletedTask;
    }

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Records the Content-Encoding of requests and responses as they cross the wire.</summary>
    private sealed class WireRecorder(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        public List<string> RequestEncodings { get; } = [];

        public List<string> ResponseEncodings { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Content is not null)
                RequestEncodings.AddRange(request.Content.Headers.ContentEncoding);
            var response = await base.SendAsync(request, cancellationToken);
            ResponseEncodings.AddRange(response.Content.Headers.ContentEncoding);
            return response;
        }
    }
}
