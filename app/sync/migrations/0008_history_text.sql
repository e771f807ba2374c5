-- The history's case numbers and one-line titles, for the desks' one-key search (pingan_core::search). Rows from
-- before this migration keep empty text: the search still finds them by unit, category and address code.
ALTER TABLE history ADD COLUMN number TEXT NOT NULL DEFAULT '';
ALTER TABLE history ADD COLUMN title TEXT NOT NULL DEFAULT '';
