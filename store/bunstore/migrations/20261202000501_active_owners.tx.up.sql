-- The last-owner rule (access.Service's keepOwner, CountActiveOwners)
-- counts a company's active OWNERs on every demotion, deactivation and
-- removal of one: this index holds only them, so the count reads the
-- company's owners, not its members, and a write in a company of a million
-- members costs what it costs in one of a thousand. The predicate's
-- literal is access.RoleOwner; the statements that count name it the same
-- way, so the planner matches them to the index.
CREATE INDEX memberships_active_owners_idx ON ?schema.memberships (company_id) WHERE is_active AND role = 'OWNER';
--bun:split
