-- The results store: experiment definitions, analysis runs, published results and reports.
-- One script for SQLite and PostgreSQL: only types both accept (TEXT, BIGINT, INTEGER, BOOLEAN).
-- Instants are Unix milliseconds (UTC) in *_at_ms columns; calendar days are ISO dates
-- ('2024-03-01') in TEXT, which sort and compare as dates; JSON is TEXT.

-- An experiment's definition as validated JSON, plus the columns that queries filter on.
CREATE TABLE experiments (
    id                      TEXT    NOT NULL PRIMARY KEY,
    name                    TEXT    NOT NULL,
    type                    TEXT    NOT NULL,   -- 'ab' or 'geo'
    status                  TEXT    NOT NULL,   -- 'draft', 'running', 'completed', 'archived'
    starts_on               TEXT    NOT NULL,   -- first day of the experiment window
    ends_on                 TEXT    NOT NULL,   -- last day of the experiment window (inclusive)
    conversion_window_days  INTEGER NOT NULL,
    definition              TEXT    NOT NULL,
    created_at_ms           BIGINT  NOT NULL,
    updated_at_ms           BIGINT  NOT NULL
);
CREATE INDEX ix_experiments_status ON experiments (status, ends_on);

-- One analysis of one experiment over one data window. Stage columns are written as each stage
-- ends, so a run's progress can be read while it runs.
CREATE TABLE analysis_runs (
    id                  TEXT    NOT NULL PRIMARY KEY,
    experiment_id       TEXT    NOT NULL REFERENCES experiments (id),
    parameters          TEXT    NOT NULL,
    window_start        TEXT    NOT NULL,
    window_end          TEXT    NOT NULL,
    status              TEXT    NOT NULL,   -- 'queued', 'running', 'succeeded', 'failed', 'deferred'
    stage               TEXT    NULL,       -- the stage in progress, while running
    reason              TEXT    NULL,       -- why it failed, was deferred or is being retried
    rows_read           BIGINT  NOT NULL DEFAULT 0,
    bytes_read          BIGINT  NOT NULL DEFAULT 0,
    engine_version      TEXT    NULL,
    contract_check_ms   BIGINT  NULL,
    query_ms            BIGINT  NULL,
    engine_ms           BIGINT  NULL,
    publish_ms          BIGINT  NULL,
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at_ms  BIGINT  NULL,
    created_at_ms       BIGINT  NOT NULL,
    started_at_ms       BIGINT  NULL,
    finished_at_ms      BIGINT  NULL
);
CREATE INDEX ix_analysis_runs_experiment ON analysis_runs (experiment_id, created_at_ms);
CREATE INDEX ix_analysis_runs_status ON analysis_runs (status);

-- Published results are only ever inserted: a new run adds version n + 1 for its experiment and
-- metric, and the primary key makes a second writer of the same version fail instead of overwrite.
CREATE TABLE published_results (
    experiment_id   TEXT    NOT NULL REFERENCES experiments (id),
    metric          TEXT    NOT NULL,
    version         INTEGER NOT NULL,
    run_id          TEXT    NOT NULL REFERENCES analysis_runs (id),
    is_final        BOOLEAN NOT NULL,
    engine_version  TEXT    NOT NULL,
    window_start    TEXT    NOT NULL,
    window_end      TEXT    NOT NULL,
    result          TEXT    NOT NULL,
    published_at_ms BIGINT  NOT NULL,
    PRIMARY KEY (experiment_id, metric, version)
);
CREATE INDEX ix_published_results_run ON published_results (run_id);

-- Rendered reports (executive summaries), kept like results: one row per rendering.
CREATE TABLE reports (
    id              TEXT    NOT NULL PRIMARY KEY,
    experiment_id   TEXT    NOT NULL REFERENCES experiments (id),
    run_id          TEXT    NULL REFERENCES analysis_runs (id),
    format          TEXT    NOT NULL,   -- 'html' or 'json'
    title           TEXT    NOT NULL,
    content         TEXT    NOT NULL,
    created_at_ms   BIGINT  NOT NULL
);
CREATE INDEX ix_reports_experiment ON reports (experiment_id, created_at_ms);
