-- Credentials: a user's password hash (argon2id in PHC form, with its
-- parameters and salt) and the state of their sign-in throttle, in a table
-- of their own so that no read of users returns them. One row per user
-- who has a password or has failed to sign in; hash is '' for a user
-- without a password whose failures are being counted. The throttle's rule
-- is the access service's; these columns only keep its facts, written
-- under the lock of the user's row (LockCredentials).
CREATE TABLE ?schema.credentials (
    user_id         uuid CONSTRAINT credentials_pkey PRIMARY KEY
                    CONSTRAINT credentials_user_id_fkey REFERENCES ?schema.users (id) ON DELETE CASCADE,
    hash            text NOT NULL,
    failures        int NOT NULL,
    last_failure_at timestamptz,
    updated_at      timestamptz NOT NULL
);
