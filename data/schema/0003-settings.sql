-- Settings changed at run time (`dome net subnet=...`): they override the
-- config file (the environment and the command line still override them),
-- and every change to them is an audited change that can be rolled back.
CREATE TABLE settings (
	section    TEXT NOT NULL,
	name       TEXT NOT NULL,
	value      TEXT NOT NULL,
	changed_at INTEGER NOT NULL,
	PRIMARY KEY (section, name)
);
