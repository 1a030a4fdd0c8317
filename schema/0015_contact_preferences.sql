-- A contact's marketing preference per number of ours: Meta's user_preferences webhook (a user
-- stops or resumes marketing messages) and a send that failed with 131050 (the user stopped
-- them). A marketing template to a contact whose latest preference is "stop" is refused before
-- Meta is called. changed_at is Meta's time of the change (ISO 8601), so an older webhook
-- delivered late does not undo a newer one.
CREATE TABLE contact_preferences (
  contact_id INTEGER NOT NULL REFERENCES contacts(id),
  phone_number_id TEXT NOT NULL,
  category TEXT NOT NULL,
  value TEXT NOT NULL CHECK (value IN ('stop', 'resume')),
  detail TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL CHECK (source IN ('user_preferences', 'error_131050')),
  changed_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (contact_id, phone_number_id, category)
) STRICT;
