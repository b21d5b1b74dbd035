-- Erasing a user (access.Service.EraseUser) finds what is theirs without
-- a scan: the grants they hold as a user in any company (the unique key
-- leads with the company), and the invitations to their e-mail in any
-- status (invitations_email_pending_idx holds pending ones only). No new
-- constraint.
CREATE INDEX grants_subject_idx ON ?schema.grants (subject_type, subject_id);
--bun:split
CREATE INDEX invitations_email_idx ON ?schema.invitations (email);
