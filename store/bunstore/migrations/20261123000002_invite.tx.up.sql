-- Invitations: of a person into a company (kind 'member') and of another
-- company to connect (kind 'connection'). Only the SHA-256 of the token is
-- stored, looked up through a unique index. Expiry is computed at read time
-- from expires_at; status holds the stored state. IDs and timestamps come
-- from the service layer: no defaults.

CREATE TABLE ?schema.invitations (
    id            uuid PRIMARY KEY,
    company_id    uuid NOT NULL REFERENCES ?schema.companies (id) ON DELETE CASCADE,
    kind          text NOT NULL CONSTRAINT invitations_kind_check CHECK (kind IN ('member', 'connection')),
    email         text NOT NULL,
    role          text NOT NULL,
    permissions   text[] NOT NULL,
    relation      text NOT NULL,
    target_name   text NOT NULL,
    -- No foreign keys on these: pointers and history, kept as written.
    target_id     uuid,
    invited_by    uuid,
    invited_by_token uuid,
    status        text NOT NULL CONSTRAINT invitations_status_check
                  CHECK (status IN ('pending', 'accepted', 'rejected', 'revoked', 'expired')),
    token_hash    bytea NOT NULL CONSTRAINT invitations_token_hash_key UNIQUE,
    expires_at    timestamptz NOT NULL,
    send_count    int NOT NULL,
    last_sent_at  timestamptz NOT NULL,
    user_id       uuid,
    connection_id uuid,
    closed_at     timestamptz,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    CONSTRAINT invitations_token_hash_length_check CHECK (length(token_hash) = 32)
);
--bun:split
-- At most one pending invitation per company, kind and e-mail; terminal
-- ones never block a new one.
CREATE UNIQUE INDEX invitations_pending_key ON ?schema.invitations (company_id, kind, email) WHERE status = 'pending';
--bun:split
CREATE INDEX invitations_company_pending_idx ON ?schema.invitations (company_id, id) WHERE status = 'pending';
--bun:split
CREATE INDEX invitations_email_pending_idx ON ?schema.invitations (email, id) WHERE status = 'pending';
