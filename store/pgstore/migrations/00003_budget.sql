-- Token buckets of the Planhat budget (store.Budgets): every replica draws each token's
-- calls from one row, under its row lock. updated_at is unix microseconds.

-- +goose Up
CREATE TABLE budget_buckets (
    name       TEXT             PRIMARY KEY,
    tokens     DOUBLE PRECISION NOT NULL,
    updated_at BIGINT           NOT NULL
);

-- +goose Down
DROP TABLE budget_buckets;
