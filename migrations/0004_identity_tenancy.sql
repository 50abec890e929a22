-- 0004 identity_tenancy: organizations, users, memberships, projects, user sessions and API keys, with their triggers (map §2.2).
-- Reference schema of schemadb (../shared/design/schema-map.md). Runs in one transaction.

CREATE TABLE core.organizations (                          -- S2
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug              text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name              text NOT NULL,
    settings          jsonb NOT NULL DEFAULT '{}',
    subscription_tier text NOT NULL DEFAULT 'free' CHECK (subscription_tier IN ('free','pro','enterprise')),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    deleted_at        timestamptz                          -- soft delete (S2)
);

CREATE TABLE core.users (                                  -- S0, S1, S2
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email                text NOT NULL CHECK (email ~ '^[^@\s]+@[^@\s]+$'),
    name                 text NOT NULL,
    avatar_url           text,
    role                 text NOT NULL DEFAULT 'user' CHECK (role IN ('user','admin')),          -- S0/S1, platform-wide
    auth_provider        text NOT NULL DEFAULT 'local' CHECK (auth_provider IN ('local','github','oidc')),
    github_id            text UNIQUE,
    password_hash        text,                             -- bcrypt by the app (S1); NULL for OAuth users (S2)
    mfa_enabled          boolean NOT NULL DEFAULT false,
    mfa_secret_encrypted bytea,                            -- core.encrypt_sensitive(); plaintext mfa_secret dropped
    last_login_at        timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    deleted_at           timestamptz,
    CONSTRAINT users_mfa_secret_check CHECK (NOT mfa_enabled OR mfa_secret_encrypted IS NOT NULL)
);
CREATE UNIQUE INDEX idx_users_email ON core.users (lower(email));

CREATE TABLE core.organization_members (                   -- S2
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES core.organizations ON DELETE CASCADE,
    user_id         uuid NOT NULL REFERENCES core.users ON DELETE CASCADE,
    role            text NOT NULL DEFAULT 'member' CHECK (role IN ('owner','admin','member','viewer')),
    permissions     jsonb NOT NULL DEFAULT '[]',
    invited_by      uuid REFERENCES core.users ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),   -- S2 joined_at
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, user_id)
);
CREATE INDEX idx_organization_members_user ON core.organization_members (user_id);

CREATE TABLE core.projects (                               -- S2, S3, S4
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES core.organizations ON DELETE CASCADE,
    slug            text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),   -- S4 project_id
    name            text NOT NULL,
    description     text,
    status          text NOT NULL DEFAULT 'active' CHECK (status IN ('active','completed','archived','cancelled')),
    repository_url  text,
    settings        jsonb NOT NULL DEFAULT '{}',           -- S2 settings + S4 configuration
    metadata        jsonb NOT NULL DEFAULT '{}',
    created_by      uuid REFERENCES core.users ON DELETE SET NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (organization_id, slug),
    UNIQUE (id, organization_id)                           -- target of composite FKs (agents, knowledge)
);
CREATE INDEX idx_projects_org_status ON core.projects (organization_id, status);

CREATE TABLE core.project_members (                        -- S2
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id uuid NOT NULL REFERENCES core.projects ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES core.users ON DELETE CASCADE,
    role       text NOT NULL DEFAULT 'developer' CHECK (role IN ('admin','developer','viewer')),
    added_by   uuid REFERENCES core.users ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),        -- S2 added_at
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, user_id)
);
CREATE INDEX idx_project_members_user ON core.project_members (user_id);

CREATE TABLE core.user_sessions (                          -- S1, S2 "sessions"
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id          uuid NOT NULL REFERENCES core.users ON DELETE CASCADE,
    token_hash       text NOT NULL UNIQUE,
    ip_address       inet,
    user_agent       text,
    expires_at       timestamptz NOT NULL,
    last_activity_at timestamptz NOT NULL DEFAULT now(),
    created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_user_sessions_user    ON core.user_sessions (user_id);
CREATE INDEX idx_user_sessions_expires ON core.user_sessions (expires_at);

CREATE TABLE core.api_keys (                               -- S2
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id uuid NOT NULL REFERENCES core.organizations ON DELETE CASCADE,
    user_id         uuid REFERENCES core.users ON DELETE CASCADE,   -- NULL = service key
    name            text NOT NULL,
    key_hash        text NOT NULL UNIQUE,
    permissions     jsonb NOT NULL DEFAULT '[]',
    expires_at      timestamptz,
    last_used_at    timestamptz,
    revoked_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idx_api_keys_org     ON core.api_keys (organization_id);
CREATE INDEX idx_api_keys_user    ON core.api_keys (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX idx_api_keys_expires ON core.api_keys (expires_at) WHERE expires_at IS NOT NULL AND revoked_at IS NULL;

-- Triggers (map §5.4): updated_at maintained by core.set_updated_at(); audited tables log to audit.audit_logs.
CREATE TRIGGER trg_organizations_updated_at BEFORE UPDATE ON core.organizations
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION core.set_updated_at();
CREATE TRIGGER trg_organizations_audit AFTER INSERT OR UPDATE OR DELETE ON core.organizations
    FOR EACH ROW EXECUTE FUNCTION audit.log_row_change();
CREATE TRIGGER trg_users_updated_at BEFORE UPDATE ON core.users
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION core.set_updated_at();
CREATE TRIGGER trg_users_audit AFTER INSERT OR UPDATE OR DELETE ON core.users
    FOR EACH ROW EXECUTE FUNCTION audit.log_row_change('redact=password_hash,mfa_secret_encrypted', 'ignore=last_login_at');
CREATE TRIGGER trg_organization_members_updated_at BEFORE UPDATE ON core.organization_members
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION core.set_updated_at();
CREATE TRIGGER trg_organization_members_audit AFTER INSERT OR UPDATE OR DELETE ON core.organization_members
    FOR EACH ROW EXECUTE FUNCTION audit.log_row_change();
CREATE TRIGGER trg_projects_updated_at BEFORE UPDATE ON core.projects
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION core.set_updated_at();
CREATE TRIGGER trg_projects_audit AFTER INSERT OR UPDATE OR DELETE ON core.projects
    FOR EACH ROW EXECUTE FUNCTION audit.log_row_change();
CREATE TRIGGER trg_project_members_updated_at BEFORE UPDATE ON core.project_members
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION core.set_updated_at();
CREATE TRIGGER trg_project_members_audit AFTER INSERT OR UPDATE OR DELETE ON core.project_members
    FOR EACH ROW EXECUTE FUNCTION audit.log_row_change();
CREATE TRIGGER trg_api_keys_updated_at BEFORE UPDATE ON core.api_keys
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION core.set_updated_at();
CREATE TRIGGER trg_api_keys_audit AFTER INSERT OR UPDATE OR DELETE ON core.api_keys
    FOR EACH ROW EXECUTE FUNCTION audit.log_row_change('redact=key_hash', 'ignore=last_used_at');

-- Comments on every table (seed 004 style).
COMMENT ON TABLE core.organizations IS 'Tenants: every tenant row belongs to one organization (RLS key app.current_org_id)';
COMMENT ON TABLE core.users IS 'People who sign in; platform role user/admin; credentials readable only through the authentication functions';
COMMENT ON TABLE core.organization_members IS 'Membership of users in organizations, with their organization role';
COMMENT ON TABLE core.projects IS 'Projects that organize and group related tasks; slug unique per organization';
COMMENT ON TABLE core.project_members IS 'Users given access to a project, with their project role';
COMMENT ON TABLE core.user_sessions IS 'Login sessions (durable store; Redis may cache them); a session is visible only to its user';
COMMENT ON TABLE core.api_keys IS 'API keys (hashed) authenticating into one organization; user_id NULL is a service key';
