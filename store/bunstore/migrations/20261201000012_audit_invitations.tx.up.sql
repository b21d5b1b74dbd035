-- Audit trail filters and invitation send limits.
--
-- The audit listing is ordered by (at, id), and every filter has an index
-- leading with (company_id, <filter>) and ending in (at, id), so a filtered
-- page is one index range, as cheap as an unfiltered one; a time range is a
-- range of the same indexes. action_family is the action's first segment
-- ('membership' of 'membership.role_changed'): the action filter matches
-- whole segments, so its common form is an equality on it. Adding the
-- generated column rewrites the table once.
ALTER TABLE ?schema.audit_events ADD COLUMN action_family text GENERATED ALWAYS AS (split_part(action, '.', 1)) STORED;
--bun:split
CREATE INDEX audit_events_company_at_idx ON ?schema.audit_events (company_id, at, id);
--bun:split
CREATE INDEX audit_events_company_actor_idx ON ?schema.audit_events (company_id, actor, at, id);
--bun:split
CREATE INDEX audit_events_company_target_idx ON ?schema.audit_events (company_id, target, at, id);
--bun:split
CREATE INDEX audit_events_company_family_idx ON ?schema.audit_events (company_id, action_family, at, id);
--bun:split
CREATE INDEX audit_events_company_outcome_idx ON ?schema.audit_events (company_id, outcome, at, id);
--bun:split
-- Ordered by (company_id, id) no listing reads it any more.
DROP INDEX ?schema.audit_events_company_id_idx;
--bun:split
-- Invitation listings in any status, with a status filter.
CREATE INDEX invitations_company_id_idx ON ?schema.invitations (company_id, id);
--bun:split
CREATE INDEX invitations_company_status_idx ON ?schema.invitations (company_id, status, id);
--bun:split
-- The send log the hourly limits count (invite.Store.RecordSend): one row
-- per invitation sent (created, refreshed, resent) by a company and an
-- inviter (NULL: the system). Counted under the company's row lock, so
-- the limits are exact across processes; rows older than the window are
-- pruned by the company's next send. No keys: a log, never updated.
CREATE TABLE ?schema.invitation_sends (
    company_id    uuid NOT NULL,
    inviter_id    uuid,
    invitation_id uuid NOT NULL,
    sent_at       timestamptz NOT NULL
);
--bun:split
CREATE INDEX invitation_sends_company_idx ON ?schema.invitation_sends (company_id, sent_at);
--bun:split
CREATE INDEX invitation_sends_inviter_idx ON ?schema.invitation_sends (company_id, inviter_id, sent_at);
