-- Access: users, companies, memberships, grants, connections, audit.
-- IDs and timestamps always come from the service layer: no defaults.
-- Constraint names are part of the contract: bunstore maps unique
-- violations to conflict codes by these names.

CREATE TABLE ?schema.companies (
    id           uuid PRIMARY KEY,
    name         text NOT NULL,
    -- No foreign key: a pointer, as in memstore (a parent may go first).
    parent_id    uuid,
    external_key text,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);
--bun:split
CREATE UNIQUE INDEX companies_external_key_key ON ?schema.companies (external_key) WHERE external_key IS NOT NULL;
--bun:split
CREATE INDEX companies_parent_id_idx ON ?schema.companies (parent_id) WHERE parent_id IS NOT NULL;
--bun:split

CREATE TABLE ?schema.company_domains (
    domain     text CONSTRAINT company_domains_domain_key PRIMARY KEY,
    company_id uuid NOT NULL REFERENCES ?schema.companies (id) ON DELETE CASCADE,
    position   int NOT NULL
);
--bun:split
CREATE INDEX company_domains_company_id_idx ON ?schema.company_domains (company_id, position);
--bun:split

CREATE TABLE ?schema.users (
    id                uuid PRIMARY KEY,
    email             text NOT NULL CONSTRAINT users_email_key UNIQUE,
    first_name        text NOT NULL,
    last_name         text NOT NULL,
    status            text NOT NULL,
    lang              text NOT NULL,
    theme             text NOT NULL,
    currency          text NOT NULL,
    birthdate         date,
    avatar_url        text NOT NULL,
    -- No foreign key: a pointer, cleared by DeleteCompany.
    active_company_id uuid,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);
--bun:split
CREATE UNIQUE INDEX users_email_lower_key ON ?schema.users (lower(email));
--bun:split
CREATE INDEX users_active_company_id_idx ON ?schema.users (active_company_id) WHERE active_company_id IS NOT NULL;
--bun:split

CREATE TABLE ?schema.memberships (
    id           uuid PRIMARY KEY,
    company_id   uuid NOT NULL REFERENCES ?schema.companies (id) ON DELETE CASCADE,
    user_id      uuid NOT NULL REFERENCES ?schema.users (id) ON DELETE CASCADE,
    role         text NOT NULL,
    extra        text[] NOT NULL,
    is_active    boolean NOT NULL,
    is_primary   boolean NOT NULL,
    allow_switch boolean NOT NULL,
    -- No foreign key: informational, joined with LEFT JOIN.
    created_by   uuid,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    CONSTRAINT memberships_company_user_key UNIQUE (company_id, user_id)
);
--bun:split
CREATE UNIQUE INDEX memberships_one_primary_key ON ?schema.memberships (user_id) WHERE is_primary;
--bun:split
CREATE INDEX memberships_company_id_idx ON ?schema.memberships (company_id, id);
--bun:split
CREATE INDEX memberships_user_id_idx ON ?schema.memberships (user_id, id);
--bun:split

CREATE TABLE ?schema.grants (
    id            uuid PRIMARY KEY,
    company_id    uuid NOT NULL REFERENCES ?schema.companies (id) ON DELETE CASCADE,
    subject_type  text NOT NULL,
    subject_id    uuid NOT NULL,
    resource_type text NOT NULL,
    resource_id   text NOT NULL,
    level         int NOT NULL,
    created_by    uuid,
    created_at    timestamptz NOT NULL,
    -- Also the index of lookups by subject (its prefix).
    CONSTRAINT grants_subject_resource_key UNIQUE (company_id, subject_type, subject_id, resource_type, resource_id)
);
--bun:split
CREATE INDEX grants_company_id_idx ON ?schema.grants (company_id, id);
--bun:split
CREATE INDEX grants_company_resource_idx ON ?schema.grants (company_id, resource_type, resource_id);
--bun:split

CREATE TABLE ?schema.connections (
    id          uuid PRIMARY KEY,
    customer_id uuid NOT NULL REFERENCES ?schema.companies (id) ON DELETE CASCADE,
    agency_id   uuid NOT NULL REFERENCES ?schema.companies (id) ON DELETE CASCADE,
    permissions text[] NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    CONSTRAINT connections_distinct_check CHECK (customer_id <> agency_id)
);
--bun:split
CREATE UNIQUE INDEX connections_pair_key ON ?schema.connections (least(customer_id, agency_id), greatest(customer_id, agency_id));
--bun:split
CREATE INDEX connections_customer_id_idx ON ?schema.connections (customer_id, id);
--bun:split
CREATE INDEX connections_agency_id_idx ON ?schema.connections (agency_id, id);
--bun:split

CREATE TABLE ?schema.audit_events (
    id         uuid PRIMARY KEY,
    -- No foreign key: the trail outlives its company. The nil UUID marks
    -- events outside any company.
    company_id uuid NOT NULL,
    actor      text NOT NULL,
    action     text NOT NULL,
    target     text NOT NULL,
    outcome    text NOT NULL,
    details    jsonb NOT NULL,
    at         timestamptz NOT NULL
);
--bun:split
CREATE INDEX audit_events_company_id_idx ON ?schema.audit_events (company_id, id);
