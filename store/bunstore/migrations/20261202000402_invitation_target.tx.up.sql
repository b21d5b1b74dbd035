-- One pending invitation per company, kind, e-mail and target
-- (invite.Invitation.Target): inviting the same person to connect a
-- different company is a second invitation, never a retargeted one. The
-- key is computed by package invite and stored as the invitation is
-- created; the pending rows already stored get it here (lower() as the
-- service's case-insensitive comparison, for names already trimmed).
ALTER TABLE ?schema.invitations ADD COLUMN target_key text NOT NULL DEFAULT '';
--bun:split
UPDATE ?schema.invitations SET target_key = CASE WHEN target_id IS NOT NULL THEN 'id:' || target_id::text
    ELSE 'name:' || lower(target_name) END
WHERE kind = 'connection';
--bun:split
DROP INDEX ?schema.invitations_pending_key;
--bun:split
CREATE UNIQUE INDEX invitations_pending_key ON ?schema.invitations (company_id, kind, email, target_key) WHERE status = 'pending';
