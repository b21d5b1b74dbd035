-- Tokens: API tokens of a company and session tokens of a user in one
-- table (kind tells them apart), and one-time login links. Only the
-- SHA-256 digest of a secret is stored, looked up through a unique index.
-- IDs and timestamps come from the service layer: no defaults.

CREATE TABLE ?schema.tokens (
    id           uuid PRIMARY KEY,
    kind         text NOT NULL CONSTRAINT tokens_kind_check CHECK (kind IN ('api', 'ses')),
    -- An API token dies with its company; a session acts in one company
    -- (moved only by SwitchSession) and dies with it too.
    company_id   uuid REFERENCES ?schema.companies (id) ON DELETE CASCADE,
    -- The creator of an API token, the user of a session.
    user_id      uuid NOT NULL REFERENCES ?schema.users (id) ON DELETE CASCADE,
    name         text NOT NULL,
    permissions  text[] NOT NULL,
    level        int NOT NULL,
    digest       bytea NOT NULL CONSTRAINT tokens_digest_key UNIQUE,
    hint         text NOT NULL,
    expires_at   timestamptz,
    last_used_at timestamptz,
    revoked_at   timestamptz,
    created_at   timestamptz NOT NULL,
    CONSTRAINT tokens_company_check CHECK (kind <> 'api' OR company_id IS NOT NULL),
    CONSTRAINT tokens_digest_length_check CHECK (length(digest) = 32)
);
--bun:split
CREATE INDEX tokens_company_id_idx ON ?schema.tokens (company_id, id) WHERE company_id IS NOT NULL;
--bun:split
CREATE INDEX tokens_user_id_idx ON ?schema.tokens (user_id);
--bun:split

CREATE TABLE ?schema.login_links (
    id         uuid PRIMARY KEY,
    company_id uuid NOT NULL REFERENCES ?schema.companies (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES ?schema.users (id) ON DELETE CASCADE,
    digest     bytea NOT NULL CONSTRAINT login_links_digest_key UNIQUE,
    -- No foreign key: informational.
    created_by uuid,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    revoked_at timestamptz,
    created_at timestamptz NOT NULL,
    CONSTRAINT login_links_digest_length_check CHECK (length(digest) = 32)
);
--bun:split
-- Re-issuing revokes the open links of a user in a company.
CREATE INDEX login_links_open_idx ON ?schema.login_links (company_id, user_id) WHERE used_at IS NULL AND revoked_at IS NULL;
--bun:split
CREATE INDEX login_links_user_id_idx ON ?schema.login_links (user_id);
