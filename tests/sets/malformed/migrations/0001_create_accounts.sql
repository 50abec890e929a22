-- accounts, with a jsonb column and a partial index
CREATE TABLE public.accounts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE,
    settings jsonb NOT NULL DEFAULT '{}',
    deleted_at timestamptz
);
CREATE INDEX idx_accounts_live ON public.accounts (email) WHERE deleted_at IS NULL;
COMMENT ON TABLE public.accounts IS 'Accounts (fixture)';
