using System.Data.Common;
using System.Globalization;
using Dapper;

namespace Experiments.Jobs.Results;

/// <summary>
/// Typed access to the results store through Dapper, with one SQL text for SQLite and PostgreSQL.
/// Every value travels as a parameter; no SQL is built from user text. Publication is atomic: a
/// run's results and its final status are written in one transaction or not at all, and results
/// are only ever inserted, under a version one above the last for their experiment and metric.
/// </summary>
public sealed class ResultsStore(ResultsDatabase database, TimeProvider clock)
{
    private const string RunColumns = """
        id AS Id, experiment_id AS ExperimentId, parameters AS Parameters, window_start AS WindowStart, window_end AS WindowEnd,
        status AS Status, stage AS Stage, reason AS Reason, rows_read AS RowsRead, bytes_read AS BytesRead,
        engine_version AS EngineVersion, contract_check_ms AS ContractCheckMs, query_ms AS QueryMs, engine_ms AS EngineMs,
        publish_ms AS PublishMs, attempts AS Attempts, next_attempt_at_ms AS NextAttemptAtMs, created_at_ms AS CreatedAtMs,
        started_at_ms AS StartedAtMs, finished_at_ms AS FinishedAtMs
        """;

    private const string ResultColumns = """
        experiment_id AS ExperimentId, metric AS Metric, version AS Version, run_id AS RunId,
        CASE WHEN is_final THEN 1 ELSE 0 END AS IsFinal, engine_version AS EngineVersion, window_start AS WindowStart,
        window_end AS WindowEnd, result AS Result, published_at_ms AS PublishedAtMs
        """;

    /// <summary>The database this store writes to.</summary>
    public ResultsDatabase Database => database;

    // ---- experiments -------------------------------------------------------------------------

    /// <summary>Validates and stores an experiment, replacing an earlier definition with the same id.</summary>
    /// <exception cref="ExperimentDefinitionException">The definition is not valid.</exception>
    public async Task SaveExperimentAsync(ExperimentDefinition experiment, CancellationToken cancellationToken = default)
    {
        experiment.Validate();
        long now = Now();
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO experiments (id, name, type, status, starts_on, ends_on, conversion_window_days, definition, created_at_ms, updated_at_ms)
            VALUES (@Id, @Name, @Type, @Status, @StartsOn, @EndsOn, @ConversionWindowDays, @Definition, @Now, @Now)
            ON CONFLICT (id) DO UPDATE SET
                name = excluded.name, type = excluded.type, status = excluded.status, starts_on = excluded.starts_on,
                ends_on = excluded.ends_on, conversion_window_days = excluded.conversion_window_days,
                definition = excluded.definition, updated_at_ms = excluded.updated_at_ms
            """,
            new
            {
                experiment.Id,
                experiment.Name,
                Type = Name(experiment.Type),
                Status = Name(experiment.Status),
                StartsOn = Day(experiment.ExperimentWindow.Start),
                EndsOn = Day(experiment.ExperimentWindow.End),
                experiment.ConversionWindowDays,
                Definition = ResultsJson.Serialize(experiment),
                Now = now,
            }, cancellationToken: cancellationToken));
    }

    /// <summary>The experiment with this id, or null.</summary>
    public async Task<ExperimentDefinition?> GetExperimentAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        string? json = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT definition FROM experiments WHERE id = @id", new { id }, cancellationToken: cancellationToken));
        return json is null ? null : ResultsJson.Deserialize<ExperimentDefinition>(json);
    }

    /// <summary>The experiments, optionally only those with one status, by id.</summary>
    public async Task<IReadOnlyList<ExperimentDefinition>> ListExperimentsAsync(ExperimentStatus? status = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT definition FROM experiments WHERE @status IS NULL OR status = @status ORDER BY id",
            new { status = status is { } s ? Name(s) : null }, cancellationToken: cancellationToken));
        return rows.Select(ResultsJson.Deserialize<ExperimentDefinition>).ToList();
    }

    /// <summary>Validates and stores a new experiment; false (nothing written) when the id is already registered.</summary>
    /// <exception cref="ExperimentDefinitionException">The definition is not valid.</exception>
    public async Task<bool> TryInsertExperimentAsync(ExperimentDefinition experiment, CancellationToken cancellationToken = default)
    {
        experiment.Validate();
        long now = Now();
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO experiments (id, name, type, status, starts_on, ends_on, conversion_window_days, definition, created_at_ms, updated_at_ms)
            VALUES (@Id, @Name, @Type, @Status, @StartsOn, @EndsOn, @ConversionWindowDays, @Definition, @Now, @Now)
            ON CONFLICT (id) DO NOTHING
            """, ExperimentRow(experiment, now), cancellationToken: cancellationToken)) > 0;
    }

    /// <summary>
    /// Replaces an experiment's definition only while its stored status is still <paramref name="expectedStatus"/>:
    /// false (nothing written) when it is unknown or another writer moved it meanwhile. A status change
    /// (a lifecycle transition) is a replacement whose definition carries the new status.
    /// </summary>
    /// <exception cref="ExperimentDefinitionException">The definition is not valid.</exception>
    public async Task<bool> TryReplaceExperimentAsync(ExperimentDefinition experiment, ExperimentStatus expectedStatus, CancellationToken cancellationToken = default)
    {
        experiment.Validate();
        long now = Now();
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = ExperimentRow(experiment, now);
        return await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE experiments
            SET name = @Name, type = @Type, status = @Status, starts_on = @StartsOn, ends_on = @EndsOn,
                conversion_window_days = @ConversionWindowDays, definition = @Definition, updated_at_ms = @Now
            WHERE id = @Id AND status = @ExpectedStatus
            """,
            new
            {
                row.Id, row.Name, row.Type, row.Status, row.StartsOn, row.EndsOn, row.ConversionWindowDays, row.Definition, row.Now,
                ExpectedStatus = Name(expectedStatus),
            }, cancellationToken: cancellationToken)) > 0;
    }

    private static ExperimentRowValues ExperimentRow(ExperimentDefinition experiment, long now) => new(
        experiment.Id, experiment.Name, Name(experiment.Type), Name(experiment.Status), Day(experiment.ExperimentWindow.Start),
        Day(experiment.ExperimentWindow.End), experiment.ConversionWindowDays, ResultsJson.Serialize(experiment), now);

    private sealed record ExperimentRowValues(string Id, string Name, string Type, string Status, string StartsOn, string EndsOn,
        int ConversionWindowDays, string Definition, long Now);

    /// <summary>
    /// One page of experiments by id, after the id <paramref name="afterId"/> (exclusive; null from the
    /// start), keeping those that match <paramref name="filter"/>: status and type in SQL, owner and tag
    /// over the definitions, read in batches (the registry holds experiments, not events: thousands at most).
    /// </summary>
    /// <param name="filter">What to keep.</param>
    /// <param name="afterId">The last id of the previous page, or null.</param>
    /// <param name="limit">The page size; one more is read to tell whether a next page exists.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <returns>At most <paramref name="limit"/> experiments, and whether more match after them.</returns>
    public async Task<(IReadOnlyList<ExperimentDefinition> Page, bool More)> ListExperimentsPageAsync(
        ExperimentFilter filter, string? afterId, int limit, CancellationToken cancellationToken = default)
    {
        const int batch = 500;
        var page = new List<ExperimentDefinition>(Math.Min(limit + 1, batch));
        await using var connection = await database.OpenAsync(cancellationToken);
        string? after = afterId;
        while (true)
        {
            var rows = (await connection.QueryAsync<(string Id, string Definition)>(new CommandDefinition("""
                SELECT id AS Id, definition AS Definition FROM experiments
                WHERE (@status IS NULL OR status = @status) AND (@type IS NULL OR type = @type) AND (@after IS NULL OR id > @after)
                ORDER BY id
                LIMIT @batch
                """,
                new
                {
                    status = filter.Status is { } s ? Name(s) : null,
                    type = filter.Type is { } t ? Name(t) : null,
                    after,
                    batch,
                }, cancellationToken: cancellationToken))).ToList();
            foreach (var (_, json) in rows)
            {
                var experiment = ResultsJson.Deserialize<ExperimentDefinition>(json);
                if (!filter.Matches(experiment))
                    continue;
                if (page.Count == limit)
                    return (page, true);
                page.Add(experiment);
            }
            if (rows.Count < batch)
                return (page, false);
            after = rows[^1].Id;
        }
    }

    // ---- runs --------------------------------------------------------------------------------

    /// <summary>Records a queued run.</summary>
    /// <exception cref="InvalidOperationException">The experiment does not exist.</exception>
    public async Task<AnalysisRun> CreateRunAsync(string experimentId, AnalysisParameters parameters, DateRange dataWindow, CancellationToken cancellationToken = default)
    {
        var id = Guid.NewGuid();
        await using var connection = await database.OpenAsync(cancellationToken);
        bool exists = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM experiments WHERE id = @experimentId", new { experimentId }, cancellationToken: cancellationToken)) > 0;
        if (!exists)
            throw new InvalidOperationException($"There is no experiment '{experimentId}'.");
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO analysis_runs (id, experiment_id, parameters, window_start, window_end, status, created_at_ms)
            VALUES (@Id, @ExperimentId, @Parameters, @WindowStart, @WindowEnd, @Status, @Now)
            """,
            new
            {
                Id = Key(id),
                ExperimentId = experimentId,
                Parameters = ResultsJson.Serialize(parameters),
                WindowStart = Day(dataWindow.Start),
                WindowEnd = Day(dataWindow.End),
                Status = Name(RunStatus.Queued),
                Now = Now(),
            }, cancellationToken: cancellationToken));
        return (await GetRunAsync(id, cancellationToken))!;
    }

    /// <summary>The run with this id, or null. Safe to poll while the run is in progress.</summary>
    public async Task<AnalysisRun?> GetRunAsync(Guid id, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<RunRow>(new CommandDefinition(
            $"SELECT {RunColumns} FROM analysis_runs WHERE id = @id", new { id = Key(id) }, cancellationToken: cancellationToken));
        return row?.ToRun();
    }

    /// <summary>An experiment's runs, newest first.</summary>
    public async Task<IReadOnlyList<AnalysisRun>> ListRunsAsync(string experimentId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<RunRow>(new CommandDefinition(
            $"SELECT {RunColumns} FROM analysis_runs WHERE experiment_id = @experimentId ORDER BY created_at_ms DESC, id",
            new { experimentId }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRun()).ToList();
    }

    /// <summary>Whether the experiment has a run that is queued, running or deferred.</summary>
    public async Task<bool> HasOpenRunAsync(string experimentId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM analysis_runs WHERE experiment_id = @experimentId AND status IN (@queued, @running, @deferred)",
            new { experimentId, queued = Name(RunStatus.Queued), running = Name(RunStatus.Running), deferred = Name(RunStatus.Deferred) },
            cancellationToken: cancellationToken)) > 0;
    }

    /// <summary>
    /// Starts an attempt, in one transaction: takes the experiment's lease for <paramref name="holder"/>
    /// until <paramref name="leaseDuration"/> from now (only when no other live attempt holds it), then
    /// the run becomes running, its attempt count goes up by one and the stage columns of an earlier
    /// attempt are cleared. A run that is unknown or already succeeded or failed is left alone (a
    /// recovered job then has nothing to do); a lease held elsewhere leaves everything as it was.
    /// </summary>
    /// <param name="id">The run.</param>
    /// <param name="holder">The attempt's token; renewing, publishing and releasing need it.</param>
    /// <param name="leaseDuration">How long the lease lasts unless renewed.</param>
    /// <param name="cancellationToken">Cancels before the commit.</param>
    public async Task<AttemptStart> StartAttemptAsync(Guid id, string holder, TimeSpan leaseDuration, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await ResultsDatabase.BeginWriteAsync(connection, cancellationToken);
        var run = await connection.QuerySingleOrDefaultAsync<RunRow>(new CommandDefinition(
            $"SELECT {RunColumns} FROM analysis_runs WHERE id = @id", new { id = Key(id) }, transaction, cancellationToken: cancellationToken));
        if (run is null || run.Status == Name(RunStatus.Succeeded) || run.Status == Name(RunStatus.Failed))
            return AttemptStart.Finished;

        long now = Now();
        // The upsert takes a free or lapsed lease and leaves a live one alone (0 rows): atomic on both
        // databases (PostgreSQL locks the conflicting row; SQLite's write lock is held since BEGIN IMMEDIATE).
        int taken = await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO analysis_leases (experiment_id, run_id, holder, expires_at_ms) VALUES (@experimentId, @runId, @holder, @expires)
            ON CONFLICT (experiment_id) DO UPDATE SET run_id = excluded.run_id, holder = excluded.holder, expires_at_ms = excluded.expires_at_ms
            WHERE analysis_leases.expires_at_ms <= @now
            """,
            new { experimentId = run.ExperimentId, runId = Key(id), holder, expires = now + (long)leaseDuration.TotalMilliseconds, now },
            transaction, cancellationToken: cancellationToken));
        if (taken == 0)
        {
            long expires = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT expires_at_ms FROM analysis_leases WHERE experiment_id = @experimentId",
                new { experimentId = run.ExperimentId }, transaction, cancellationToken: cancellationToken));
            return AttemptStart.Busy(run.ExperimentId, DateTimeOffset.FromUnixTimeMilliseconds(expires));
        }
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE analysis_runs
            SET status = @running, stage = NULL, reason = NULL, attempts = attempts + 1, started_at_ms = @now,
                next_attempt_at_ms = NULL, rows_read = 0, bytes_read = 0, contract_check_ms = NULL, query_ms = NULL,
                engine_ms = NULL, publish_ms = NULL, finished_at_ms = NULL
            WHERE id = @id
            """,
            new { id = Key(id), running = Name(RunStatus.Running), now }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return AttemptStart.Started((await GetRunAsync(id, CancellationToken.None))!);
    }

    /// <summary>Extends an attempt's lease; false when it no longer holds it (it lapsed and another attempt took it).</summary>
    public async Task<bool> RenewLeaseAsync(string experimentId, string holder, TimeSpan leaseDuration, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE analysis_leases SET expires_at_ms = @expires WHERE experiment_id = @experimentId AND holder = @holder",
            new { experimentId, holder, expires = Now() + (long)leaseDuration.TotalMilliseconds }, cancellationToken: cancellationToken)) > 0;
    }

    /// <summary>Gives an attempt's lease back, so the experiment's next attempt need not wait for it to lapse.</summary>
    public async Task ReleaseLeaseAsync(string experimentId, string holder, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM analysis_leases WHERE experiment_id = @experimentId AND holder = @holder",
            new { experimentId, holder }, cancellationToken: cancellationToken));
    }

    /// <summary>Marks the stage now in progress.</summary>
    public async Task EnterStageAsync(Guid id, RunStage stage, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE analysis_runs SET stage = @stage WHERE id = @id",
            new { id = Key(id), stage = Name(stage) }, cancellationToken: cancellationToken));
    }

    /// <summary>Records a finished stage's duration and adds what it read.</summary>
    /// <param name="id">The run.</param>
    /// <param name="stage">The stage that ended (not <see cref="RunStage.Publish"/>, which <see cref="PublishAsync"/> records).</param>
    /// <param name="duration">How long it took.</param>
    /// <param name="rowsRead">Rows it read.</param>
    /// <param name="bytesRead">Bytes it read.</param>
    /// <param name="engineVersion">The engine build, for the engine stage.</param>
    /// <param name="cancellationToken">Cancels the update.</param>
    public async Task RecordStageAsync(Guid id, RunStage stage, TimeSpan duration, long rowsRead = 0, long bytesRead = 0,
        string? engineVersion = null, CancellationToken cancellationToken = default)
    {
        // The column name comes from this switch over an enum, never from a caller's text.
        string column = stage switch
        {
            RunStage.ContractCheck => "contract_check_ms",
            RunStage.Query => "query_ms",
            RunStage.Engine => "engine_ms",
            _ => throw new ArgumentOutOfRangeException(nameof(stage), "The publish stage is recorded by PublishAsync."),
        };
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition($"""
            UPDATE analysis_runs
            SET {column} = @ms, rows_read = rows_read + @rowsRead, bytes_read = bytes_read + @bytesRead,
                engine_version = COALESCE(@engineVersion, engine_version)
            WHERE id = @id
            """,
            new { id = Key(id), ms = (long)duration.TotalMilliseconds, rowsRead, bytesRead, engineVersion },
            cancellationToken: cancellationToken));
    }

    /// <summary>Defers the run: the data is not complete yet. It is due again at <paramref name="retryAt"/>.</summary>
    public Task DeferAsync(Guid id, string reason, DateTimeOffset retryAt, CancellationToken cancellationToken = default) =>
        EndAttemptAsync(id, RunStatus.Deferred, reason, retryAt, finished: true, cancellationToken);

    /// <summary>Puts the run back in the queue after a transient failure; it is due again at <paramref name="retryAt"/>.</summary>
    public Task RequeueAsync(Guid id, string reason, DateTimeOffset retryAt, CancellationToken cancellationToken = default) =>
        EndAttemptAsync(id, RunStatus.Queued, reason, retryAt, finished: false, cancellationToken);

    /// <summary>Fails the run for good with a reason. Nothing it computed is published.</summary>
    public Task FailAsync(Guid id, string reason, CancellationToken cancellationToken = default) =>
        EndAttemptAsync(id, RunStatus.Failed, reason, null, finished: true, cancellationToken);

    /// <summary>
    /// Publishes a run's results and marks it succeeded, in one transaction: either every result
    /// and the status are written, or nothing is. Each result gets the next version of its
    /// experiment and metric; earlier versions stay as they were.
    /// </summary>
    /// <param name="runId">The running run.</param>
    /// <param name="results">One entry per metric.</param>
    /// <param name="isFinal">Final or provisional.</param>
    /// <param name="engineVersion">The engine build that produced them.</param>
    /// <param name="publishStarted">When the publish stage began (its duration is recorded up to the commit).</param>
    /// <param name="cancellationToken">Cancels before the commit.</param>
    /// <param name="leaseHolder">The attempt's lease token: publication needs the lease still held.</param>
    /// <exception cref="InvalidOperationException">The run is not running (it already finished elsewhere), or the attempt lost its lease.</exception>
    public async Task<IReadOnlyList<PublishedResult>> PublishAsync(Guid runId, IReadOnlyList<ResultToPublish> results, bool isFinal,
        string engineVersion, DateTimeOffset publishStarted, string leaseHolder, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await ResultsDatabase.BeginWriteAsync(connection, cancellationToken);
        var run = await connection.QuerySingleOrDefaultAsync<RunRow>(new CommandDefinition(
            $"SELECT {RunColumns} FROM analysis_runs WHERE id = @id", new { id = Key(runId) }, transaction, cancellationToken: cancellationToken));
        if (run is null || run.Status != Name(RunStatus.Running))
            throw new InvalidOperationException($"Run {runId} is {(run is null ? "unknown" : run.Status)}, not running; nothing was published.");
        bool holdsLease = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM analysis_leases WHERE experiment_id = @experimentId AND holder = @leaseHolder",
            new { experimentId = run.ExperimentId, leaseHolder }, transaction, cancellationToken: cancellationToken)) > 0;
        if (!holdsLease)
            throw new InvalidOperationException($"Run {runId}'s attempt no longer holds its experiment's lease (another attempt took it over); nothing was published.");
        long now = Now();
        var published = new List<PublishedResult>(results.Count);
        foreach (var result in results)
        {
            int version = (int)await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM published_results WHERE experiment_id = @experimentId AND metric = @metric",
                new { experimentId = run.ExperimentId, metric = result.Metric }, transaction, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO published_results (experiment_id, metric, version, run_id, is_final, engine_version, window_start, window_end, result, published_at_ms)
                VALUES (@ExperimentId, @Metric, @Version, @RunId, @IsFinal, @EngineVersion, @WindowStart, @WindowEnd, @Result, @Now)
                """,
                new
                {
                    run.ExperimentId,
                    result.Metric,
                    Version = version,
                    RunId = run.Id,
                    IsFinal = isFinal,
                    EngineVersion = engineVersion,
                    run.WindowStart,
                    run.WindowEnd,
                    Result = result.ResultJson,
                    Now = now,
                }, transaction, cancellationToken: cancellationToken));
            published.Add(new PublishedResult(run.ExperimentId, result.Metric, version, runId, isFinal, engineVersion,
                new DateRange(ParseDay(run.WindowStart), ParseDay(run.WindowEnd)), result.ResultJson, DateTimeOffset.FromUnixTimeMilliseconds(now)));
        }
        long publishMs = (long)(clock.GetUtcNow() - publishStarted).TotalMilliseconds;
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE analysis_runs
            SET status = @succeeded, stage = @publish, reason = NULL, publish_ms = @publishMs, engine_version = @engineVersion,
                finished_at_ms = @now, next_attempt_at_ms = NULL
            WHERE id = @id
            """,
            new { id = Key(runId), succeeded = Name(RunStatus.Succeeded), publish = Name(RunStage.Publish), publishMs, engineVersion, now },
            transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return published;
    }

    // ---- results -----------------------------------------------------------------------------

    /// <summary>Every published version of an experiment's results (optionally one metric), by metric then version.</summary>
    public async Task<IReadOnlyList<PublishedResult>> ListResultsAsync(string experimentId, string? metric = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<ResultRow>(new CommandDefinition($"""
            SELECT {ResultColumns} FROM published_results
            WHERE experiment_id = @experimentId AND (@metric IS NULL OR metric = @metric)
            ORDER BY metric, version
            """, new { experimentId, metric }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToResult()).ToList();
    }

    /// <summary>The latest version of one metric's result, or null.</summary>
    public async Task<PublishedResult?> GetLatestResultAsync(string experimentId, string metric, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<ResultRow>(new CommandDefinition($"""
            SELECT {ResultColumns} FROM published_results
            WHERE experiment_id = @experimentId AND metric = @metric
            ORDER BY version DESC
            LIMIT 1
            """, new { experimentId, metric }, cancellationToken: cancellationToken));
        return row?.ToResult();
    }

    /// <summary>
    /// The latest version of each metric's result of an experiment, by metric: one query, which
    /// reads only the newest row of each metric however many versions were published.
    /// </summary>
    public async Task<IReadOnlyList<PublishedResult>> ListLatestResultsAsync(string experimentId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<ResultRow>(new CommandDefinition($"""
            SELECT {ResultColumns} FROM published_results r
            WHERE experiment_id = @experimentId
              AND version = (SELECT MAX(version) FROM published_results m WHERE m.experiment_id = r.experiment_id AND m.metric = r.metric)
            ORDER BY metric
            """, new { experimentId }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToResult()).ToList();
    }

    /// <summary>One version of one metric's result, or null.</summary>
    public async Task<PublishedResult?> GetResultAsync(string experimentId, string metric, int version, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<ResultRow>(new CommandDefinition($"""
            SELECT {ResultColumns} FROM published_results
            WHERE experiment_id = @experimentId AND metric = @metric AND version = @version
            """, new { experimentId, metric, version }, cancellationToken: cancellationToken));
        return row?.ToResult();
    }

    // ---- reports -----------------------------------------------------------------------------

    /// <summary>Stores a rendered report.</summary>
    public async Task<Report> SaveReportAsync(string experimentId, Guid? runId, string format, string title, string content, CancellationToken cancellationToken = default)
    {
        var report = new Report(Guid.NewGuid(), experimentId, runId, format, title, content, DateTimeOffset.FromUnixTimeMilliseconds(Now()));
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO reports (id, experiment_id, run_id, format, title, content, created_at_ms)
            VALUES (@Id, @ExperimentId, @RunId, @Format, @Title, @Content, @CreatedAtMs)
            """,
            new
            {
                Id = Key(report.Id),
                report.ExperimentId,
                RunId = runId is { } r ? Key(r) : null,
                report.Format,
                report.Title,
                report.Content,
                CreatedAtMs = report.CreatedAt.ToUnixTimeMilliseconds(),
            }, cancellationToken: cancellationToken));
        return report;
    }

    /// <summary>An experiment's reports, newest first.</summary>
    public async Task<IReadOnlyList<Report>> ListReportsAsync(string experimentId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<ReportRow>(new CommandDefinition("""
            SELECT id AS Id, experiment_id AS ExperimentId, run_id AS RunId, format AS Format, title AS Title, content AS Content, created_at_ms AS CreatedAtMs
            FROM reports WHERE experiment_id = @experimentId ORDER BY created_at_ms DESC, id
            """, new { experimentId }, cancellationToken: cancellationToken));
        return rows.Select(r => new Report(Guid.Parse(r.Id), r.ExperimentId, r.RunId is null ? null : Guid.Parse(r.RunId), r.Format, r.Title,
            r.Content, DateTimeOffset.FromUnixTimeMilliseconds(r.CreatedAtMs))).ToList();
    }

    // ---- helpers -----------------------------------------------------------------------------

    private async Task EndAttemptAsync(Guid id, RunStatus status, string reason, DateTimeOffset? retryAt, bool finished, CancellationToken cancellationToken)
    {
        long now = Now();
        await using var connection = await database.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE analysis_runs
            SET status = @status, reason = @reason, next_attempt_at_ms = @retryAt, finished_at_ms = @finishedAt
            WHERE id = @id AND status NOT IN (@succeeded, @failed)
            """,
            new
            {
                id = Key(id),
                status = Name(status),
                reason,
                retryAt = retryAt?.ToUnixTimeMilliseconds(),
                finishedAt = finished ? now : (long?)null,
                succeeded = Name(RunStatus.Succeeded),
                failed = Name(RunStatus.Failed),
            }, cancellationToken: cancellationToken));
    }

    private long Now() => clock.GetUtcNow().ToUnixTimeMilliseconds();

    internal static string Key(Guid id) => id.ToString("D");

    internal static string Day(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    internal static DateOnly ParseDay(string day) => DateOnly.ParseExact(day, "yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>Enum values are stored as their camelCase names, as in the JSON.</summary>
    internal static string Name<T>(T value) where T : struct, Enum
    {
        string name = value.ToString();
        return char.ToLowerInvariant(name[0]) + name[1..];
    }

    private static T Parse<T>(string name) where T : struct, Enum => Enum.Parse<T>(name, ignoreCase: true);

    private static DateTimeOffset? Instant(long? ms) => ms is { } v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;

    private static TimeSpan? Duration(long? ms) => ms is { } v ? TimeSpan.FromMilliseconds(v) : null;

    private sealed class RunRow
    {
        public string Id { get; set; } = "";
        public string ExperimentId { get; set; } = "";
        public string Parameters { get; set; } = "";
        public string WindowStart { get; set; } = "";
        public string WindowEnd { get; set; } = "";
        public string Status { get; set; } = "";
        public string? Stage { get; set; }
        public string? Reason { get; set; }
        public long RowsRead { get; set; }
        public long BytesRead { get; set; }
        public string? EngineVersion { get; set; }
        public long? ContractCheckMs { get; set; }
        public long? QueryMs { get; set; }
        public long? EngineMs { get; set; }
        public long? PublishMs { get; set; }
        public long Attempts { get; set; }
        public long? NextAttemptAtMs { get; set; }
        public long CreatedAtMs { get; set; }
        public long? StartedAtMs { get; set; }
        public long? FinishedAtMs { get; set; }

        public AnalysisRun ToRun() => new(
            Guid.Parse(Id), ExperimentId, ResultsJson.Deserialize<AnalysisParameters>(Parameters),
            new DateRange(ParseDay(WindowStart), ParseDay(WindowEnd)), Parse<RunStatus>(Status),
            Stage is null ? null : Parse<RunStage>(Stage), Reason, RowsRead, BytesRead, EngineVersion,
            new StageDurations(Duration(ContractCheckMs), Duration(QueryMs), Duration(EngineMs), Duration(PublishMs)),
            (int)Attempts, Instant(NextAttemptAtMs), DateTimeOffset.FromUnixTimeMilliseconds(CreatedAtMs),
            Instant(StartedAtMs), Instant(FinishedAtMs));
    }

    private sealed class ResultRow
    {
        public string ExperimentId { get; set; } = "";
        public string Metric { get; set; } = "";
        public long Version { get; set; }
        public string RunId { get; set; } = "";
        public long IsFinal { get; set; }
        public string EngineVersion { get; set; } = "";
        public string WindowStart { get; set; } = "";
        public string WindowEnd { get; set; } = "";
        public string Result { get; set; } = "";
        public long PublishedAtMs { get; set; }

        public PublishedResult ToResult() => new(ExperimentId, Metric, (int)Version, Guid.Parse(RunId), IsFinal != 0, EngineVersion,
            new DateRange(ParseDay(WindowStart), ParseDay(WindowEnd)), Result, DateTimeOffset.FromUnixTimeMilliseconds(PublishedAtMs));
    }

    private sealed class ReportRow
    {
        public string Id { get; set; } = "";
        public string ExperimentId { get; set; } = "";
        public string? RunId { get; set; }
        public string Format { get; set; } = "";
        public string Title { get; set; } = "";
        public string Content { get; set; } = "";
        public long CreatedAtMs { get; set; }
    }
}
