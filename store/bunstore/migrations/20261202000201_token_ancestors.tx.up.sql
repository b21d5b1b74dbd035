-- The API tokens that made an API token (token.Token.Ancestors), its
-- parent first. NULL for a token a user or the system made. The token
-- works only while all of them do: token.Service reads them by ID (the
-- primary key) when it verifies the token.
ALTER TABLE ?schema.tokens ADD COLUMN ancestors uuid[];
