-- Events (exits, crashes, OOM kills...) join the tamper evidence: each new
-- row gets a position in a hash chain of its own, like changes. hash is the
-- SHA-256 of (seq, at, container, kind, detail, prev_hash), encoded as for
-- changes (dome-history(7)). Rows from before this schema keep seq NULL:
-- `dome history verify` counts them as not chained.
ALTER TABLE events ADD COLUMN seq INTEGER;
ALTER TABLE events ADD COLUMN prev_hash TEXT;
ALTER TABLE events ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX events_seq ON events(seq);
