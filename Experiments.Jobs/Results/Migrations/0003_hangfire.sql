-- Jobs moved from Quartz.NET to Hangfire, which keeps its own storage (a SQLite file of its own, or
-- the schema "hangfire" in PostgreSQL, created by Hangfire itself). The Quartz tables of migration 2
-- go, children before parents.
DROP TABLE IF EXISTS qrtz_fired_triggers;
DROP TABLE IF EXISTS qrtz_simple_triggers;
DROP TABLE IF EXISTS qrtz_cron_triggers;
DROP TABLE IF EXISTS qrtz_simprop_triggers;
DROP TABLE IF EXISTS qrtz_blob_triggers;
DROP TABLE IF EXISTS qrtz_triggers;
DROP TABLE IF EXISTS qrtz_job_details;
DROP TABLE IF EXISTS qrtz_calendars;
DROP TABLE IF EXISTS qrtz_paused_trigger_grps;
DROP TABLE IF EXISTS qrtz_paused_job_grps;
DROP TABLE IF EXISTS qrtz_scheduler_state;
DROP TABLE IF EXISTS qrtz_locks;
DROP TABLE IF EXISTS qrtz_execution_history;
DROP TABLE IF EXISTS qrtz_misfire_history;
DROP TABLE IF EXISTS qrtz_job_status;

-- One analysis of an experiment at a time, across processes: an attempt holds its experiment's lease
-- (renewed while it runs) and starts only when no other live attempt holds it. A lease left by a
-- killed process lapses at expires_at_ms; Hangfire's own locks are not used for this because a lock
-- left by a killed process on PostgreSQL outlives the recovery it would block.
CREATE TABLE analysis_leases (
    experiment_id   TEXT    NOT NULL PRIMARY KEY REFERENCES experiments (id),
    run_id          TEXT    NOT NULL,
    holder          TEXT    NOT NULL,   -- the attempt's token
    expires_at_ms   BIGINT  NOT NULL
);
