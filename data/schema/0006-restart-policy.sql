-- Per container: the restart policy its monitor applies when init leaves
-- without a `dome stop` (core/restart.h). restart_window in seconds, the
-- backoffs in milliseconds. restart_next_at (ms) is set while a monitor
-- waits to restart the container, NULL otherwise; a start, stop or
-- destroy meanwhile clears it, and the waiting monitor then gives up.
ALTER TABLE containers ADD COLUMN restart TEXT NOT NULL DEFAULT 'no'
	CHECK (restart IN ('no', 'on-failure', 'always'));
ALTER TABLE containers ADD COLUMN restart_max INTEGER NOT NULL DEFAULT 5
	CHECK (restart_max >= 0);
ALTER TABLE containers ADD COLUMN restart_window INTEGER NOT NULL DEFAULT 600
	CHECK (restart_window > 0);
ALTER TABLE containers ADD COLUMN restart_backoff INTEGER NOT NULL DEFAULT 100
	CHECK (restart_backoff > 0);
ALTER TABLE containers ADD COLUMN restart_backoff_max INTEGER NOT NULL DEFAULT 60000
	CHECK (restart_backoff_max >= restart_backoff);
ALTER TABLE containers ADD COLUMN restart_next_at INTEGER;
