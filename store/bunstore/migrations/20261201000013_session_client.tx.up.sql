-- What the host recorded of a session's client when it was minted
-- (token.ClientInfo: a printable user agent of at most 512 bytes and a
-- canonical IP address, never a secret; the service cleans both). NULL
-- for API tokens and for sessions minted without it.
ALTER TABLE ?schema.tokens
    ADD COLUMN client_user_agent text,
    ADD COLUMN client_ip text;
--bun:split
-- A user's live sessions, by ID: their keyset-paged listing, and ending
-- them (all, or those acting in one company).
CREATE INDEX tokens_user_sessions_idx ON ?schema.tokens (user_id, id) WHERE kind = 'ses' AND revoked_at IS NULL;
