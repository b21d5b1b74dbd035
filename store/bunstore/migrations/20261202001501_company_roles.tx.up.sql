-- Company roles (access.CompanyRole, issue 15): roles a company defines for
-- itself at run time. A membership holds a role by code, as it holds a
-- catalog role; CheckAccess joins the membership's company and role code to
-- this table's unique key (company_roles_company_code_key), so a check reads
-- the role's current level and permissions in the same statement and one
-- more index look-up. Codes never equal a catalog role's code (package
-- access refuses them), so a membership's role is one or the other.
CREATE TABLE ?schema.company_roles (
    id          uuid PRIMARY KEY,
    company_id  uuid NOT NULL REFERENCES ?schema.companies (id) ON DELETE CASCADE,
    code        text NOT NULL,
    name        text NOT NULL,
    level       int NOT NULL,
    permissions text[] NOT NULL,
    -- No foreign key: informational, as memberships.created_by.
    created_by  uuid,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    CONSTRAINT company_roles_company_code_key UNIQUE (company_id, code),
    CONSTRAINT company_roles_level_check CHECK (level BETWEEN 1 AND 1000)
);
--bun:split
CREATE INDEX company_roles_company_id_idx ON ?schema.company_roles (company_id, id);
