-- A contact's parent business-scoped user id (Meta's parent BSUID, shared by linked business
-- portfolios), and the identities a contact had before Meta said they changed: a new phone number
-- (system message user_changed_number), a new BSUID (user_changed_user_id), or two contacts found
-- to be one person (a webhook carrying both the phone number and the BSUID). `previous` is the id
-- that no longer applies; a merge keeps the merged contact's ids here as well.
ALTER TABLE contacts ADD COLUMN parent_user_id TEXT NOT NULL DEFAULT '';

CREATE TABLE contact_identity_changes (
  id INTEGER PRIMARY KEY,
  contact_id INTEGER NOT NULL REFERENCES contacts(id),
  kind TEXT NOT NULL CHECK (kind IN ('number_changed', 'user_id_changed', 'merged')),
  previous_wa_id TEXT NOT NULL DEFAULT '',
  previous_user_id TEXT NOT NULL DEFAULT '',
  changed_at TEXT NOT NULL
) STRICT;
CREATE INDEX contact_identity_changes_contact ON contact_identity_changes(contact_id, id);
CREATE INDEX contact_identity_changes_wa_id ON contact_identity_changes(previous_wa_id)
  WHERE previous_wa_id <> '';

-- Usernames are kept without the '@' Meta's examples sometimes write before them.
UPDATE contacts SET username = substr(username, 2) WHERE username LIKE '@%';
