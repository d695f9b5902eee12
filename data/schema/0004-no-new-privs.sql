-- Per container: run init and everything exec'd in with no_new_privs, so no
-- setuid or file-capability program inside can gain privileges.
ALTER TABLE containers ADD COLUMN no_new_privs INTEGER NOT NULL DEFAULT 0
	CHECK (no_new_privs IN (0, 1));
