-- Password reset links share the login_links table: the same one-time
-- secret, stored as its SHA-256 digest, consumed by one conditional
-- UPDATE. kind is the kind of the secret ('lnk' login link, 'rst'
-- password reset link). A reset link belongs to a user, not to a
-- company: company_id is NULL for it and required for a login link.
-- The default only fills the rows already there; the service always
-- names the kind.
ALTER TABLE ?schema.login_links
    ADD COLUMN kind text NOT NULL DEFAULT 'lnk' CONSTRAINT login_links_kind_check CHECK (kind IN ('lnk', 'rst')),
    ALTER COLUMN company_id DROP NOT NULL,
    ADD CONSTRAINT login_links_company_check CHECK (kind <> 'lnk' OR company_id IS NOT NULL);
--bun:split
ALTER TABLE ?schema.login_links ALTER COLUMN kind DROP DEFAULT;
--bun:split
-- A new reset request revokes the user's open reset links. (Ending every
-- session of a user finds them through tokens_user_id_idx.)
CREATE INDEX login_links_open_reset_idx ON ?schema.login_links (user_id) WHERE kind = 'rst' AND used_at IS NULL AND revoked_at IS NULL;
