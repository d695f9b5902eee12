-- dome inventory, schema version 1.
-- Times are Unix epoch milliseconds (INTEGER). JSON columns hold objects as
-- text. Query freely with sqlite3; only dome writes.

CREATE TABLE images (
	name        TEXT PRIMARY KEY,
	path        TEXT NOT NULL,               -- read-only directory: <root>/images/NAME
	digest      TEXT,                        -- sha256 of the content, when known
	size_bytes  INTEGER NOT NULL DEFAULT 0,
	init_cmd    TEXT NOT NULL DEFAULT '/sbin/init',
	stop_signal INTEGER NOT NULL DEFAULT 15, -- busybox init powers off on SIGUSR2 (12)
	shell       TEXT NOT NULL DEFAULT '/bin/sh',
	arch        TEXT NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL
);

CREATE TABLE containers (
	id              INTEGER PRIMARY KEY,
	name            TEXT NOT NULL UNIQUE,
	image           TEXT NOT NULL REFERENCES images(name) ON DELETE RESTRICT,
	state           TEXT NOT NULL DEFAULT 'stopped'
	                CHECK (state IN ('stopped','starting','running','frozen','stopping','error')),
	pid             INTEGER,                 -- init, as seen from the host
	pid_start       INTEGER,                 -- its start time (/proc/PID/stat field 22)
	monitor_pid     INTEGER,
	monitor_start   INTEGER,
	created_at      INTEGER NOT NULL,
	started_at      INTEGER,
	stopped_at      INTEGER,
	exit_code       INTEGER,                 -- last run: exit status, or NULL
	exit_signal     INTEGER,                 -- last run: killing signal, or NULL
	oom_kills       INTEGER NOT NULL DEFAULT 0,
	autostart       INTEGER NOT NULL DEFAULT 0 CHECK (autostart IN (0,1)),
	autostart_order INTEGER NOT NULL DEFAULT 0,
	autostart_delay INTEGER NOT NULL DEFAULT 0, -- seconds to wait after starting it
	net_mode        TEXT NOT NULL DEFAULT 'bridge' CHECK (net_mode IN ('bridge','none','host')),
	ipv4_static     TEXT                     -- requested address, or NULL to lease one
);

-- Limits; NULL means unlimited / kernel default.
CREATE TABLE limits (
	container_id INTEGER PRIMARY KEY REFERENCES containers(id) ON DELETE CASCADE,
	memory       INTEGER,                    -- bytes
	memory_swap  INTEGER,                    -- bytes of memory + swap (>= memory)
	cpu_weight   INTEGER CHECK (cpu_weight BETWEEN 1 AND 10000), -- cgroup v2 scale
	cpu_millis   INTEGER CHECK (cpu_millis > 0),                 -- quota in 1/1000 CPU
	cpuset       TEXT,
	pids         INTEGER CHECK (pids > 0)
);

CREATE TABLE io_limits (
	container_id INTEGER NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
	device       TEXT NOT NULL,              -- MAJ:MIN
	rbps INTEGER, wbps INTEGER, riops INTEGER, wiops INTEGER,
	PRIMARY KEY (container_id, device)
);

CREATE TABLE net_interfaces (
	container_id INTEGER NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
	ifname       TEXT NOT NULL,              -- inside the container (eth0)
	host_ifname  TEXT NOT NULL UNIQUE,       -- host end of the veth
	mac          TEXT NOT NULL,
	bridge       TEXT NOT NULL,
	PRIMARY KEY (container_id, ifname)
);

CREATE TABLE leases (
	address      INTEGER PRIMARY KEY,        -- IPv4 as a host-order integer
	container_id INTEGER NOT NULL UNIQUE REFERENCES containers(id) ON DELETE CASCADE,
	is_static    INTEGER NOT NULL DEFAULT 0,
	leased_at    INTEGER NOT NULL
);

-- The audit history: one row per change. The row is written as an intent
-- (result 'pending') before acting and completed after. Completed rows are
-- chained: seq orders them, hash = SHA-256 over the row's content and
-- prev_hash, so editing or deleting a completed row breaks the chain
-- (`dome history verify`). A pending row whose process is gone is completed as
-- 'interrupted' at the next start of dome.
CREATE TABLE changes (
	id          INTEGER PRIMARY KEY,
	seq         INTEGER UNIQUE,              -- position in the hash chain, NULL while pending
	started_at  INTEGER NOT NULL,
	ended_at    INTEGER,
	uid         INTEGER NOT NULL,
	user        TEXT NOT NULL,
	sudo_user   TEXT,
	login_uid   INTEGER,
	ssh_client  TEXT,
	tty         TEXT,
	host        TEXT NOT NULL,
	actor_pid   INTEGER NOT NULL,
	actor_start INTEGER NOT NULL,
	action      TEXT NOT NULL,
	target      TEXT NOT NULL,
	params      TEXT NOT NULL DEFAULT '{}',
	before      TEXT,
	after       TEXT,
	result      TEXT NOT NULL DEFAULT 'pending'
	            CHECK (result IN ('pending','ok','failed','interrupted')),
	error       TEXT,
	reason      TEXT,
	rollback_of INTEGER REFERENCES changes(id),
	prev_hash   TEXT,
	hash        TEXT
);
CREATE INDEX changes_target ON changes(target, id);
CREATE INDEX changes_action ON changes(action, id);
CREATE INDEX changes_user ON changes(user, id);
CREATE INDEX changes_result ON changes(result, id);
CREATE INDEX changes_started ON changes(started_at);

-- Things that happen to containers without anyone asking: exits, crashes,
-- OOM kills, limit hits. The incident report merges them with changes.
CREATE TABLE events (
	id        INTEGER PRIMARY KEY,
	at        INTEGER NOT NULL,
	container TEXT NOT NULL,
	kind      TEXT NOT NULL,                 -- started, exited, crashed, oom_kill, ...
	detail    TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_at ON events(at);

CREATE TABLE metric_samples (
	container_id INTEGER NOT NULL REFERENCES containers(id) ON DELETE CASCADE,
	at           INTEGER NOT NULL,
	cpu_usec     INTEGER,
	memory_bytes INTEGER,
	pids         INTEGER,
	rx_bytes     INTEGER,
	tx_bytes     INTEGER,
	PRIMARY KEY (container_id, at)
);
