-- devlog (seed 004), cloud schema version 2: the seed's "TimescaleDB Setup" for agent_events.
-- With TimescaleDB available (and preloaded) it runs the seed's setup as written: hypertable
-- with 1-day chunks, compression after 7 days, 1-year retention policy, the continuous
-- aggregate agent_events_hourly and its refresh policy. On a stock PostgreSQL it builds the
-- equivalent from plain objects: agent_events stays a table, agent_events_hourly is a
-- materialized view with the same columns, refreshed by refresh_agent_events_hourly(), and
-- retention is apply_agent_events_retention(). devlog_timeseries_backend() tells which path
-- was taken: 'timescaledb' or 'plain'. Re-runnable on either path.

-- Which backend holds agent_events: 'timescaledb' when it is a hypertable, else 'plain'.
CREATE OR REPLACE FUNCTION devlog_timeseries_backend() RETURNS text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    is_hypertable boolean := false;
BEGIN
    IF to_regclass('timescaledb_information.hypertables') IS NOT NULL THEN
        EXECUTE 'SELECT EXISTS (SELECT 1 FROM timescaledb_information.hypertables
                                 WHERE hypertable_name = ''agent_events'')'
            INTO is_hypertable;
    END IF;
    RETURN CASE WHEN is_hypertable THEN 'timescaledb' ELSE 'plain' END;
END;
$$;

DO $$
BEGIN
    -- TimescaleDB can only be created when the server preloads it; an extension that is
    -- merely "available" would make CREATE EXTENSION fail, so that server takes the plain path.
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')
       OR (EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb')
           AND current_setting('shared_preload_libraries') ILIKE '%timescaledb%') THEN
        -- Every statement is dynamic so that this block also compiles where the extension's
        -- functions do not exist.
        EXECUTE 'CREATE EXTENSION IF NOT EXISTS timescaledb';
        IF devlog_timeseries_backend() = 'plain' THEN
            -- A hypertable needs its time column in every unique index: the primary key
            -- becomes (id, "timestamp"), under the same name. Row identity stays id (a uuid).
            IF EXISTS (SELECT 1 FROM pg_constraint
                        WHERE conname = 'agent_events_pkey'
                          AND conrelid = to_regclass('agent_events')
                          AND array_length(conkey, 1) = 1) THEN
                EXECUTE 'ALTER TABLE "agent_events" DROP CONSTRAINT "agent_events_pkey"';
                EXECUTE 'ALTER TABLE "agent_events" ADD CONSTRAINT "agent_events_pkey" PRIMARY KEY ("id", "timestamp")';
            END IF;
            EXECUTE $sql$SELECT create_hypertable('agent_events', 'timestamp',
                chunk_time_interval => INTERVAL '1 day', if_not_exists => TRUE, migrate_data => TRUE)$sql$;
            EXECUTE $sql$ALTER TABLE agent_events SET (
                timescaledb.compress,
                timescaledb.compress_segmentby = 'project_id, agent_id, event_type',
                timescaledb.compress_orderby = 'timestamp DESC')$sql$;
        END IF;
        EXECUTE $sql$SELECT add_compression_policy('agent_events', INTERVAL '7 days', if_not_exists => TRUE)$sql$;
        EXECUTE $sql$SELECT add_retention_policy('agent_events', INTERVAL '1 year', if_not_exists => TRUE)$sql$;
        IF to_regclass('agent_events_hourly') IS NULL THEN
            -- WITH NO DATA: Ferry runs each migration in a transaction, where a continuous
            -- aggregate cannot be filled; the refresh policy fills it.
            EXECUTE $sql$CREATE MATERIALIZED VIEW agent_events_hourly
                WITH (timescaledb.continuous) AS
                SELECT
                  time_bucket('1 hour', timestamp) AS bucket,
                  project_id,
                  agent_id,
                  event_type,
                  COUNT(*) as event_count,
                  AVG((metrics->>'duration')::int) as avg_duration
                FROM agent_events
                GROUP BY bucket, project_id, agent_id, event_type
                WITH NO DATA$sql$;
        END IF;
        EXECUTE $sql$SELECT add_continuous_aggregate_policy('agent_events_hourly',
                start_offset => INTERVAL '1 day',
                end_offset => INTERVAL '1 hour',
                schedule_interval => INTERVAL '10 minutes',
                if_not_exists => TRUE)$sql$;
    ELSE
        -- Stock PostgreSQL: the same hourly statistics as a materialized view. Buckets are
        -- hours in UTC, like time_bucket's, whatever the session's TimeZone.
        CREATE MATERIALIZED VIEW IF NOT EXISTS agent_events_hourly AS
        SELECT
            date_trunc('hour', "timestamp", 'UTC') AS bucket,
            project_id,
            agent_id,
            event_type,
            COUNT(*) AS event_count,
            AVG((metrics->>'duration')::int) AS avg_duration
        FROM agent_events
        GROUP BY bucket, project_id, agent_id, event_type;
        CREATE INDEX IF NOT EXISTS agent_events_hourly_bucket_idx ON agent_events_hourly (bucket DESC);
    END IF;
END;
$$;

-- Recomputes agent_events_hourly from agent_events (plain path). With TimescaleDB the refresh
-- policy keeps the continuous aggregate current and a refresh cannot run inside a function,
-- so this only says so.
CREATE OR REPLACE FUNCTION refresh_agent_events_hourly() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF devlog_timeseries_backend() = 'timescaledb' THEN
        RAISE NOTICE 'agent_events_hourly is a continuous aggregate refreshed by its policy; '
                     'to force it, CALL refresh_continuous_aggregate(''agent_events_hourly'', NULL, NULL) '
                     'outside a transaction';
    ELSE
        REFRESH MATERIALIZED VIEW agent_events_hourly;
    END IF;
END;
$$;

-- Deletes agent events older than `keep` (default: the seed's 1-year retention) and returns
-- how many rows were deleted. On the plain path this is the retention policy (run it from a
-- scheduler); with TimescaleDB the policy drops whole chunks and this deletes the rest on demand.
CREATE OR REPLACE FUNCTION apply_agent_events_retention(keep interval DEFAULT INTERVAL '1 year')
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    deleted bigint;
BEGIN
    IF keep IS NULL OR keep <= INTERVAL '0' THEN
        RAISE EXCEPTION 'apply_agent_events_retention: keep must be a positive interval, got %', keep
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    DELETE FROM "agent_events" WHERE "timestamp" < CURRENT_TIMESTAMP - keep;
    GET DIAGNOSTICS deleted = ROW_COUNT;
    RETURN deleted;
END;
$$;
