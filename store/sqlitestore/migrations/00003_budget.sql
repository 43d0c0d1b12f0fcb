-- Token buckets of the Planhat budget (store.Budgets). SQLite serves one process, whose
-- limiter keeps its bucket in memory; the table is here so every store offers the same.

-- +goose Up
CREATE TABLE budget_buckets (
    name       TEXT   PRIMARY KEY,
    tokens     REAL   NOT NULL,
    updated_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE budget_buckets;
