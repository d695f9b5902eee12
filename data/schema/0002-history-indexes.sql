-- dome inventory, schema version 2: indexes that keep `dome history` pages
-- fast on millions of records (each page walks one index newest first and
-- stops after a page of rows).

-- `--actor NAME` matches the user or the user behind sudo.
CREATE INDEX changes_sudo_user ON changes(sudo_user, id) WHERE sudo_user IS NOT NULL;

-- `--failed`: failed and interrupted changes, newest first.
CREATE INDEX changes_failed ON changes(id) WHERE result IN ('failed','interrupted');

-- Events of one container, in time order.
CREATE INDEX events_container ON events(container, at);
