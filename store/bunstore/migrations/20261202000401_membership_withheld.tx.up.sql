-- The permissions of a member's role withheld from them (seed 003's
-- remove_roles of a role's permission; access.Membership.Withheld). The
-- check reads it in its one statement from the membership row it already
-- fetches, so no index. Existing memberships withhold nothing.
ALTER TABLE ?schema.memberships ADD COLUMN withheld text[] NOT NULL DEFAULT '{}';
