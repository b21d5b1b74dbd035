-- A session's scope: how it was obtained (origin: 'signin' for a login
-- link the host issued, 'provisioned' for one someone else asked for),
-- the company of its login link (home_id) and the companies created
-- through it. A provisioned session reaches only those and the customers
-- connected to them; the rule is the services', these columns only keep
-- its facts. All NULL for API tokens. No constraints: any origin but
-- 'signin' reads as confined, so a bad value fails closed; and a company
-- that is gone no longer resolves, so no foreign key is needed.
ALTER TABLE ?schema.tokens
    ADD COLUMN origin text,
    ADD COLUMN home_id uuid,
    ADD COLUMN companies uuid[];
--bun:split
-- Sessions minted before the scope was recorded fail closed: provisioned,
-- at home where they are.
UPDATE ?schema.tokens SET origin = 'provisioned', home_id = company_id WHERE kind = 'ses';
