-- Who may see each change: the facets of what it touched before and after it (pingan_core::scope::Audience as
-- JSON), written with the change, so the log and the live stream are scoped alike. NULL on changes written before
-- this migration: those go only to readers who see everything.
ALTER TABLE changes ADD COLUMN audience TEXT;
