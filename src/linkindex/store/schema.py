"""The database schema, as a list of migrations applied in order.

``meta.schema_version`` says how many have run. To change the schema, append a step;
never edit one that has shipped.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: the whole first schema
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);

    CREATE TABLE notes (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,          -- absolute path as imported
        title TEXT NOT NULL DEFAULT '',
        category TEXT NOT NULL DEFAULT '',
        tags TEXT NOT NULL DEFAULT '[]',    -- JSON list
        date TEXT,                          -- YYYY-MM-DD
        size INTEGER,
        mtime_ns INTEGER,
        sha256 TEXT,
        imported_at TEXT,
        removed_at TEXT                     -- the file vanished from an imported folder
    );

    CREATE TABLE links (
        id INTEGER PRIMARY KEY,
        canonical_url TEXT NOT NULL UNIQUE,
        url TEXT NOT NULL,                  -- as first written in the notes
        site TEXT NOT NULL,
        host TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'new', -- models.STATUSES
        first_seen_at TEXT NOT NULL,
        removed_at TEXT,                    -- no placement left in the notes
        final_url TEXT,
        http_status INTEGER,
        etag TEXT,
        last_modified TEXT,
        content_hash TEXT,                  -- hash of the last body fetched
        fetched_at TEXT,                    -- last fetch that got a body (ok)
        checked_at TEXT,                    -- last fetch attempt of any outcome
        next_fetch_at TEXT,                 -- when the link is due again (NULL: now)
        fail_count INTEGER NOT NULL DEFAULT 0,
        unchanged_count INTEGER NOT NULL DEFAULT 0,
        dead_count INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        archive_url TEXT,
        change_seq INTEGER NOT NULL DEFAULT 0  -- bumped on every change; drives the index
    );
    CREATE INDEX links_status ON links(status);
    CREATE INDEX links_due ON links(next_fetch_at);
    CREATE INDEX links_seq ON links(change_seq);
    CREATE INDEX links_host ON links(host);

    CREATE TABLE placements (
        id INTEGER PRIMARY KEY,
        link_id INTEGER NOT NULL REFERENCES links(id),
        note_id INTEGER NOT NULL REFERENCES notes(id),
        line INTEGER NOT NULL,
        topic TEXT NOT NULL DEFAULT '[]',   -- JSON list of headings, outermost first
        title TEXT NOT NULL DEFAULT '',
        description TEXT NOT NULL DEFAULT '',
        label TEXT NOT NULL DEFAULT '',
        raw_url TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX placements_link ON placements(link_id);
    CREATE INDEX placements_note ON placements(note_id);

    CREATE TABLE pages (
        link_id INTEGER PRIMARY KEY REFERENCES links(id),
        title TEXT NOT NULL DEFAULT '',
        author TEXT NOT NULL DEFAULT '',
        account TEXT NOT NULL DEFAULT '',
        published_at TEXT,
        description TEXT NOT NULL DEFAULT '',
        text TEXT NOT NULL DEFAULT '',
        language TEXT NOT NULL DEFAULT '',
        extractor TEXT NOT NULL DEFAULT '',
        from_archive INTEGER NOT NULL DEFAULT 0,
        snapshot_hash TEXT,
        extracted_at TEXT,
        extra TEXT NOT NULL DEFAULT '{}'    -- JSON
    );

    CREATE TABLE fetches (
        id INTEGER PRIMARY KEY,
        link_id INTEGER NOT NULL REFERENCES links(id),
        started_at TEXT NOT NULL,
        outcome TEXT NOT NULL,
        http_status INTEGER,
        url TEXT NOT NULL DEFAULT '',
        final_url TEXT NOT NULL DEFAULT '',
        elapsed_ms INTEGER NOT NULL DEFAULT 0,
        bytes INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 1,
        content_hash TEXT,
        error TEXT NOT NULL DEFAULT '',
        redirects TEXT NOT NULL DEFAULT '[]',  -- JSON list of [status, url]
        from_archive INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX fetches_link ON fetches(link_id);

    CREATE TABLE snapshots (
        hash TEXT PRIMARY KEY,              -- sha256 of the raw body
        size INTEGER NOT NULL,
        stored_size INTEGER NOT NULL,
        content_type TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
    );

    CREATE TABLE link_snapshots (           -- the versions of a link's content
        link_id INTEGER NOT NULL REFERENCES links(id),
        hash TEXT NOT NULL REFERENCES snapshots(hash),
        fetched_at TEXT NOT NULL,
        from_archive INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (link_id, hash)
    );

    CREATE TABLE hosts (
        host TEXT PRIMARY KEY,
        cooldown_until TEXT,
        blocked_count INTEGER NOT NULL DEFAULT 0,
        last_blocked_at TEXT,
        reason TEXT NOT NULL DEFAULT ''
    );

    CREATE TABLE runs (                     -- one per update/crawl/import run
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL DEFAULT 'running',  -- running, done, interrupted, failed
        summary TEXT NOT NULL DEFAULT '{}'        -- JSON
    );

    CREATE TABLE events (                   -- what changed, for reports
        id INTEGER PRIMARY KEY,
        run_id INTEGER REFERENCES runs(id),
        link_id INTEGER REFERENCES links(id),
        kind TEXT NOT NULL,  -- new, removed, dead, recovered, archived, changed, blocked, error
        at TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX events_at ON events(at);
    """,
    # 2: the figures of the pages, stored once each (HOME/images/ab/<sha256>)
    """
    CREATE TABLE images (
        sha256 TEXT PRIMARY KEY,            -- of the picture's bytes; names its file
        content_type TEXT NOT NULL,         -- from the bytes: image/png, jpeg, gif, webp
        bytes INTEGER NOT NULL,
        width INTEGER,                      -- from the header, when it tells
        height INTEGER,
        created_at TEXT NOT NULL
    );

    CREATE TABLE link_images (              -- the figures of a link's page, in order
        link_id INTEGER NOT NULL REFERENCES links(id),
        position INTEGER NOT NULL,          -- 0-based, in document order
        url TEXT NOT NULL,                  -- the figure's address in the page
        paragraph INTEGER NOT NULL,         -- paragraphs of the page text before it
        alt TEXT NOT NULL DEFAULT '',
        sha256 TEXT REFERENCES images(sha256),  -- set once stored
        state TEXT NOT NULL DEFAULT 'pending',  -- pending, stored, failed (retried), refused
        error TEXT NOT NULL DEFAULT '',
        from_archive INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (link_id, position)
    );
    CREATE INDEX link_images_sha ON link_images(sha256);
    CREATE INDEX link_images_url ON link_images(url);
    CREATE INDEX link_images_state ON link_images(state);

    CREATE TABLE image_placeholders (       -- bytes a host sends instead of a figure
        sha256 TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        found_at TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT ''
    );

    -- 1 once the page's figures were looked for (pages stored before: from their snapshot)
    ALTER TABLE pages ADD COLUMN figures_seen INTEGER NOT NULL DEFAULT 0;
    """,
    # 3: which fetch engine got each answer and each page (http, or browser: Chromium)
    """
    ALTER TABLE fetches ADD COLUMN engine TEXT NOT NULL DEFAULT 'http';
    ALTER TABLE pages ADD COLUMN engine TEXT NOT NULL DEFAULT 'http';
    """,
    # 4: a snapshot whose file was lost, once `doctor --repair` sent its links back to the
    # crawl (cleared when the body is stored again)
    """
    ALTER TABLE snapshots ADD COLUMN lost_at TEXT;
    """,
]

SCHEMA_VERSION = len(MIGRATIONS)
