-- 0007 github: the GitHub mirror: repositories, issues, pull requests (map §2.5).
-- Reference schema of schemadb (../shared/design/schema-map.md). Runs in one transaction.

CREATE TABLE core.github_repositories (
    id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id               uuid NOT NULL REFERENCES core.projects ON DELETE CASCADE,
    github_id                text NOT NULL,
    owner                    text NOT NULL,
    name                     text NOT NULL,
    full_name                text NOT NULL,
    default_branch           text NOT NULL DEFAULT 'main',
    webhook_id               text,
    webhook_secret_encrypted bytea,                        -- S2 webhook_secret, encrypted
    permissions              jsonb NOT NULL DEFAULT '{}',
    metadata                 jsonb NOT NULL DEFAULT '{}',
    synced_at                timestamptz,
    created_at               timestamptz NOT NULL DEFAULT now(),
    updated_at               timestamptz NOT NULL DEFAULT now(),
    UNIQUE (project_id, github_id)                         -- S2 had global UNIQUE(github_id)
);
CREATE INDEX idx_github_repositories_github_id ON core.github_repositories (github_id);  -- webhook routing
CREATE INDEX idx_github_repositories_full_name ON core.github_repositories (full_name);

CREATE TABLE core.github_issues (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    repository_id     uuid NOT NULL REFERENCES core.github_repositories ON DELETE CASCADE,
    github_id         text NOT NULL,
    number            integer NOT NULL CHECK (number > 0),
    title             text NOT NULL,
    body              text,
    state             text NOT NULL CHECK (state IN ('open','closed')),
    labels            jsonb NOT NULL DEFAULT '[]',
    assignees         jsonb NOT NULL DEFAULT '[]',
    author_login      text,                                -- S2 created_by
    github_created_at timestamptz,
    github_updated_at timestamptz,
    closed_at         timestamptz,
    synced_at         timestamptz NOT NULL DEFAULT now(),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (repository_id, number)
);
CREATE INDEX idx_github_issues_repo_state ON core.github_issues (repository_id, state);

CREATE TABLE core.github_pull_requests (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    repository_id     uuid NOT NULL REFERENCES core.github_repositories ON DELETE CASCADE,
    github_id         text NOT NULL,
    number            integer NOT NULL CHECK (number > 0),
    title             text NOT NULL,
    body              text,
    state             text NOT NULL CHECK (state IN ('open','closed')),   -- GitHub: merged PRs are closed
    head_ref          text,
    base_ref          text,
    draft             boolean NOT NULL DEFAULT false,
    merged            boolean NOT NULL DEFAULT false,
    mergeable         boolean,
    labels            jsonb NOT NULL DEFAULT '[]',
    reviewers         jsonb NOT NULL DEFAULT '[]',
    author_login      text,
    github_created_at timestamptz,
    github_updated_at timestamptz,
    merged_at         timestamptz,
    closed_at         timestamptz,
    synced_at         timestamptz NOT NULL DEFAULT now(),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (repository_id, number),
    CONSTRAINT github_pull_requests_merged_check CHECK (NOT merged OR state = 'closed')
);
CREATE INDEX idx_github_pull_requests_repo_state ON core.github_pull_requests (repository_id, state);

-- Triggers (map §5.4): updated_at maintained by core.set_updated_at(); audited tables log to audit.audit_logs.
CREATE TRIGGER trg_github_repositories_updated_at BEFORE UPDATE ON core.github_repositories
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION core.set_updated_at();
CREATE TRIGGER trg_github_repositories_audit AFTER INSERT OR UPDATE OR DELETE ON core.github_repositories
    FOR EACH ROW EXECUTE FUNCTION audit.log_row_change('redact=webhook_secret_encrypted', 'ignore=synced_at');
CREATE TRIGGER trg_github_issues_updated_at BEFORE UPDATE ON core.github_issues
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION core.set_updated_at();
CREATE TRIGGER trg_github_pull_requests_updated_at BEFORE UPDATE ON core.github_pull_requests
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION core.set_updated_at();

-- Comments on every table (seed 004 style).
COMMENT ON TABLE core.github_repositories IS 'GitHub repositories linked to a project (webhook secret encrypted)';
COMMENT ON TABLE core.github_issues IS 'Mirror of GitHub issues of linked repositories';
COMMENT ON TABLE core.github_pull_requests IS 'Mirror of GitHub pull requests of linked repositories';
