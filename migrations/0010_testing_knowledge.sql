-- 0010 testing_knowledge: test suites, test results (partitioned), code coverage, knowledge entries (map §2.8).
-- Reference schema of schemadb (../shared/design/schema-map.md). Runs in one transaction.

CREATE TABLE core.test_suites (                            -- S2
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id     uuid NOT NULL REFERENCES core.projects ON DELETE CASCADE,
    task_id        uuid,
    name           text NOT NULL,
    test_framework text,
    total_tests    integer NOT NULL DEFAULT 0 CHECK (total_tests >= 0),
    passed_tests   integer NOT NULL DEFAULT 0 CHECK (passed_tests >= 0),
    failed_tests   integer NOT NULL DEFAULT 0 CHECK (failed_tests >= 0),
    skipped_tests  integer NOT NULL DEFAULT 0 CHECK (skipped_tests >= 0),
    duration_ms    integer CHECK (duration_ms >= 0),
    executed_at    timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (id, project_id),
    FOREIGN KEY (task_id, project_id) REFERENCES core.tasks (id, project_id) ON DELETE SET NULL (task_id),
    CONSTRAINT test_suites_counts_check CHECK (passed_tests + failed_tests + skipped_tests <= total_tests)
);
CREATE INDEX idx_test_suites_project ON core.test_suites (project_id, executed_at DESC);
CREATE INDEX idx_test_suites_task    ON core.test_suites (task_id) WHERE task_id IS NOT NULL;

CREATE TABLE core.test_results (                           -- S2; partitioned (§3)
    id            uuid        NOT NULL DEFAULT gen_random_uuid(),
    created_at    timestamptz NOT NULL DEFAULT now(),
    test_suite_id uuid        NOT NULL REFERENCES core.test_suites ON DELETE CASCADE,
    test_name     text        NOT NULL,
    test_path     text,
    status        text        NOT NULL CHECK (status IN ('passed','failed','skipped')),
    duration_ms   integer     CHECK (duration_ms >= 0),
    error_message text,
    error_stack   text,
    metadata      jsonb       NOT NULL DEFAULT '{}',
    PRIMARY KEY (id, created_at)
) PARTITION BY RANGE (created_at);
CREATE INDEX idx_test_results_suite        ON core.test_results (test_suite_id);
CREATE INDEX idx_test_results_created_brin ON core.test_results USING brin (created_at);
CREATE TABLE core.test_results_default PARTITION OF core.test_results DEFAULT;
SELECT core.ensure_monthly_partitions('core.test_results');

CREATE TABLE core.code_coverage (                          -- S2
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id         uuid NOT NULL REFERENCES core.projects ON DELETE CASCADE,
    test_suite_id      uuid,
    commit_sha         text CHECK (commit_sha ~ '^[0-9a-f]{7,64}$'),
    line_coverage      numeric(5,2) CHECK (line_coverage BETWEEN 0 AND 100),
    branch_coverage    numeric(5,2) CHECK (branch_coverage BETWEEN 0 AND 100),
    function_coverage  numeric(5,2) CHECK (function_coverage BETWEEN 0 AND 100),
    statement_coverage numeric(5,2) CHECK (statement_coverage BETWEEN 0 AND 100),
    coverage_data      jsonb,                              -- per-file detail
    created_at         timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (test_suite_id, project_id) REFERENCES core.test_suites (id, project_id) ON DELETE SET NULL (test_suite_id)
);
CREATE INDEX idx_code_coverage_project ON core.code_coverage (project_id, created_at DESC);
CREATE INDEX idx_code_coverage_suite   ON core.code_coverage (test_suite_id) WHERE test_suite_id IS NOT NULL;
CREATE INDEX idx_code_coverage_commit  ON core.code_coverage (commit_sha) WHERE commit_sha IS NOT NULL;

CREATE TABLE core.knowledge_entries (                      -- S3
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    organization_id     uuid NOT NULL REFERENCES core.organizations ON DELETE CASCADE,
    project_id          uuid,                              -- NULL = organization-wide
    source_task_id      uuid REFERENCES core.tasks ON DELETE SET NULL,
    entry_type          text NOT NULL CHECK (entry_type IN ('code_snippet','adr','documentation','pattern','task_template')),
    title               text NOT NULL,
    content             text,
    summary             text,
    tags                text[] NOT NULL DEFAULT '{}',
    categories          text[] NOT NULL DEFAULT '{}',
    source              text NOT NULL DEFAULT 'agent' CHECK (source ~ '^[a-z][a-z0-9_.]*$'),
    created_by          uuid REFERENCES core.users ON DELETE SET NULL,
    created_by_agent_id uuid REFERENCES core.agents ON DELETE SET NULL,   -- S3 created_agent_id
    confidence_score    numeric(3,2) CHECK (confidence_score BETWEEN 0 AND 1),
    version             integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    previous_version_id uuid REFERENCES core.knowledge_entries ON DELETE SET NULL,
    visibility          text NOT NULL DEFAULT 'public' CHECK (visibility IN ('public','team','private')),
    access_list         uuid[] NOT NULL DEFAULT '{}',      -- user or agent ids (private entries)
    search_vector       tsvector GENERATED ALWAYS AS (to_tsvector('english',
                            coalesce(title, '') || ' ' || coalesce(summary, '') || ' ' || coalesce(content, ''))) STORED,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (project_id, organization_id) REFERENCES core.projects (id, organization_id) ON DELETE CASCADE,
    CONSTRAINT knowledge_entries_team_check CHECK (visibility <> 'team' OR project_id IS NOT NULL)
);
CREATE INDEX idx_knowledge_entries_org_type ON core.knowledge_entries (organization_id, entry_type);
CREATE INDEX idx_knowledge_entries_project  ON core.knowledge_entries (project_id) WHERE project_id IS NOT NULL;
CREATE INDEX idx_knowledge_entries_task     ON core.knowledge_entries (source_task_id) WHERE source_task_id IS NOT NULL;
CREATE INDEX idx_knowledge_entries_agent    ON core.knowledge_entries (created_by_agent_id) WHERE created_by_agent_id IS NOT NULL;
CREATE INDEX idx_knowledge_entries_previous ON core.knowledge_entries (previous_version_id) WHERE previous_version_id IS NOT NULL;
CREATE INDEX idx_knowledge_entries_tags     ON core.knowledge_entries USING gin (tags);        -- S3
CREATE INDEX idx_knowledge_entries_search   ON core.knowledge_entries USING gin (search_vector);

-- Triggers (map §5.4): updated_at maintained by core.set_updated_at(); audited tables log to audit.audit_logs.
CREATE TRIGGER trg_test_suites_updated_at BEFORE UPDATE ON core.test_suites
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION core.set_updated_at();
CREATE TRIGGER trg_knowledge_entries_updated_at BEFORE UPDATE ON core.knowledge_entries
    FOR EACH ROW EXECUTE FUNCTION core.set_updated_at();   -- no WHEN: the table has generated columns
CREATE TRIGGER trg_knowledge_entries_audit AFTER INSERT OR UPDATE OR DELETE ON core.knowledge_entries
    FOR EACH ROW EXECUTE FUNCTION audit.log_row_change();

-- Comments on every table (seed 004 style).
COMMENT ON TABLE core.test_suites IS 'Test suite runs of a project, optionally for a task';
COMMENT ON TABLE core.test_results IS 'Results of individual tests; monthly partitions';
COMMENT ON TABLE core.code_coverage IS 'Code coverage measurements of a project';
COMMENT ON TABLE core.knowledge_entries IS 'Knowledge base entries (ADRs, snippets, patterns) with full-text search and visibility';
